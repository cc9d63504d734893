import { StoreConflict } from '../errors.js';
import { correlationKey, correlationTtl, findingKey, type ItemKey } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import type { ClaimResult, CorrelationResult, IncidentStore } from './types.js';

type ClaimMethods =
  | 'claimFinding'
  | 'raiseFindingCount'
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
   * :count`), so of two racing updates one raises it; with `sayFolded` that write is the caller's
   * (`raiseFindingCount`). A finding recorded on its incident (`linkedTo`: folded into another,
   * or its own once created) is known to have that incident: with `sayFolded`, a duplicate's
   * answer says so, and says when its first registration is still under way (`registering`).
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
        'SET #incidentId = if_not_exists(#incidentId, :incidentId), #executionName = if_not_exists(#executionName, :executionName), #firstCount = if_not_exists(#firstCount, :count), #lastCount = if_not_exists(#lastCount, :count), #createdAt = if_not_exists(#createdAt, :now), #recordsIncident = if_not_exists(#recordsIncident, :true)',
      ExpressionAttributeNames: {
        '#incidentId': 'incidentId',
        '#executionName': 'executionName',
        '#firstCount': 'firstCount',
        '#lastCount': 'lastCount',
        '#createdAt': 'createdAt',
        '#recordsIncident': 'recordsIncident',
      },
      ExpressionAttributeValues: {
        ':incidentId': args.incidentId,
        ':executionName': args.executionName,
        ':count': args.count,
        ':now': args.now,
        ':true': true,
      },
      ReturnValues: 'ALL_OLD',
    });
    const existing = claimed?.Attributes;
    if (!existing) return { outcome: 'new', incidentId: args.incidentId };
    const incidentId = String(existing.incidentId);
    const linkedTo = typeof existing.linkedTo === 'string' ? existing.linkedTo : undefined;
    if (existing.executionName === args.executionName) {
      // Only another incident is news to a retry: its own, once created, it finds by reading it.
      return linkedTo && linkedTo !== incidentId
        ? { outcome: 'retry', incidentId, linkedTo }
        : { outcome: 'retry', incidentId };
    }
    const lastCount = Number(existing.lastCount);
    const duplicate = { outcome: 'duplicate', incidentId: linkedTo ?? incidentId } as const;
    if (args.sayFolded) {
      return {
        ...duplicate,
        previousCount: lastCount,
        recorded: linkedTo !== undefined,
        // A claim that was made saying so gets its incident recorded on it (`linkedTo`) once the
        // finding is; one from before (or stamped since by a later delivery) says nothing.
        registering: linkedTo === undefined && existing.recordsIncident === true,
        claimedAt: String(existing.createdAt),
      };
    }
    const raised = args.count > lastCount ? await this.raiseFindingCount(args) : undefined;
    return { ...duplicate, previousCount: raised ?? lastCount };
  }

  async raiseFindingCount(args: { findingId: string; count: number }): Promise<number | undefined> {
    const raised = await this.table.update(findingKey(args.findingId), {
      UpdateExpression: 'SET #lastCount = :count',
      ConditionExpression: '#lastCount < :count',
      ExpressionAttributeNames: { '#lastCount': 'lastCount' },
      ExpressionAttributeValues: { ':count': args.count },
      ReturnValues: 'UPDATED_OLD',
    });
    const previous = raised?.Attributes?.lastCount;
    return previous === undefined ? undefined : Number(previous);
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
   * One UpdateItem that only sets what is absent claims a free key and names the holder of a
   * taken one in one round trip (its answer is the claim as it was). Only a key the caller holds
   * already (a retry) or whose holder's window has passed takes a conditional put
   * (`attribute_not_exists(pk) OR incidentId = :mine OR expiresAt <= :now`, ISO-8601 UTC strings
   * compare in time order); when that does not hold, the holder is read back; if the claim
   * vanished in between (its TTL), the put is tried once more.
   */
  async claimCorrelation(args: {
    key: string;
    incidentId: string;
    expiresAt: string;
    now: string;
  }): Promise<CorrelationResult> {
    const key = correlationKey(args.key);
    const ttl = correlationTtl(args.expiresAt);
    const taken = await this.table.update(key, {
      UpdateExpression: `SET #incidentId = if_not_exists(#incidentId, :mine), #claimedAt = if_not_exists(#claimedAt, :now), #expiresAt = if_not_exists(#expiresAt, :expiresAt)${ttl === undefined ? '' : ', #ttl = if_not_exists(#ttl, :ttl)'}`,
      ExpressionAttributeNames: {
        '#incidentId': 'incidentId',
        '#claimedAt': 'claimedAt',
        '#expiresAt': 'expiresAt',
        ...(ttl === undefined ? {} : { '#ttl': 'ttl' }),
      },
      ExpressionAttributeValues: {
        ':mine': args.incidentId,
        ':now': args.now,
        ':expiresAt': args.expiresAt,
        ...(ttl === undefined ? {} : { ':ttl': ttl }),
      },
      ReturnValues: 'ALL_OLD',
    });
    const held = taken?.Attributes;
    if (!held) return { outcome: 'claimed' };
    if (held.incidentId !== args.incidentId && typeof held.expiresAt === 'string' && held.expiresAt > args.now) {
      return {
        outcome: 'held',
        incidentId: String(held.incidentId),
        claimedAt: String(held.claimedAt),
        expiresAt: held.expiresAt,
      };
    }
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
