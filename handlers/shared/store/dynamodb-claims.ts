import { StoreConflict } from '../errors.js';
import { correlationKey, correlationTtl, findingKey, type ItemKey } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import type { ClaimResult, CorrelationResult, IncidentStore } from './types.js';

type ClaimMethods =
  | 'claimFinding'
  | 'takeOverFinding'
  | 'linkFinding'
  | 'claimCorrelation'
  | 'handOverCorrelation'
  | 'extendCorrelation';

/**
 * The claims of `DynamoIncidentStore`: one incident per finding id (`FINDING#`) and one per
 * principal and bucket within a window (`CORRELATION#`). Every write is conditional, so a retry,
 * a redelivery or a concurrent claimer changes nothing twice.
 */
export class DynamoClaims implements Pick<IncidentStore, ClaimMethods> {
  constructor(private readonly table: DynamoTable) {}

  /**
   * One UpdateItem that only sets what is absent claims a new finding id and returns the claim as
   * it was: a redelivery (or a retry) costs one round trip, not a failed put and a read. Only a
   * higher count than the last one recorded takes a second, conditional, write (`#lastCount <
   * :count`), so of two racing updates one raises it. A finding folded into another incident
   * (`linkedTo`) is known to have its incident: with `sayFolded`, a duplicate's answer says so.
   */
  async claimFinding(args: {
    findingId: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
    sayFolded?: boolean;
  }): Promise<ClaimResult> {
    const key = findingKey(args.findingId);
    const claimed = await this.table.update(key, {
      UpdateExpression:
        'SET #incidentId = if_not_exists(#incidentId, :incidentId), #executionName = if_not_exists(#executionName, :executionName), #firstCount = if_not_exists(#firstCount, :count), #lastCount = if_not_exists(#lastCount, :count), #createdAt = if_not_exists(#createdAt, :now)',
      ExpressionAttributeNames: {
        '#incidentId': 'incidentId',
        '#executionName': 'executionName',
        '#firstCount': 'firstCount',
        '#lastCount': 'lastCount',
        '#createdAt': 'createdAt',
      },
      ExpressionAttributeValues: {
        ':incidentId': args.incidentId,
        ':executionName': args.executionName,
        ':count': args.count,
        ':now': args.now,
      },
      ReturnValues: 'ALL_OLD',
    });
    const existing = claimed?.Attributes;
    if (!existing) return { outcome: 'new', incidentId: args.incidentId };
    const incidentId = String(existing.incidentId);
    const linkedTo = typeof existing.linkedTo === 'string' ? existing.linkedTo : undefined;
    if (existing.executionName === args.executionName) {
      return linkedTo ? { outcome: 'retry', incidentId, linkedTo } : { outcome: 'retry', incidentId };
    }
    const raised =
      args.count > Number(existing.lastCount)
        ? await this.table.update(key, {
            UpdateExpression: 'SET #lastCount = :count',
            ConditionExpression: '#lastCount < :count',
            ExpressionAttributeNames: { '#lastCount': 'lastCount' },
            ExpressionAttributeValues: { ':count': args.count },
            ReturnValues: 'UPDATED_OLD',
          })
        : undefined;
    const previousCount = Number(raised?.Attributes?.lastCount ?? existing.lastCount);
    const duplicate = { outcome: 'duplicate', incidentId: linkedTo ?? incidentId, previousCount } as const;
    return args.sayFolded ? { ...duplicate, folded: linkedTo !== undefined } : duplicate;
  }

  async takeOverFinding(args: {
    findingId: string;
    from: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
    claimedBefore: string;
  }): Promise<boolean> {
    const updated = await this.table.update(findingKey(args.findingId), {
      UpdateExpression:
        'SET #incidentId = :incidentId, #executionName = :executionName, #lastCount = :count, #createdAt = :now REMOVE #linkedTo',
      ConditionExpression: '#incidentId = :from AND #createdAt < :claimedBefore AND attribute_not_exists(#linkedTo)',
      ExpressionAttributeNames: {
        '#incidentId': 'incidentId',
        '#executionName': 'executionName',
        '#lastCount': 'lastCount',
        '#createdAt': 'createdAt',
        '#linkedTo': 'linkedTo',
      },
      ExpressionAttributeValues: {
        ':incidentId': args.incidentId,
        ':executionName': args.executionName,
        ':count': args.count,
        ':now': args.now,
        ':from': args.from,
        ':claimedBefore': args.claimedBefore,
      },
    });
    return updated !== undefined;
  }

  async linkFinding(args: { findingId: string; incidentId: string }): Promise<void> {
    await this.table.update(findingKey(args.findingId), {
      UpdateExpression: 'SET #linkedTo = :incidentId',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#linkedTo': 'linkedTo' },
      ExpressionAttributeValues: { ':incidentId': args.incidentId },
    });
  }

  /**
   * One conditional put (`attribute_not_exists(pk) OR incidentId = :mine OR expiresAt <= :now`,
   * ISO-8601 UTC strings compare in time order). When it does not hold, the holder is read back;
   * if the claim vanished in between (its TTL), the put is tried once more.
   */
  async claimCorrelation(args: {
    key: string;
    incidentId: string;
    expiresAt: string;
    now: string;
  }): Promise<CorrelationResult> {
    const key = correlationKey(args.key);
    for (let attempt = 1; ; attempt += 1) {
      const put = await this.table.putIf({
        Item: {
          ...key,
          incidentId: args.incidentId,
          claimedAt: args.now,
          expiresAt: args.expiresAt,
          ttl: correlationTtl(args.expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #incidentId = :mine OR #expiresAt <= :now',
        ExpressionAttributeNames: { '#incidentId': 'incidentId', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':mine': args.incidentId, ':now': args.now },
        ReturnValues: 'ALL_OLD',
      });
      if (put) {
        // The put replaced the item: the holder before (or, on a retry, what the first claim
        // recorded as the holder before) is written back as previousIncidentId.
        const old = put.Attributes;
        const before = old?.incidentId === args.incidentId ? old?.previousIncidentId : old?.incidentId;
        if (typeof before !== 'string') return { outcome: 'claimed' };
        await this.setPrevious(key, args.incidentId, before);
        return { outcome: 'claimed', previousIncidentId: before };
      }
      const holder = await this.table.get(key);
      if (holder) {
        return {
          outcome: 'held',
          incidentId: String(holder.incidentId),
          claimedAt: String(holder.claimedAt),
          expiresAt: String(holder.expiresAt),
        };
      }
      if (attempt === 2) throw new StoreConflict(`correlation ${args.key} keeps changing; try again`);
    }
  }

  async handOverCorrelation(args: {
    key: string;
    from: string;
    to: string;
    expiresAt: string;
    now: string;
    previousIncidentId?: string;
  }): Promise<boolean> {
    const previous = args.previousIncidentId ? ', #previous = :previous' : '';
    const updated = await this.table.update(correlationKey(args.key), {
      UpdateExpression: `SET #incidentId = :to, #claimedAt = :now, #expiresAt = :expiresAt, #ttl = :ttl${previous}`,
      ConditionExpression: '#incidentId = :from',
      ExpressionAttributeNames: {
        '#incidentId': 'incidentId',
        '#claimedAt': 'claimedAt',
        '#expiresAt': 'expiresAt',
        '#ttl': 'ttl',
        ...(args.previousIncidentId ? { '#previous': 'previousIncidentId' } : {}),
      },
      ExpressionAttributeValues: {
        ':to': args.to,
        ':from': args.from,
        ':now': args.now,
        ':expiresAt': args.expiresAt,
        ':ttl': correlationTtl(args.expiresAt),
        ...(args.previousIncidentId ? { ':previous': args.previousIncidentId } : {}),
      },
    });
    return updated !== undefined;
  }

  async extendCorrelation(args: { key: string; incidentId: string; expiresAt: string }): Promise<void> {
    await this.table.update(correlationKey(args.key), {
      UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl',
      ConditionExpression: '#incidentId = :incidentId AND #expiresAt < :expiresAt',
      ExpressionAttributeNames: { '#incidentId': 'incidentId', '#expiresAt': 'expiresAt', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':incidentId': args.incidentId,
        ':expiresAt': args.expiresAt,
        ':ttl': correlationTtl(args.expiresAt),
      },
    });
  }

  /** Records on a claim which incident held the key before (kept across retries of the claimer). */
  private async setPrevious(key: ItemKey, incidentId: string, previous: string): Promise<void> {
    await this.table.update(key, {
      UpdateExpression: 'SET #previous = :previous',
      ConditionExpression: '#incidentId = :mine',
      ExpressionAttributeNames: { '#previous': 'previousIncidentId', '#incidentId': 'incidentId' },
      ExpressionAttributeValues: { ':previous': previous, ':mine': incidentId },
    });
  }
}
