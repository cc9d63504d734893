import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionRejected, IncidentNotFound } from '../../handlers/shared/errors.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { createDocumentClient, DynamoIncidentStore } from '../../handlers/shared/store/dynamodb-store.js';
import type { ApprovalRecord, IncidentRecord } from '../../handlers/shared/store/types.js';
import { createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { guardDutyEvent } from '../support/fixtures.js';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let store: DynamoIncidentStore;
let sequence = 0;
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${Date.now().toString(16)}${sequence}`;
}
const incident = normalizeFinding(guardDutyEvent()).incident as IncidentRecord['incident'];

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, 'store-test');
  store = new DynamoIncidentStore(createDocumentClient(dynamo.client), 'store-test');
});
afterAll(async () => dynamo.stop());

function record(incidentId: string): IncidentRecord {
  return {
    incidentId,
    status: 'open',
    createdAt: 't0',
    updatedAt: 't0',
    executionName: 'exec-1',
    incident,
    findingIds: [incident.findingId],
  };
}

function approval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    nonce: unique('nonce'),
    incidentId: '20260223-000000000001',
    taskToken: 'token-never-shown',
    approvers: ['U1', 'U2'],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: '2030-01-01T00:00:00.000Z',
    status: 'pending',
    votes: [],
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<DecisionRejected> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DecisionRejected);
  return error as DecisionRejected;
}

describe('FINDING# claims', () => {
  it('claims a finding once: new, then retry for the same execution, duplicate for another', async () => {
    const findingId = unique('finding');
    const args = { findingId, incidentId: 'i-1', executionName: 'exec-a', count: 1, now: 't' };

    const first = await store.claimFinding(args);
    const retry = await store.claimFinding({ ...args, incidentId: 'i-2' });
    const later = await store.claimFinding({ ...args, incidentId: 'i-3', executionName: 'exec-b', count: 5 });
    const older = await store.claimFinding({ ...args, incidentId: 'i-4', executionName: 'exec-c', count: 2 });

    expect(first).toEqual({ outcome: 'new', incidentId: 'i-1' });
    expect(retry).toEqual({ outcome: 'retry', incidentId: 'i-1' });
    expect(later).toEqual({ outcome: 'duplicate', incidentId: 'i-1', previousCount: 1 });
    expect(older).toEqual({ outcome: 'duplicate', incidentId: 'i-1', previousCount: 5 });
  });

  it('lets exactly one of 20 concurrent claims win', async () => {
    const findingId = unique('burst');

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.claimFinding({ findingId, incidentId: `i-${index}`, executionName: `exec-${index}`, count: 1, now: 't' }),
      ),
    );

    const winners = results.filter((result) => result.outcome === 'new');
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((result) => result.incidentId))).toEqual(new Set([winners[0]?.incidentId]));
  });
});

describe('INCIDENT# records', () => {
  it('creates once, keeps the first record, and updates fields', async () => {
    const id = unique('inc');
    await store.createIncident(record(id));
    await store.createIncident({ ...record(id), status: 'failed' });

    await store.updateIncident(id, { status: 'contained', slack: { channel: 'C1', ts: '1.2' } });

    expect(await store.getIncident(id)).toMatchObject({
      status: 'contained',
      slack: { channel: 'C1', ts: '1.2' },
      executionName: 'exec-1',
    });
  });

  it('refuses to update an incident that does not exist', async () => {
    await expect(store.updateIncident(unique('missing'), { status: 'denied' })).rejects.toBeInstanceOf(
      IncidentNotFound,
    );
  });

  it('keeps timeline events in time order and the first undo backup only', async () => {
    const id = unique('inc');
    await store.addEvent(id, { at: '2026-01-01T00:00:02Z', kind: 'b', text: 'second' });
    await store.addEvent(id, { at: '2026-01-01T00:00:01Z', kind: 'a', text: 'first' });
    const first = await store.saveUndo(id, {
      kind: 'bucketPolicy',
      target: 'b1',
      accountId: '1',
      prior: null,
      savedAt: 't1',
    });
    const second = await store.saveUndo(id, {
      kind: 'bucketPolicy',
      target: 'b1',
      accountId: '1',
      prior: '{"changed":true}',
      savedAt: 't2',
    });

    expect((await store.listEvents(id)).map((event) => event.text)).toEqual(['first', 'second']);
    expect([first, second]).toEqual(['saved', 'exists']);
    expect(await store.listUndo(id)).toEqual([
      { kind: 'bucketPolicy', target: 'b1', accountId: '1', prior: null, savedAt: 't1' },
    ]);
  });
});

describe('APPROVAL# votes', () => {
  it('decides once: a second click is rejected as already decided', async () => {
    const request = approval();
    await store.putApproval(request);

    const vote = await store.castVote({
      nonce: request.nonce,
      userId: 'U1',
      outcome: 'approved',
      now: '2026-01-01T00:00:00Z',
      selected: ['denyBucketAccess'],
    });
    const again = await rejection(
      store.castVote({ nonce: request.nonce, userId: 'U2', outcome: 'approved', now: '2026-01-01T00:00:01Z' }),
    );

    expect(vote).toMatchObject({
      state: 'decided',
      approval: { status: 'decided', outcome: 'approved', decidedBy: ['U1'], selected: ['denyBucketAccess'] },
    });
    expect(again.reason).toBe('already-decided');
  });

  it('lets exactly one of two simultaneous clicks count', async () => {
    const request = approval();
    await store.putApproval(request);
    const click = () =>
      store.castVote({
        nonce: request.nonce,
        userId: 'U1',
        outcome: 'approved',
        now: '2026-01-01T00:00:00Z',
        selected: ['denyBucketAccess'],
      });

    const results = await Promise.allSettled([click(), click()]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
  });

  it('rejects a vote after expiry and on an unknown nonce', async () => {
    const request = approval({ expiresAt: '2026-01-01T00:00:00.000Z' });
    await store.putApproval(request);

    expect(
      (
        await rejection(
          store.castVote({ nonce: request.nonce, userId: 'U1', outcome: 'approved', now: '2026-01-01T00:00:01Z' }),
        )
      ).reason,
    ).toBe('expired');
    expect((await rejection(store.castVote({ nonce: 'nope', userId: 'U1', outcome: 'denied', now: 't' }))).reason).toBe(
      'unknown-request',
    );
  });

  it('needs two different approvers under the two-person rule, keeping what both selected', async () => {
    const request = approval({ requiredVotes: 2 });
    await store.putApproval(request);
    const now = '2026-01-01T00:00:00Z';

    const first = await store.castVote({
      nonce: request.nonce,
      userId: 'U1',
      outcome: 'approved',
      now,
      selected: ['deactivateAccessKey', 'denyBucketAccess'],
    });
    const same = await rejection(
      store.castVote({ nonce: request.nonce, userId: 'U1', outcome: 'approved', now, selected: ['denyBucketAccess'] }),
    );
    const second = await store.castVote({
      nonce: request.nonce,
      userId: 'U2',
      outcome: 'approved',
      now,
      selected: ['denyBucketAccess'],
    });

    expect(first.state).toBe('vote-recorded');
    expect(same.reason).toBe('same-approver-twice');
    expect(second).toMatchObject({
      state: 'decided',
      approval: { decidedBy: ['U1', 'U2'], selected: ['denyBucketAccess'] },
    });
  });

  it('stops a superseded request from being decided', async () => {
    const request = approval();
    await store.putApproval(request);

    await store.supersedeApproval(request.nonce);

    expect(
      (await rejection(store.castVote({ nonce: request.nonce, userId: 'U1', outcome: 'denied', now: 't' }))).reason,
    ).toBe('already-decided');
  });
});
