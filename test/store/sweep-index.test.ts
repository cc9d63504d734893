import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceReportRewriter, sweepStale } from '../../handlers/shared/close-sweep.js';
import type { Closure } from '../../handlers/shared/lifecycle.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { DynamoSweepStore } from '../../handlers/shared/store/dynamodb-sweep.js';
import type { IncidentRecord } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { createDocumentClient, createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { memoryEvidence } from '../support/evidence.js';
import { guardDutyEvent } from '../support/fixtures.js';

/** One request the store sent, and how many items DynamoDB read for it (`ScannedCount`, or the one item got). */
interface Request {
  readonly operation: string;
  readonly index?: string;
  readonly read: number;
  /** The `pk` of each item read (a Query or Scan's `Items`, a GetItem's `Item`). */
  readonly pks: string[];
}

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let doc: ReturnType<typeof createDocumentClient>;
let requests: Request[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = createDocumentClient(dynamo.client);
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as {
        Items?: Record<string, AttributeValue>[];
        Item?: Record<string, AttributeValue>;
        ScannedCount?: number;
      };
      const items = output.Items ?? (output.Item ? [output.Item] : []);
      requests.push({
        operation: String(context.commandName).replace(/Command$/, ''),
        index: (args.input as { IndexName?: string }).IndexName,
        read: output.ScannedCount ?? items.length,
        pks: items.flatMap((item) => (item.pk?.S ? [item.pk.S] : [])),
      });
      return result;
    },
    { step: 'initialize', name: 'recordRequests' },
  );
});
afterAll(async () => dynamo.stop());

const T0 = '2026-03-02T09:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const WEEK = 7 * 24 * 60;
const incident = normalizeFinding(guardDutyEvent()).incident as Incident;

function record(incidentId: string, patch: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    incidentId,
    status: 'contained',
    createdAt: at(0),
    updatedAt: at(0),
    executionName: `exec-${incidentId}`,
    incident,
    findingIds: [incident.findingId],
    ...patch,
  };
}

const closure = (minutes: number): Closure => ({ at: at(minutes), by: 'U024BE7LH', resolution: 'benign' });

/** A fresh table and its store (each describe has its own: the migration mark is per table). */
async function freshTable(): Promise<{ table: string; store: DynamoSweepStore }> {
  const table = `sweep-${randomUUID().slice(0, 8)}`;
  await createIncidentTable(dynamo.client, table);
  return { table, store: new DynamoSweepStore(doc, table) };
}

/** Writes an incident record as the store wrote it before the sweep index: no `sweep` key. */
async function putEarlierRecord(table: string, value: IncidentRecord): Promise<void> {
  await doc.send(
    new PutCommand({ TableName: table, Item: { ...value, pk: `INCIDENT#${value.incidentId}`, sk: 'META' } }),
  );
}

async function rawRecord(table: string, incidentId: string): Promise<Record<string, unknown> | undefined> {
  return (await doc.send(new GetCommand({ TableName: table, Key: { pk: `INCIDENT#${incidentId}`, sk: 'META' } }))).Item;
}

/** The sweep's requests while `work` runs. */
async function recording(work: () => Promise<unknown>): Promise<Request[]> {
  requests = [];
  await work();
  const seen = requests;
  requests = [];
  return seen;
}

const sweep = (store: DynamoSweepStore, clock: SimClock, objects = new Map<string, string>()) =>
  sweepStale(WEEK, {
    store,
    chat: new RecordingChat(),
    clock,
    reports: evidenceReportRewriter(memoryEvidence(objects)),
  });

/** Two sweeps of an empty table, half an hour apart: the table is marked migrated. */
async function migrated(): Promise<{ table: string; store: DynamoSweepStore }> {
  const fresh = await freshTable();
  await sweep(fresh.store, new SimClock(new Date(at(-60))));
  await sweep(fresh.store, new SimClock(new Date(at(-29))));
  return fresh;
}

const reportOf = (incidentId: string) => {
  const base = `incidents/${incidentId}/report`;
  return {
    keys: { markdownKey: `${base}.md`, jsonKey: `${base}.json` },
    objects: new Map([
      [`${base}.md`, 'Report\n'],
      [`${base}.json`, JSON.stringify({ incidentId })],
    ]),
  };
};

describe('the sweep index on the incident record', () => {
  let table: string;
  let store: DynamoSweepStore;
  beforeAll(async () => {
    ({ table, store } = await freshTable());
  });

  it('is set when the incident is created, kept by a close whose report is pending, removed when the report is done', async () => {
    const id = `idx-${randomUUID().slice(0, 8)}`;

    await store.createIncident(record(id));
    const created = await rawRecord(table, id);
    await store.closeIncident({ incidentId: id, closure: closure(10), reportPending: true });
    const pending = await rawRecord(table, id);
    await store.clearReportPending(id);
    const done = await rawRecord(table, id);

    expect(created?.sweep).toBe('INCIDENT');
    expect(pending).toMatchObject({ sweep: 'INCIDENT', closureReportPending: true });
    expect(done).not.toHaveProperty('sweep');
    expect(done).not.toHaveProperty('closureReportPending');
    expect(await store.getIncident(id)).not.toHaveProperty('sweep');
  });

  it('is removed by a close with nothing pending, and never set on a record created closed', async () => {
    const closedNow = `idx-${randomUUID().slice(0, 8)}`;
    const createdClosed = `idx-${randomUUID().slice(0, 8)}`;
    await store.createIncident(record(closedNow));
    const open = await rawRecord(table, closedNow);

    await store.closeIncident({ incidentId: closedNow, closure: closure(10) });
    await store.createIncident(record(createdClosed, { closure: closure(5) }));

    expect(open?.sweep).toBe('INCIDENT');
    expect(await rawRecord(table, closedNow)).not.toHaveProperty('sweep');
    expect(await rawRecord(table, createdClosed)).not.toHaveProperty('sweep');
  });
});

describe('the sweep on a table migrated to the sweep index', () => {
  it('closes a stale open incident found through the index, after reading it again', async () => {
    const { store } = await migrated();
    const id = `open-${randomUUID().slice(0, 8)}`;
    await store.createIncident(record(id));
    const clock = new SimClock(new Date(at(WEEK + 1)));

    let closed: string[] = [];
    const seen = await recording(async () => {
      closed = await sweep(store, clock);
    });

    expect(closed).toEqual([id]);
    expect((await store.getIncident(id))?.closure).toMatchObject({ by: 'auto', resolution: 'auto' });
    expect(seen.filter((request) => request.operation === 'Scan')).toEqual([]);
    expect(seen).toContainEqual(
      expect.objectContaining({ operation: 'Query', index: 'sweep', pks: [`INCIDENT#${id}`] }),
    );
    expect(seen).toContainEqual(expect.objectContaining({ operation: 'GetItem', pks: [`INCIDENT#${id}`] }));
  });

  it('rewrites the report of a closed incident whose closing part is pending, then it leaves the index', async () => {
    const { table, store } = await migrated();
    const id = `pending-${randomUUID().slice(0, 8)}`;
    const { keys, objects } = reportOf(id);
    await store.createIncident(record(id, { report: keys }));
    await store.closeIncident({ incidentId: id, closure: closure(10), reportPending: true });
    const clock = new SimClock(new Date(at(20)));

    const first = await recording(() => sweep(store, clock, objects));
    const again = await recording(() => sweep(store, clock, objects));

    expect(first).toContainEqual(
      expect.objectContaining({ operation: 'Query', index: 'sweep', pks: [`INCIDENT#${id}`] }),
    );
    expect(objects.get(keys.markdownKey)?.match(/CLOSED:/g)).toHaveLength(1);
    expect(JSON.parse(objects.get(keys.jsonKey) ?? '{}').closure).toMatchObject({ resolution: 'benign' });
    expect(await rawRecord(table, id)).not.toHaveProperty('closureReportPending');
    expect(again.flatMap((request) => request.pks)).not.toContain(`INCIDENT#${id}`);
  });

  it('reads no closed incident: among 40 closed ones and one open, it reads the open one only', async () => {
    const { store } = await migrated();
    const tag = randomUUID().slice(0, 8);
    const open = `open-${tag}`;
    for (let n = 0; n < 40; n += 1) {
      const id = `closed-${tag}-${n}`;
      await store.createIncident(record(id));
      // Half closed as every close is (pending, then the report done), half with nothing pending.
      await store.closeIncident({ incidentId: id, closure: closure(10), reportPending: n % 2 === 0 });
      if (n % 2 === 0) await store.clearReportPending(id);
    }
    await store.createIncident(record(open, { lastSignalAt: at(60) }));

    let closed: string[] = [];
    const seen = await recording(async () => {
      closed = await sweep(store, new SimClock(new Date(at(120))));
    });

    const incidentReads = seen.filter(
      (request) => request.operation !== 'GetItem' || request.pks[0] !== 'MIGRATION#sweep-index',
    );
    expect(closed).toEqual([]);
    expect(seen.map((request) => request.operation)).not.toContain('Scan');
    expect(incidentReads.reduce((sum, request) => sum + request.read, 0)).toBe(2);
    expect([...new Set(incidentReads.flatMap((request) => request.pks))]).toEqual([`INCIDENT#${open}`]);
  });

  it('puts an incident written before the index back in it when a signal reopens it, and then sweeps it', async () => {
    const { table, store } = await migrated();
    const id = `earlier-${randomUUID().slice(0, 8)}`;
    await putEarlierRecord(table, record(id));
    const before = await recording(() => sweep(store, new SimClock(new Date(at(WEEK + 1)))));

    const reopened = await store.reopenForDelta(id, ['contained'], { updatedAt: at(WEEK + 2) });
    const closed = await sweep(store, new SimClock(new Date(at(WEEK + 10))));

    expect(before.flatMap((request) => request.pks)).not.toContain(`INCIDENT#${id}`);
    expect(reopened).toBe(true);
    expect((await rawRecord(table, id))?.sweep).toBe('INCIDENT');
    expect(closed).toEqual([id]);
  });
  it('puts an incident written before the index back in it when a queued round reopens it', async () => {
    const { table, store } = await migrated();
    const id = `queued-${randomUUID().slice(0, 8)}`;
    const queued = { at: at(30), findingId: `finding-${id}`, delta: { buckets: ['reports-2026'] } };
    await putEarlierRecord(table, record(id, { queuedDeltas: [queued] }));

    const taken = await store.takeQueuedDeltas(id, {
      count: 1,
      first: queued,
      rest: [],
      running: ['awaiting_approval', 'containing'],
      updatedAt: at(31),
      incident,
    });
    const listed = await store.listIncidentsToSweep(at(32));

    expect(taken).toBe(true);
    expect(listed).toContainEqual({ incidentId: id });
  });
});

describe('the sweep and an index that lags the table', () => {
  it('acts on each incident as it is now: one a signal reached, one closed, one gone since the listing are left alone', async () => {
    const { table, store } = await migrated();
    const tag = randomUUID().slice(0, 8);
    const signalled = `signalled-${tag}`;
    const closedSince = `closed-${tag}`;
    await store.createIncident(record(signalled));
    await store.createIncident(record(closedSince));
    // What the index listed, as the records were then (a listing that carried them would be stale).
    const listed = [
      ...[await store.getIncident(signalled), await store.getIncident(closedSince)].flatMap((found) =>
        found ? [found] : [],
      ),
      { incidentId: `gone-${tag}` },
    ];
    await store.appendFindingId(signalled, `finding-${tag}`, at(WEEK));
    await store.closeIncident({ incidentId: closedSince, closure: closure(WEEK) });
    const lagging = Object.create(store) as DynamoSweepStore;
    lagging.listIncidentsToSweep = async () => listed;

    const closed = await sweep(lagging, new SimClock(new Date(at(WEEK + 1))));

    expect(closed).toEqual([]);
    expect((await store.getIncident(signalled))?.closure).toBeUndefined();
    expect((await store.getIncident(closedSince))?.closure).toEqual(closure(WEEK));
    expect(await rawRecord(table, closedSince)).not.toHaveProperty('closureReportPending');
  });
});

describe('the sweep on a table written before the sweep index', () => {
  it('still sweeps the records without the sweep key and adds it to those it may act on', async () => {
    const { table, store } = await freshTable();
    const tag = randomUUID().slice(0, 8);
    const stale = `stale-${tag}`;
    const fresh = `fresh-${tag}`;
    const pending = `pending-${tag}`;
    const closedOne = `closed-${tag}`;
    const { keys, objects } = reportOf(pending);
    await putEarlierRecord(table, record(stale));
    await putEarlierRecord(table, record(fresh, { lastSignalAt: at(WEEK) }));
    await putEarlierRecord(table, record(pending, { report: keys, closure: closure(5), closureReportPending: true }));
    await putEarlierRecord(table, record(closedOne, { closure: closure(5) }));

    const closed = await sweep(store, new SimClock(new Date(at(WEEK + 1))), objects);

    expect(closed).toEqual([stale]);
    expect(objects.get(keys.markdownKey)?.match(/CLOSED:/g)).toHaveLength(1);
    expect(await rawRecord(table, pending)).not.toHaveProperty('closureReportPending');
    expect((await rawRecord(table, fresh))?.sweep).toBe('INCIDENT');
    expect(await rawRecord(table, closedOne)).not.toHaveProperty('sweep');
    // Closed here, its closing part pending (the stream or the next sweep): it stays in the index until then.
    expect(await rawRecord(table, stale)).toMatchObject({ sweep: 'INCIDENT', closureReportPending: true });
  });

  it('queries the index only once scans have found no record to add the key to for half an hour', async () => {
    const { table, store } = await freshTable();
    const tag = randomUUID().slice(0, 8);
    await putEarlierRecord(table, record(`first-${tag}`, { lastSignalAt: at(WEEK) }));
    const operations = async (minutes: number) =>
      (await recording(() => sweep(store, new SimClock(new Date(at(WEEK + minutes)))))).map(
        (request) => request.operation,
      );

    const backfilling = await operations(0);
    const firstClean = await operations(5);
    // A record written without the key after that (a function still running the earlier code).
    await putEarlierRecord(table, record(`late-${tag}`, { lastSignalAt: at(WEEK) }));
    const restarted = await operations(40);
    const cleanAgain = await operations(41);
    const tooSoon = await operations(70);
    const settled = await operations(72);
    const indexed = await operations(73);

    expect(backfilling).toContain('Scan');
    expect(firstClean).toContain('Scan');
    expect(restarted).toContain('Scan');
    expect((await rawRecord(table, `late-${tag}`))?.sweep).toBe('INCIDENT');
    expect(cleanAgain).toContain('Scan');
    expect(tooSoon).toContain('Scan');
    expect(settled).toContain('Scan');
    expect(indexed).not.toContain('Scan');
    expect(indexed).toContain('Query');
  });
});
