import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionRejected } from '../../handlers/shared/errors.js';
import { DynamoIncidentStore } from '../../handlers/shared/store/dynamodb-store.js';
import type { ApprovalRecord } from '../../handlers/shared/store/types.js';
import { createDocumentClient, createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { failure } from '../support/errors.js';

const TABLE = 'approval-store-test';
const NOW = '2026-02-23T05:00:00.000Z';
const EXPIRES = '2026-02-24T04:20:00.000Z';
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let store: DynamoIncidentStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, TABLE);
  store = new DynamoIncidentStore(createDocumentClient(dynamo.client), TABLE);
});
afterAll(async () => dynamo.stop());

async function pending(overrides: Partial<ApprovalRecord> = {}): Promise<ApprovalRecord> {
  const request: ApprovalRecord = {
    nonce: `nonce-${randomUUID()}`,
    incidentId: `inc-${randomUUID()}`,
    taskToken: 'token-never-shown',
    approvers: ['U1', 'U2', 'U3'],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: EXPIRES,
    status: 'pending',
    votes: [],
    ...overrides,
  };
  await store.putApproval(request);
  return request;
}

const approve = (nonce: string, userId: string, selected: string[], now = NOW) =>
  store.castVote({ nonce, userId, outcome: 'approved', now, selected });

describe('approval requests', () => {
  it('stores a request with a ttl a week after expiry and reads it back without table attributes', async () => {
    const request = await pending();

    const stored = await store.getApproval(request.nonce);
    const raw = await createDocumentClient(dynamo.client).send(
      new GetCommand({ TableName: TABLE, Key: { pk: `APPROVAL#${request.nonce}`, sk: 'APPROVAL' } }),
    );

    expect(stored).toEqual(request);
    expect(raw.Item?.ttl).toBe(Date.parse(EXPIRES) / 1000 + 7 * 24 * 3600);
  });

  it('refuses a second request under the same nonce with StoreConflict', async () => {
    const request = await pending();

    const error = await failure(store.putApproval({ ...request, taskToken: 'other-token' }));

    expect(error.name).toBe('StoreConflict');
    expect((await store.getApproval(request.nonce))?.taskToken).toBe('token-never-shown');
  });

  it('supersedes a pending request, which can then no longer be decided', async () => {
    const request = await pending();

    await store.supersedeApproval(request.nonce);
    const error = await failure(store.castVote({ nonce: request.nonce, userId: 'U1', outcome: 'denied', now: NOW }));

    expect((await store.getApproval(request.nonce))?.status).toBe('superseded');
    expect(error.name).toBe('DecisionRejected');
    expect(error.reason).toBe('already-decided');
  });

  it('leaves a decided request as it is when asked to supersede it', async () => {
    const request = await pending();
    await approve(request.nonce, 'U1', ['denyBucketAccess']);

    await store.supersedeApproval(request.nonce);

    expect(await store.getApproval(request.nonce)).toMatchObject({ status: 'decided', outcome: 'approved' });
  });
});

describe('castVote with one approver', () => {
  it('decides once with the selection, and rejects a second click as already decided', async () => {
    const request = await pending();

    const vote = await approve(request.nonce, 'U1', ['denyBucketAccess']);
    const again = await failure(approve(request.nonce, 'U2', ['denyBucketAccess']));

    expect(vote).toEqual({
      state: 'decided',
      approval: {
        ...request,
        status: 'decided',
        outcome: 'approved',
        decidedBy: ['U1'],
        decidedAt: NOW,
        selected: ['denyBucketAccess'],
      },
      previous: request,
    });
    expect(again.name).toBe('DecisionRejected');
    expect(again.reason).toBe('already-decided');
  });

  it('decides a denial at once, with its reason', async () => {
    const request = await pending({ requiredVotes: 2 });

    const vote = await store.castVote({
      nonce: request.nonce,
      userId: 'U2',
      outcome: 'denied',
      now: NOW,
      reason: 'known pentest',
    });

    expect(vote).toMatchObject({
      state: 'decided',
      approval: { status: 'decided', outcome: 'denied', decidedBy: ['U2'], decidedAt: NOW, reason: 'known pentest' },
    });
    expect(vote.approval.selected).toBeUndefined();
  });

  it('rejects a vote at or after expiry and leaves the request pending', async () => {
    const request = await pending();

    const atExpiry = await failure(approve(request.nonce, 'U1', ['denyBucketAccess'], EXPIRES));
    const later = await failure(
      store.castVote({ nonce: request.nonce, userId: 'U1', outcome: 'denied', now: '2026-03-01T00:00:00.000Z' }),
    );

    expect([atExpiry.name, atExpiry.reason]).toEqual(['DecisionRejected', 'expired']);
    expect([later.name, later.reason]).toEqual(['DecisionRejected', 'expired']);
    expect((await store.getApproval(request.nonce))?.status).toBe('pending');
  });

  it('rejects a vote on an unknown nonce', async () => {
    const error = await failure(approve(`nonce-${randomUUID()}`, 'U1', ['denyBucketAccess']));

    expect(error.name).toBe('DecisionRejected');
    expect(error.reason).toBe('unknown-request');
  });

  it('counts exactly one of two simultaneous clicks by the same user', async () => {
    const request = await pending();

    const results = await Promise.allSettled([
      approve(request.nonce, 'U1', ['denyBucketAccess']),
      approve(request.nonce, 'U1', ['denyBucketAccess']),
    ]);

    const decided = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(decided).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toBeInstanceOf(DecisionRejected);
    expect(rejected[0]).toMatchObject({ name: 'DecisionRejected', reason: 'already-decided' });
  });
});

describe('castVote under the two-person rule', () => {
  it('records the first vote, rejects the same user again, and decides on a second user with the common selection', async () => {
    const request = await pending({ requiredVotes: 2 });

    const first = await approve(request.nonce, 'U1', ['deactivateAccessKey', 'denyBucketAccess']);
    const same = await failure(approve(request.nonce, 'U1', ['denyBucketAccess']));
    const second = await approve(request.nonce, 'U2', ['denyBucketAccess']);

    expect(first).toMatchObject({
      state: 'vote-recorded',
      approval: { status: 'pending', votes: ['U1'], selected: ['deactivateAccessKey', 'denyBucketAccess'] },
    });
    expect(same.name).toBe('DecisionRejected');
    expect(same.reason).toBe('same-approver-twice');
    expect(second).toMatchObject({
      state: 'decided',
      approval: {
        status: 'decided',
        outcome: 'approved',
        votes: ['U1', 'U2'],
        decidedBy: ['U1', 'U2'],
        decidedAt: NOW,
        selected: ['denyBucketAccess'],
      },
    });
  });

  it('counts both of two different approvers clicking at the same time', async () => {
    const request = await pending({ requiredVotes: 2 });

    const results = await Promise.all([
      approve(request.nonce, 'U1', ['denyBucketAccess']),
      approve(request.nonce, 'U2', ['denyBucketAccess', 'deactivateAccessKey']),
    ]);

    expect(results.map((result) => result.state).sort()).toEqual(['decided', 'vote-recorded']);
    expect(await store.getApproval(request.nonce)).toMatchObject({
      status: 'decided',
      outcome: 'approved',
      selected: ['denyBucketAccess'],
    });
  });

  it('rejects a vote after the second approver decided', async () => {
    const request = await pending({ requiredVotes: 2 });
    await approve(request.nonce, 'U1', ['denyBucketAccess']);
    await approve(request.nonce, 'U2', ['denyBucketAccess']);

    const third = await failure(approve(request.nonce, 'U3', ['denyBucketAccess']));

    expect(third.name).toBe('DecisionRejected');
    expect(third.reason).toBe('already-decided');
  });
});

describe('castVote when the two approvers select nothing in common', () => {
  it('decides nothing, clears both votes and keeps the request open', async () => {
    const request = await pending({ requiredVotes: 2 });
    await approve(request.nonce, 'U1', ['startMacieJob', 'deactivateAccessKey']);

    const second = await approve(request.nonce, 'U2', ['denyBucketAccess']);

    expect(second).toMatchObject({
      state: 'no-overlap',
      firstVoter: 'U1',
      firstSelected: ['startMacieJob', 'deactivateAccessKey'],
      approval: { status: 'pending', votes: [], selected: [] },
    });
    expect(await store.getApproval(request.nonce)).toEqual({ ...request, votes: [], selected: [] });
  });

  it('lets both vote again afterwards, and then decides on what they share', async () => {
    const request = await pending({ requiredVotes: 2 });
    await approve(request.nonce, 'U1', ['deactivateAccessKey']);
    await approve(request.nonce, 'U2', ['denyBucketAccess']);

    const again = [
      await approve(request.nonce, 'U1', ['deactivateAccessKey', 'denyBucketAccess']),
      await approve(request.nonce, 'U2', ['denyBucketAccess']),
    ];

    expect(again.map((vote) => vote.state)).toEqual(['vote-recorded', 'decided']);
    expect(again[1]?.approval).toMatchObject({ decidedBy: ['U1', 'U2'], selected: ['denyBucketAccess'] });
  });
});

describe('withdrawVote', () => {
  it('puts a decided request back as it was before the vote, and it can be decided again', async () => {
    const request = await pending();
    const vote = await approve(request.nonce, 'U1', ['denyBucketAccess']);

    const withdrawn = await store.withdrawVote(vote);
    const restored = await store.getApproval(request.nonce);
    const again = await approve(request.nonce, 'U1', ['denyBucketAccess'], '2026-02-23T05:01:00.000Z');

    expect(withdrawn).toBe(true);
    expect(restored).toEqual(request);
    expect(again.state).toBe('decided');
  });

  it('restores the first approver’s vote and selection when the second approval is withdrawn', async () => {
    const request = await pending({ requiredVotes: 2 });
    await approve(request.nonce, 'U1', ['deactivateAccessKey', 'denyBucketAccess']);
    const decisive = await approve(request.nonce, 'U2', ['denyBucketAccess']);

    await store.withdrawVote(decisive);

    expect(await store.getApproval(request.nonce)).toEqual({
      ...request,
      votes: ['U1'],
      selected: ['deactivateAccessKey', 'denyBucketAccess'],
    });
  });

  it('withdraws a denial too', async () => {
    const request = await pending();
    const denial = await store.castVote({
      nonce: request.nonce,
      userId: 'U1',
      outcome: 'denied',
      now: NOW,
      reason: 'ok',
    });

    expect(await store.withdrawVote(denial)).toBe(true);
    expect(await store.getApproval(request.nonce)).toEqual(request);
  });

  it('changes nothing when the request is no longer the one the vote wrote', async () => {
    const request = await pending();
    const vote = await approve(request.nonce, 'U1', ['denyBucketAccess']);
    const other = { ...vote.approval, decidedAt: '2026-02-23T05:00:00.001Z' };
    const otherVoter = { ...vote.approval, decidedBy: ['U2'] };

    const results = [
      await store.withdrawVote({ previous: vote.previous, approval: other }),
      await store.withdrawVote({ previous: vote.previous, approval: otherVoter }),
    ];

    expect(results).toEqual([false, false]);
    expect(await store.getApproval(request.nonce)).toEqual(vote.approval);
  });
});
