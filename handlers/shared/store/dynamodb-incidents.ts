import { randomBytes } from 'node:crypto';
import { IncidentNotFound, StoreConflict } from '../errors.js';
import type { Closure } from '../lifecycle.js';
import type { Incident } from '../schemas/incident.js';
import type { ActionResult } from '../schemas/plan.js';
import { incidentKey, incidentPk, stripKeys } from './dynamodb-items.js';
import type { DynamoTable, Item } from './dynamodb-table.js';
import { SWEEP_ATTRIBUTE, SWEEP_VALUE, sweepAttribute } from './sweep-index.js';
import {
  type CloseOutcome,
  type DeltaReopen,
  type IncidentRecord,
  type IncidentStatus,
  type IncidentStore,
  MAX_FINDING_IDS,
  MAX_SIGNAL_SOURCE_IPS,
  type TimelineEvent,
  type UndoEntry,
  type UndoKind,
} from './types.js';

type IncidentPatch = Parameters<IncidentStore['updateIncident']>[1];

type IncidentMethods =
  | 'appendFindingId'
  | 'reopenForDelta'
  | 'addSignalSourceIps'
  | 'createIncident'
  | 'closeIncident'
  | 'getIncident'
  | 'updateIncident'
  | 'addEvent'
  | 'listEvents'
  | 'saveUndo'
  | 'listUndo'
  | 'addUndoSids'
  | 'recordAction'
  | 'listActions';

/**
 * One incident's partition (`INCIDENT#<id>`) in `DynamoIncidentStore`: the record (`META`), its
 * timeline (`EVENT#`), the prior states saved before containment (`UNDO#`) and the action
 * results (`ACTION#`).
 */
export class DynamoIncidents implements Pick<IncidentStore, IncidentMethods> {
  constructor(private readonly table: DynamoTable) {}

  async appendFindingId(incidentId: string, findingId: string, now: string): Promise<IncidentRecord> {
    const key = incidentKey(incidentId);
    // Listed while the list has room, else counted (its id is in its timeline line and on its claim).
    for (const [set, below, one] of [
      ['SET #findingIds = list_append(#findingIds, :one),', '<', [findingId]],
      ['ADD #omitted :one SET', '>=', 1],
    ] as const) {
      const updated = await this.table.update(key, {
        UpdateExpression: `${set} #updatedAt = :now, #lastSignalAt = :now`,
        ConditionExpression: `attribute_exists(pk) AND NOT contains(#findingIds, :findingId) AND attribute_not_exists(#closure) AND size(#findingIds) ${below} :max`,
        ExpressionAttributeNames: {
          '#findingIds': 'findingIds',
          '#updatedAt': 'updatedAt',
          '#lastSignalAt': 'lastSignalAt',
          '#closure': 'closure',
          ...(one === 1 ? { '#omitted': 'findingIdsOmitted' } : {}),
        },
        ExpressionAttributeValues: { ':one': one, ':findingId': findingId, ':now': now, ':max': MAX_FINDING_IDS },
        ReturnValues: 'ALL_NEW',
      });
      if (updated?.Attributes) return stripKeys<IncidentRecord>(updated.Attributes);
    }
    const item = await this.table.get(key);
    if (!item) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    const record = stripKeys<IncidentRecord>(item);
    if (record.findingIds.includes(findingId)) return record;
    // Closed between the correlation and this fold: the signal is not folded into a closed
    // incident (the registration is retried, finds it closed and opens its own).
    throw new StoreConflict(
      `incident ${incidentId} was closed (or changed) while a signal was folding into it; try again`,
    );
  }

  async addSignalSourceIps(incidentId: string, ips: readonly string[]): Promise<string[]> {
    const key = incidentKey(incidentId);
    let fresh = [...new Set(ips)];
    let kept: number | undefined;
    // First all of them while they fit; else as many new ones as there is room for, the rest counted.
    for (let attempt = 0; attempt < 2 && fresh.length > 0; attempt += 1) {
      const taken = fresh.slice(0, Math.max(0, MAX_SIGNAL_SOURCE_IPS - (kept ?? 0)));
      const omitted = fresh.length - taken.length;
      const added = await this.table.update(key, {
        UpdateExpression: `ADD ${[...(taken.length ? ['#ips :ips'] : []), ...(omitted ? ['#omitted :n'] : [])].join(', ')}`,
        ConditionExpression: kept
          ? 'size(#ips) = :size'
          : 'attribute_exists(pk) AND (attribute_not_exists(#ips) OR size(#ips) <= :size)',
        ExpressionAttributeNames: {
          '#ips': 'signalSourceIps',
          ...(omitted ? { '#omitted': 'signalSourceIpsOmitted' } : {}),
        },
        ExpressionAttributeValues: {
          ...(taken.length ? { ':ips': new Set(taken) } : {}),
          ...(omitted ? { ':n': omitted } : {}),
          ':size': kept ?? MAX_SIGNAL_SOURCE_IPS - taken.length,
        },
        ReturnValues: 'NONE',
      });
      if (added) return fresh.slice(taken.length);
      if (kept) break;
      const item = await this.table.get(key);
      if (!item) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
      const known = new Set(stripKeys<IncidentRecord>(item).signalSourceIps);
      fresh = fresh.filter((ip) => !known.has(ip));
      kept = known.size;
    }
    if (fresh.length > 0) throw new StoreConflict(`the source addresses of incident ${incidentId} changed; try again`);
    return [];
  }

  /**
   * One conditional update (`attribute_not_exists(closure)`); the status is not touched. The same
   * write keeps the incident in the sweep index while its report is pending, and takes it out otherwise.
   */
  async closeIncident(args: {
    incidentId: string;
    closure: Closure;
    reportPending?: boolean;
    lastSignalAt?: string | null;
  }): Promise<CloseOutcome> {
    const key = incidentKey(args.incidentId);
    const closure = Object.fromEntries(Object.entries(args.closure).filter(([, value]) => value !== undefined));
    const updated = await this.table.update(key, {
      UpdateExpression: args.reportPending
        ? 'SET #closure = :closure, #updatedAt = :at, #pending = :true, #sweep = :sweep'
        : 'SET #closure = :closure, #updatedAt = :at REMOVE #sweep',
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#closure)${
        args.lastSignalAt === undefined
          ? ''
          : args.lastSignalAt === null
            ? ' AND attribute_not_exists(#last)'
            : ' AND #last = :last'
      }`,
      ExpressionAttributeNames: {
        '#closure': 'closure',
        '#updatedAt': 'updatedAt',
        '#sweep': SWEEP_ATTRIBUTE,
        ...(args.reportPending ? { '#pending': 'closureReportPending' } : {}),
        ...(args.lastSignalAt !== undefined ? { '#last': 'lastSignalAt' } : {}),
      },
      ExpressionAttributeValues: {
        ':closure': closure,
        ':at': args.closure.at,
        ...(args.reportPending ? { ':true': true, ':sweep': SWEEP_VALUE } : {}),
        ...(typeof args.lastSignalAt === 'string' ? { ':last': args.lastSignalAt } : {}),
      },
      ReturnValues: 'ALL_NEW',
    });
    if (updated?.Attributes) return { outcome: 'closed', record: stripKeys<IncidentRecord>(updated.Attributes) };
    const item = await this.table.get(key);
    if (!item) throw new IncidentNotFound(`incident ${args.incidentId} is not in the store`);
    const record = stripKeys<IncidentRecord>(item);
    if (!record.closure) throw new StoreConflict(`incident ${args.incidentId} changed while closing; try again`);
    return { outcome: 'already-closed', record: { ...record, closure: record.closure } };
  }

  async reopenForDelta(
    incidentId: string,
    from: readonly IncidentStatus[],
    patch: { updatedAt: string; incident?: Incident; reopenedBy?: DeltaReopen },
  ): Promise<boolean> {
    const key = incidentKey(incidentId);
    const statuses = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
    const sets = [
      ...(patch.incident ? [', #incident = :incident'] : []),
      ...(patch.reopenedBy ? [', #reopenedBy = :reopenedBy'] : []),
    ].join('');
    const updated = await this.table.update(key, {
      UpdateExpression: `SET #status = :open, #updatedAt = :at, #sweep = :sweep${sets}`,
      ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#closure) AND #status IN (${Object.keys(statuses).join(', ')})`,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#updatedAt': 'updatedAt',
        '#closure': 'closure',
        '#sweep': SWEEP_ATTRIBUTE,
        ...(patch.incident ? { '#incident': 'incident' } : {}),
        ...(patch.reopenedBy ? { '#reopenedBy': 'reopenedBy' } : {}),
      },
      ExpressionAttributeValues: {
        ':open': 'open',
        ':at': patch.updatedAt,
        ':sweep': SWEEP_VALUE,
        ...statuses,
        ...(patch.incident ? { ':incident': patch.incident } : {}),
        ...(patch.reopenedBy ? { ':reopenedBy': patch.reopenedBy } : {}),
      },
      ReturnValues: 'NONE',
    });
    if (updated) return true;
    if (!(await this.table.get(key))) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    return false;
  }

  /** Written in the sweep index unless the record is already closed with nothing pending. */
  async createIncident(record: IncidentRecord): Promise<void> {
    await this.table.putIfAbsent({ ...record, ...incidentKey(record.incidentId), ...sweepAttribute(record) });
  }

  async getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    const item = await this.table.get(incidentKey(incidentId));
    return item && stripKeys<IncidentRecord>(item);
  }

  async updateIncident(incidentId: string, patch: IncidentPatch): Promise<IncidentRecord> {
    const fields = Object.entries(patch).filter(([, value]) => value !== undefined);
    const key = incidentKey(incidentId);
    const notFound = () => new IncidentNotFound(`incident ${incidentId} is not in the store`);
    if (fields.length === 0) {
      const item = await this.table.get(key);
      if (!item) throw notFound();
      return stripKeys<IncidentRecord>(item);
    }
    const names: Record<string, string> = {};
    const values: Item = {};
    const sets = fields.map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    const updated = await this.table.update(key, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    if (!updated?.Attributes) throw notFound();
    return stripKeys<IncidentRecord>(updated.Attributes);
  }

  async addEvent(incidentId: string, event: TimelineEvent): Promise<void> {
    const sk = `EVENT#${event.at}#${randomBytes(4).toString('hex')}`;
    await this.table.put({ ...event, pk: incidentPk(incidentId), sk });
  }

  async listEvents(incidentId: string): Promise<TimelineEvent[]> {
    return this.table.query<TimelineEvent>(incidentId, 'EVENT#');
  }

  async saveUndo(incidentId: string, entry: UndoEntry): Promise<'saved' | 'exists'> {
    const saved = await this.table.putIfAbsent({
      ...entry,
      pk: incidentPk(incidentId),
      sk: `UNDO#${entry.kind}#${entry.target}`,
    });
    return saved ? 'saved' : 'exists';
  }

  async listUndo(incidentId: string): Promise<UndoEntry[]> {
    return this.table.query<UndoEntry>(incidentId, 'UNDO#');
  }

  async addUndoSids(incidentId: string, kind: UndoKind, target: string, sids: readonly string[]): Promise<void> {
    if (sids.length === 0) return;
    const updated = await this.table.update(
      { pk: incidentPk(incidentId), sk: `UNDO#${kind}#${target}` },
      {
        UpdateExpression: 'SET #sids = list_append(if_not_exists(#sids, :none), :sids)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#sids': 'sids' },
        ExpressionAttributeValues: { ':none': [], ':sids': [...sids] },
        ReturnValues: 'NONE',
      },
    );
    if (!updated) throw new IncidentNotFound(`incident ${incidentId} has no saved prior state of ${kind} ${target}`);
  }

  async recordAction(incidentId: string, result: ActionResult): Promise<void> {
    await this.table.put({ ...result, pk: incidentPk(incidentId), sk: `ACTION#${result.action}#${result.target}` });
  }

  async listActions(incidentId: string): Promise<ActionResult[]> {
    return this.table.query<ActionResult>(incidentId, 'ACTION#');
  }
}
