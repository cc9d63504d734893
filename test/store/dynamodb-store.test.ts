import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { DynamoIncidentStore, DynamoRecordStore } from '../../handlers/shared/store/dynamodb-store.js';
import type { IncidentRecord, IncidentStore, UndoEntry } from '../../handlers/shared/store/types.js';
import { createDocumentClient } from '../../local/dynalite.js';
import { failure } from '../support/errors.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';

const TABLE = 'incident-store-test';
let store: IncidentStore;
let stop: () => Promise<void>;
let rawItem: Awaited<ReturnType<typeof dynaliteStore>>['rawItem'];
let doc: Awaited<ReturnType<typeof dynaliteStore>>['doc'];

const unique = (prefix: string) => `${prefix}-${randomUUID()}`;
const incident = normalizeFinding(guardDutyEvent()).incident as IncidentRecord['incident'];

beforeAll(async () => {
  ({ store, stop, rawItem, doc } = await dynaliteStore(TABLE));
});
afterAll(async () => stop());

function record(incidentId: string, overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    incidentId,
    status: 'open',
    createdAt: '2026-02-23T04:20:00.000Z',
    updatedAt: '2026-02-23T04:20:00.000Z',
    executionName: 'exec-1',
    incident,
    findingIds: [incident.findingId],
    ...overrides,
  };
}

describe('claimFinding', () => {
  it('claims a new finding id for the caller and records the counts', async () => {
    const findingId = unique('finding');

    const claim = await store.claimFinding({ findingId, incidentId: 'i-1', executionName: 'e-1', count: 3, now: 't0' });

    expect(claim).toEqual({ outcome: 'new', incidentId: 'i-1' });
    expect(await rawItem(`FINDING#${findingId}`, 'FINDING')).toMatchObject({
      incidentId: 'i-1',
      executionName: 'e-1',
      firstCount: 3,
      lastCount: 3,
      createdAt: 't0',
    });
  });

  it('answers retry to the same execution, keeping the first incident id', async () => {
    const findingId = unique('finding');
    await store.claimFinding({ findingId, incidentId: 'i-1', executionName: 'e-1', count: 1, now: 't0' });

    const retry = await store.claimFinding({ findingId, incidentId: 'i-2', executionName: 'e-1', count: 1, now: 't1' });

    expect(retry).toEqual({ outcome: 'retry', incidentId: 'i-1' });
  });

  it('links another execution as a duplicate and only ever raises lastCount', async () => {
    const findingId = unique('finding');
    const claim = (executionName: string, count: number) =>
      store.claimFinding({ findingId, incidentId: `i-${executionName}`, executionName, count, now: 't' });
    await claim('e-1', 1);

    const higher = await claim('e-2', 5);
    const lower = await claim('e-3', 2);
    const highest = await claim('e-4', 7);

    expect(higher).toEqual({ outcome: 'duplicate', incidentId: 'i-e-1', previousCount: 1 });
    expect(lower).toEqual({ outcome: 'duplicate', incidentId: 'i-e-1', previousCount: 5 });
    expect(highest).toEqual({ outcome: 'duplicate', incidentId: 'i-e-1', previousCount: 5 });
    expect(await rawItem(`FINDING#${findingId}`, 'FINDING')).toMatchObject({ firstCount: 1, lastCount: 7 });
  });

  it('lets exactly one of 20 concurrent claims of one finding id win', async () => {
    const findingId = unique('burst');

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        store.claimFinding({ findingId, incidentId: `i-${n}`, executionName: `e-${n}`, count: 1, now: 't' }),
      ),
    );

    const winners = results.filter((result) => result.outcome === 'new');
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'duplicate')).toHaveLength(19);
    expect(new Set(results.map((result) => result.incidentId))).toEqual(new Set([winners[0]?.incidentId]));
  });
});

describe('incident records', () => {
  it('creates an incident once: a second create keeps the first record', async () => {
    const id = unique('inc');

    await store.createIncident(record(id));
    await store.createIncident(record(id, { status: 'failed', executionName: 'exec-2' }));

    expect(await store.getIncident(id)).toEqual(record(id));
  });

  it('sets exactly the given fields', async () => {
    const id = unique('inc');
    await store.createIncident(record(id));

    await store.updateIncident(id, { status: 'contained', slack: { channel: 'C1', ts: '1.2' }, reportedAt: undefined });

    expect(await store.getIncident(id)).toEqual({
      ...record(id),
      status: 'contained',
      slack: { channel: 'C1', ts: '1.2' },
    });
  });

  it('returns the record after the update, so of two writers on different fields the second sees both', async () => {
    const id = unique('inc');
    await store.createIncident(record(id));
    const evidence = { at: '2026-01-01T00:05:00.000Z', status: 'unavailable' as const, reason: 'no table' };

    const first = await store.updateIncident(id, { dataEvidence: evidence });
    const second = await store.updateIncident(id, { slack: { channel: 'C1', ts: '1.2' } });

    expect(first.slack).toBeUndefined();
    expect(second).toEqual({ ...record(id), dataEvidence: evidence, slack: { channel: 'C1', ts: '1.2' } });
    expect(await store.getIncident(id)).toEqual(second);
  });

  it('throws IncidentNotFound when updating an incident that does not exist', async () => {
    const id = unique('missing');

    const error = await failure(store.updateIncident(id, { status: 'denied' }));

    expect(error.name).toBe('IncidentNotFound');
    expect(await store.getIncident(id)).toBeUndefined();
  });
});

describe('incident items', () => {
  it('lists timeline events in time order, whatever order they were added in', async () => {
    const id = unique('inc');
    await store.addEvent(id, { at: '2026-01-01T00:00:03.000Z', kind: 'c', text: 'third' });
    await store.addEvent(id, { at: '2026-01-01T00:00:01.000Z', kind: 'a', text: 'first', data: { count: 1 } });
    await store.addEvent(id, { at: '2026-01-01T00:00:02.000Z', kind: 'b', text: 'second' });

    const events = await store.listEvents(id);

    expect(events).toEqual([
      { at: '2026-01-01T00:00:01.000Z', kind: 'a', text: 'first', data: { count: 1 } },
      { at: '2026-01-01T00:00:02.000Z', kind: 'b', text: 'second' },
      { at: '2026-01-01T00:00:03.000Z', kind: 'c', text: 'third' },
    ]);
  });

  it('keeps the first undo backup, including a null prior', async () => {
    const id = unique('inc');
    const none: UndoEntry = {
      kind: 'bucketPolicy',
      target: 'b1',
      accountId: '111122223333',
      prior: null,
      savedAt: 't1',
    };
    const key: UndoEntry = {
      kind: 'accessKey',
      target: 'AKIA1',
      accountId: '111122223333',
      prior: 'Active',
      savedAt: 't1',
    };

    const first = await store.saveUndo(id, none);
    const second = await store.saveUndo(id, { ...none, prior: '{"Statement":[]}', savedAt: 't2' });
    const other = await store.saveUndo(id, key);
    const otherAgain = await store.saveUndo(id, { ...key, prior: 'Inactive', savedAt: 't2' });

    expect([first, second, other, otherAgain]).toEqual(['saved', 'exists', 'saved', 'exists']);
    expect(await store.listUndo(id)).toEqual([key, none]);
  });

  it('keeps only the latest result of each action on each target', async () => {
    const id = unique('inc');
    await store.recordAction(id, {
      action: 'denyBucketAccess',
      target: 'b1',
      result: 'failed',
      error: 'AwsThrottling',
    });
    await store.recordAction(id, { action: 'denyBucketAccess', target: 'b1', result: 'applied' });
    await store.recordAction(id, { action: 'deactivateAccessKey', target: 'AKIA1', result: 'already' });

    const actions = await store.listActions(id);

    expect(actions).toEqual([
      { action: 'deactivateAccessKey', target: 'AKIA1', result: 'already' },
      { action: 'denyBucketAccess', target: 'b1', result: 'applied' },
    ]);
  });
});

describe('SDK errors', () => {
  it('maps an unexpected DynamoDB error to a named error that names the operation', async () => {
    const missing = new DynamoIncidentStore(doc, 'no-such-table');

    const error = await failure(missing.getIncident('i-1'));

    expect(error.name).toBe('AwsResourceNotFound');
    expect(error.message).toContain('dynamodb:GetItem');
  });
});

describe('the store of the functions that never claim', () => {
  it('rejects every claim with a reason, and touches no table', async () => {
    const store = new DynamoRecordStore(createDocumentClient(new DynamoDBClient({ region: 'us-east-1' })), 'none');

    await expect(
      store.claimFinding({
        findingId: 'f',
        incidentId: 'i',
        executionName: 'e',
        count: 1,
        now: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(/only the registration function claims/);
    await expect(store.linkFinding({ findingId: 'f', incidentId: 'i' })).rejects.toThrow(/makes no claims/);
  });
});
