import {
  type DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  type PutCommandInput,
  type PutCommandOutput,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { call, guarded, type ItemKey, incidentPk, stripKeys } from './dynamodb-items.js';

/** One item of the incident table, as the document client reads and writes it. */
export type Item = Record<string, NativeAttributeValue>;

/** A conditional PutItem without its table. */
export type PutRequest = Omit<PutCommandInput, 'TableName'>;

/** An UpdateItem without its table and key. */
export type UpdateRequest = Omit<UpdateCommandInput, 'TableName' | 'Key'>;

/**
 * The incident table the parts of `DynamoIncidentStore` share: one document client and table
 * name, and the few request shapes they send. Failures surface as the named errors of `call`;
 * the conditional requests (`putIfAbsent`, `putIf`, `update`) answer false or undefined when
 * their condition does not hold. Reads are strongly consistent.
 */
export class DynamoTable {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(item: Item): Promise<void> {
    await call('PutItem', () => this.doc.send(new PutCommand({ TableName: this.tableName, Item: item })));
  }

  /** Writes the item unless one with its key exists: true when written. */
  async putIfAbsent(item: Item): Promise<boolean> {
    const written = await guarded('PutItem', () =>
      this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    return written !== undefined;
  }

  /** A conditional PutItem: undefined when its condition did not hold. */
  async putIf(request: PutRequest): Promise<PutCommandOutput | undefined> {
    return guarded('PutItem', () => this.doc.send(new PutCommand({ TableName: this.tableName, ...request })));
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    const result = await call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return result.Item;
  }

  /** A conditional UpdateItem on one key: undefined when its condition did not hold. */
  async update(key: ItemKey, request: UpdateRequest): Promise<UpdateCommandOutput | undefined> {
    return guarded('UpdateItem', () =>
      this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: key, ...request })),
    );
  }

  /** Every item of one incident's partition whose sort key starts with `prefix`, all pages, keys stripped. */
  async query<T>(incidentId: string, prefix: string): Promise<T[]> {
    const items: T[] = [];
    let start: Item | undefined;
    do {
      const exclusiveStartKey = start;
      const page = await call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        ),
      );
      items.push(...(page.Items ?? []).map((item) => stripKeys<T>(item)));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
