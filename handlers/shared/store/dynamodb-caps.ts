import { StoreConflict } from '../errors.js';
import { capKey, correlationTtl } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import type { LifecycleStore, NewIncidentCount } from './types.js';

/** Attempts before StoreConflict when racing writers keep changing the counter (the state machine retries). */
const ATTEMPTS = 3;

/**
 * The new-incident counters of `DynamoIncidentStore` (`CAP#<accountId>#<bucket>`): flood control.
 * A window starts with the first incident counted and lasts `windowMinutes`; within it at most
 * `max` incidents are counted. Every write is conditional, so racing registrations never count past
 * the cap, and a retry of the registration that was counted last is not counted twice.
 */
export class DynamoCaps implements Pick<LifecycleStore, 'countNewIncident'> {
  constructor(private readonly table: DynamoTable) {}

  async countNewIncident(args: {
    key: string;
    incidentId: string;
    now: string;
    windowMinutes: number;
    max: number;
  }): Promise<NewIncidentCount> {
    const key = capKey(args.key);
    const floor = new Date(Date.parse(args.now) - args.windowMinutes * 60_000).toISOString();
    const windowEnd = new Date(Date.parse(args.now) + args.windowMinutes * 60_000).toISOString();
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      // The current window, not full: one more.
      const counted = await this.table.update(key, {
        UpdateExpression: 'SET #count = #count + :one, #latest = :id',
        ConditionExpression: '#windowStart > :floor AND #count < :max AND #latest <> :id',
        ExpressionAttributeNames: { '#count': 'count', '#latest': 'latestIncidentId', '#windowStart': 'windowStart' },
        ExpressionAttributeValues: { ':one': 1, ':id': args.incidentId, ':floor': floor, ':max': args.max },
        ReturnValues: 'ALL_NEW',
      });
      if (counted?.Attributes) {
        return {
          outcome: 'counted',
          count: Number(counted.Attributes.count),
          windowStart: String(counted.Attributes.windowStart),
        };
      }
      // No counter, or its window has passed: a new window starts with this incident.
      const started = await this.table.putIf({
        Item: {
          ...key,
          windowStart: args.now,
          count: 1,
          latestIncidentId: args.incidentId,
          ttl: correlationTtl(windowEnd),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #windowStart <= :floor',
        ExpressionAttributeNames: { '#windowStart': 'windowStart' },
        ExpressionAttributeValues: { ':floor': floor },
      });
      if (started) return { outcome: 'counted', count: 1, windowStart: args.now };
      const current = await this.table.get(key);
      if (!current || String(current.windowStart) <= floor) continue;
      const count = Number(current.count);
      const windowStart = String(current.windowStart);
      const latestIncidentId = String(current.latestIncidentId);
      if (latestIncidentId === args.incidentId) return { outcome: 'counted', count, windowStart };
      if (count >= args.max) return { outcome: 'capped', count, windowStart, latestIncidentId };
    }
    throw new StoreConflict(
      `the new-incident count of ${args.key} kept changing under concurrent registrations; try again`,
    );
  }
}
