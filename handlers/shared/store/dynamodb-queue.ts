import { IncidentNotFound } from '../errors.js';
import type { Incident } from '../schemas/incident.js';
import { incidentKey, stripKeys } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import { valueSize } from './item-size.js';
import { SWEEP_ATTRIBUTE, SWEEP_VALUE } from './sweep-index.js';
import {
  type IncidentRecord,
  type IncidentStatus,
  MAX_QUEUED_BYTES,
  MAX_QUEUED_DELTAS,
  type QueuedDelta,
  type QueueOutcome,
} from './types.js';

/** `:<prefix>0, :<prefix>1, …` and their values, for an `IN (…)` of statuses. */
function statusValues(prefix: string, statuses: readonly IncidentStatus[]) {
  const values = Object.fromEntries(statuses.map((status, index) => [`:${prefix}${index}`, status]));
  return { list: Object.keys(values).join(', '), values };
}

/**
 * The queue of deltas on an incident record (`queuedDeltas`): what signals folding in while a
 * request was pending added, asked in the same thread once that decision is made. Every write is
 * one conditional update, so concurrent folds keep each other's deltas and one taker gets them.
 */
/**
 * The queue is the one read: as many entries, the first one the same. Entries are only appended
 * while a phase runs and taken whole, so a queue taken and filled again since the read (as long,
 * another first entry) is not mistaken for it.
 */
const SAME_QUEUE = 'size(#queue) = :count AND #queue[0].#findingId = :firstFinding AND #queue[0].#at = :firstAt';
const SAME_QUEUE_NAMES = { '#queue': 'queuedDeltas', '#findingId': 'findingId', '#at': 'at' };

/** What an entry adds to the queue's size: itself, and the list's byte for it. */
const entryBytes = (entry: QueuedDelta): number => valueSize(entry) + 1;

function sameQueueValues(count: number, first: Pick<QueuedDelta, 'findingId' | 'at'>) {
  return { ':count': count, ':firstFinding': first.findingId, ':firstAt': first.at };
}

export class DynamoQueue {
  constructor(private readonly table: DynamoTable) {}

  async queueDelta(incidentId: string, entry: QueuedDelta, pending: readonly IncidentStatus[]): Promise<QueueOutcome> {
    const key = incidentKey(incidentId);
    const statuses = statusValues('pending', pending);
    const bytes = entryBytes(entry);
    // An entry larger than the whole budget never fits: it is counted like one at a full queue.
    const updated =
      bytes > MAX_QUEUED_BYTES
        ? undefined
        : await this.table.update(key, {
            UpdateExpression:
              'SET #queue = list_append(if_not_exists(#queue, :none), :one), #bytes = if_not_exists(#bytes, :zero) + :bytes',
            ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#closure) AND #status IN (${statuses.list}) AND (attribute_not_exists(#queue) OR size(#queue) < :max) AND (attribute_not_exists(#bytes) OR #bytes <= :room)`,
            ExpressionAttributeNames: {
              '#queue': 'queuedDeltas',
              '#bytes': 'queuedBytes',
              '#closure': 'closure',
              '#status': 'status',
            },
            ExpressionAttributeValues: {
              ':none': [],
              ':one': [entry],
              ':zero': 0,
              ':bytes': bytes,
              ':room': MAX_QUEUED_BYTES - bytes,
              ':max': MAX_QUEUED_DELTAS,
              ...statuses.values,
            },
            ReturnValues: 'ALL_NEW',
          });
    if (updated?.Attributes) return { outcome: 'queued', record: stripKeys<IncidentRecord>(updated.Attributes) };
    const item = await this.table.get(key);
    if (!item) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    const record = stripKeys<IncidentRecord>(item);
    if (record.closure || !pending.includes(record.status)) return { outcome: 'not-pending', record };
    const counted = await this.table.update(key, {
      UpdateExpression: 'ADD #omitted :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#omitted': 'queuedDeltasOmitted' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    return { outcome: 'full', record: counted?.Attributes ? stripKeys<IncidentRecord>(counted.Attributes) : record };
  }

  /** The same write puts the reopened incident in the sweep index (a record written before it had no key there). */
  async takeQueuedDeltas(
    incidentId: string,
    args: {
      count: number;
      first: Pick<QueuedDelta, 'findingId' | 'at'>;
      rest: readonly QueuedDelta[];
      running: readonly IncidentStatus[];
      updatedAt: string;
      incident: Incident;
    },
  ): Promise<boolean> {
    const key = incidentKey(incidentId);
    const running = statusValues('running', args.running);
    const rest = args.rest.length > 0;
    const updated = await this.table.update(key, {
      UpdateExpression: rest
        ? 'SET #status = :open, #updatedAt = :at, #incident = :incident, #sweep = :sweep, #queue = :rest, #bytes = :bytes REMOVE #approval, #reopenedBy'
        : 'SET #status = :open, #updatedAt = :at, #incident = :incident, #sweep = :sweep REMOVE #queue, #bytes, #approval, #reopenedBy',
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#closure) AND ${SAME_QUEUE} AND NOT (#status IN (${running.list}))`,
      ExpressionAttributeNames: {
        ...SAME_QUEUE_NAMES,
        '#status': 'status',
        '#updatedAt': 'updatedAt',
        '#incident': 'incident',
        '#queue': 'queuedDeltas',
        '#bytes': 'queuedBytes',
        '#approval': 'approval',
        '#reopenedBy': 'reopenedBy',
        '#closure': 'closure',
        '#sweep': SWEEP_ATTRIBUTE,
      },
      ExpressionAttributeValues: {
        ':open': 'open',
        ':at': args.updatedAt,
        ':incident': args.incident,
        ':sweep': SWEEP_VALUE,
        ...sameQueueValues(args.count, args.first),
        ...(rest
          ? { ':rest': [...args.rest], ':bytes': args.rest.reduce((sum, entry) => sum + entryBytes(entry), 0) }
          : {}),
        ...running.values,
      },
      ReturnValues: 'NONE',
    });
    if (updated) return true;
    if (!(await this.table.get(key))) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    return false;
  }

  async dropQueuedDeltas(
    incidentId: string,
    count: number,
    first: Pick<QueuedDelta, 'findingId' | 'at'>,
    open?: { readonly running: readonly IncidentStatus[] },
  ): Promise<boolean> {
    const running = statusValues('running', open?.running ?? []);
    const state = open
      ? `attribute_not_exists(#closure) AND NOT (#status IN (${running.list}))`
      : 'attribute_exists(#closure)';
    const updated = await this.table.update(incidentKey(incidentId), {
      UpdateExpression: 'REMOVE #queue, #bytes',
      ConditionExpression: `attribute_exists(pk) AND ${state} AND ${SAME_QUEUE}`,
      ExpressionAttributeNames: {
        ...SAME_QUEUE_NAMES,
        '#closure': 'closure',
        '#bytes': 'queuedBytes',
        ...(open ? { '#status': 'status' } : {}),
      },
      ExpressionAttributeValues: { ...sameQueueValues(count, first), ...(open ? running.values : {}) },
      ReturnValues: 'NONE',
    });
    return updated !== undefined;
  }
}
