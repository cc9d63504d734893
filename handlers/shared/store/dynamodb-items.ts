import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { mapAwsError } from '../errors.js';
import { SWEEP_ATTRIBUTE } from './sweep-index.js';

/** A table key: every item in the incident table is addressed by string `pk` and `sk`. */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** Key of the incident record (types.ts layout). */
export const incidentKey = (incidentId: string): ItemKey => ({ pk: incidentPk(incidentId), sk: 'META' });
/** Partition of everything that belongs to one incident: META, EVENT#, UNDO#, ACTION#. */
export const incidentPk = (incidentId: string): string => `INCIDENT#${incidentId}`;
/** Key of the one-incident-per-finding claim. */
export const findingKey = (findingId: string): ItemKey => ({ pk: `FINDING#${findingId}`, sk: 'FINDING' });
/** Key of the claim of one principal and bucket (`<accountId>#<principal key>#<bucket>`). */
export const correlationKey = (key: string): ItemKey => ({ pk: `CORRELATION#${key}`, sk: 'CORRELATION' });
/** Key of the new-incident counter of one bucket (`<accountId>#<bucket>`). */
export const capKey = (key: string): ItemKey => ({ pk: `CAP#${key}`, sk: 'CAP' });
/** Key of one approval request. */
export const approvalKey = (nonce: string): ItemKey => ({ pk: `APPROVAL#${nonce}`, sk: 'APPROVAL' });
/** Key of one rollback (Undo) request. */
export const rollbackKey = (nonce: string): ItemKey => ({ pk: `ROLLBACK#${nonce}`, sk: 'ROLLBACK' });

const APPROVAL_RETENTION_SECONDS = 7 * 24 * 3600;

/** The `ttl` of an approval item: a week after its expiry, in epoch seconds; undefined if `expiresAt` is not a date. */
export function approvalTtl(expiresAt: string): number | undefined {
  const ms = Date.parse(expiresAt);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) + APPROVAL_RETENTION_SECONDS : undefined;
}

const CORRELATION_RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * The `ttl` of a correlation claim: 30 days after its window ends, so an incident that follows a
 * closed one can still name it; undefined if `expiresAt` is not a date.
 */
export function correlationTtl(expiresAt: string): number | undefined {
  const ms = Date.parse(expiresAt);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) + CORRELATION_RETENTION_SECONDS : undefined;
}

/** The stored record without the table's own attributes (`pk`, `sk`, `ttl`, the sweep index's `sweep`). */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ttl: _ttl, [SWEEP_ATTRIBUTE]: _sweep, ...record } = item;
  // A string set (`signalSourceIps`) comes back as a Set: records hold plain arrays.
  for (const [field, value] of Object.entries(record)) {
    if (value instanceof Set) record[field] = [...value].sort();
  }
  return record as T;
}

/** Whether a DynamoDB call failed only because its ConditionExpression did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { name?: unknown }).name === 'ConditionalCheckFailedException')
  );
}

/** Runs one DynamoDB call; any failure becomes a named error via `mapAwsError('dynamodb:<operation>')`. */
export async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapAwsError(`dynamodb:${operation}`, error);
  }
}

/**
 * Runs one conditional DynamoDB call: resolves undefined when its condition did not hold, and maps
 * every other failure like `call`.
 */
export async function guarded<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw mapAwsError(`dynamodb:${operation}`, error);
  }
}
