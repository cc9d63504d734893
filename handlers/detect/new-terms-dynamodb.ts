import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsErrorCode, mapAwsError } from '../shared/errors.js';
import { NEW_TERMS_WINDOW_MS, type NewTermsStore } from './new-terms.js';

const CONDITION_FAILED = 'ConditionalCheckFailedException';
/** Items outlive the window by a day: TTL deletion is lazy, and the conditions, not TTL, decide. */
const TTL_SLACK_SECONDS = 86_400;

/**
 * The new-terms store on a DynamoDB table (key `pk`, TTL on `expiresAt`). One conditional PutItem
 * decides "first": it succeeds only when the term is absent, was last seen before the window, or
 * was claimed by this same sighting (`attribute_not_exists(pk) OR seenAt < :cutoff OR claim =
 * :claim`). DynamoDB serializes writes to one item, so in a burst exactly one sighting wins. A
 * sighting that is not first moves `seenAt` forward (never back), so an address seen every day
 * stays known. Errors other than the condition surface as the named errors of `mapAwsError`.
 */
export class DynamoNewTermsStore implements NewTermsStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly windowMs = NEW_TERMS_WINDOW_MS,
  ) {}

  async seen(key: string, at: Date, claim: string): Promise<boolean> {
    const time = at.getTime();
    const expiresAt = Math.ceil((time + this.windowMs) / 1000) + TTL_SLACK_SECONDS;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: key, claim, seenAt: time, expiresAt },
          ConditionExpression: 'attribute_not_exists(#pk) OR #seenAt < :cutoff OR #claim = :claim',
          ExpressionAttributeNames: { '#pk': 'pk', '#seenAt': 'seenAt', '#claim': 'claim' },
          ExpressionAttributeValues: { ':cutoff': time - this.windowMs, ':claim': claim },
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorCode(error) !== CONDITION_FAILED) throw mapAwsError('dynamodb:PutItem', error);
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: 'SET #seenAt = :at, #expiresAt = :expiresAt',
          ConditionExpression: '#seenAt < :at',
          ExpressionAttributeNames: { '#seenAt': 'seenAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':at': time, ':expiresAt': expiresAt },
        }),
      );
    } catch (error) {
      if (awsErrorCode(error) !== CONDITION_FAILED) throw mapAwsError('dynamodb:UpdateItem', error);
    }
    return false;
  }
}
