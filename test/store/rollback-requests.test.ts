import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConflict } from '../../handlers/shared/errors.js';
import { DynamoIncidentStore } from '../../handlers/shared/store/dynamodb-store.js';
import { createUndoRequest } from '../../handlers/slack/undo.js';
import { SimClock } from '../../local/clock.js';
import { createDocumentClient, createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { failure } from '../support/errors.js';

const TABLE = 'rollback-request-test';
const NOW = '2026-02-23T04:20:00.000Z';
const clock = new SimClock(new Date(NOW));
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let store: DynamoIncidentStore;
let counter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, TABLE);
  store = new DynamoIncidentStore(createDocumentClient(dynamo.client), TABLE);
});
afterAll(async () => dynamo.stop());

async function request(requiredVotes: 1 | 2 = 1, expiresAt = '2026-03-02T04:20:00Z') {
  counter += 1;
  const incidentId = `20260223-${counter.toString(16).padStart(12, '0')}`;
  const nonce = await createUndoRequest(
    store,
    { incidentId, approvers: ['U0AAAAAAA1', 'U0BBBBBBB2', 'S0SECOPS01'], requiredVotes, expiresAt },
    { clock },
  );
  return { incidentId, nonce };
}

describe('rollback requests in the incident store', () => {
  it('createUndoRequest stores a pending ROLLBACK#<nonce> item with a TTL a week after expiry', async () => {
    const { incidentId, nonce } = await request();

    const { Item } = await createDocumentClient(dynamo.client).send(
      new GetCommand({ TableName: TABLE, Key: { pk: `ROLLBACK#${nonce}`, sk: 'ROLLBACK' } }),
    );

    expect(Item).toMatchObject({
      incidentId,
      status: 'pending',
      votes: [],
      requiredVotes: 1,
      expiresAt: '2026-03-02T04:20:00.000Z',
      createdAt: NOW,
      ttl: Date.parse('2026-03-09T04:20:00Z') / 1000,
    });
    expect(await store.getRollbackRequest(nonce)).toMatchObject({ nonce, incidentId, status: 'pending' });
  });

  it('an undo nonce is not an approval nonce', async () => {
    const { nonce } = await request();

    expect(await store.getApproval(nonce)).toBeUndefined();
  });

  it('refuses a nonce that is taken', async () => {
    const { nonce, incidentId } = await request();
    const existing = await store.getRollbackRequest(nonce);
    if (!existing) throw new Error('fixture');

    expect(await failure(store.putRollbackRequest({ ...existing, incidentId }))).toBeInstanceOf(StoreConflict);
  });

  it('one vote decides when one is required; the same click again is refused', async () => {
    const { nonce } = await request();

    const vote = await store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW });
    const again = await failure(store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW }));

    expect(vote).toMatchObject({
      state: 'decided',
      request: { status: 'decided', outcome: 'approved', decidedBy: ['U0AAAAAAA1'] },
    });
    expect(again.reason).toBe('already-decided');
  });

  it('concurrent clicks decide exactly once', async () => {
    const { nonce } = await request();

    const results = await Promise.allSettled(
      ['U0AAAAAAA1', 'U0BBBBBBB2', 'U0AAAAAAA1', 'U0BBBBBBB2'].map((userId) =>
        store.castRollbackVote({ nonce, userId, now: NOW }),
      ),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('the two-person rule: a first vote, the same person refused, a second person decides', async () => {
    const { nonce } = await request(2);

    const first = await store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW });
    const same = await failure(store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW }));
    const second = await store.castRollbackVote({ nonce, userId: 'U0BBBBBBB2', now: NOW });

    expect(first).toMatchObject({ state: 'vote-recorded', request: { status: 'pending', votes: ['U0AAAAAAA1'] } });
    expect(same.reason).toBe('same-approver-twice');
    expect(second).toMatchObject({ state: 'decided', request: { decidedBy: ['U0AAAAAAA1', 'U0BBBBBBB2'] } });
  });

  it('an expired request takes no vote', async () => {
    const { nonce } = await request(1, '2026-02-23T04:19:59Z');

    expect((await failure(store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW }))).reason).toBe('expired');
  });

  it('records the start: a failure until an execution is recorded, then the execution for good', async () => {
    const { nonce } = await request();
    await store.recordRollbackStart(nonce, { startError: 'too early: not decided' });
    expect((await store.getRollbackRequest(nonce))?.startError).toBeUndefined();

    await store.castRollbackVote({ nonce, userId: 'U0AAAAAAA1', now: NOW });
    await store.recordRollbackStart(nonce, { startError: 'AwsThrottling: rate exceeded' });
    expect((await store.getRollbackRequest(nonce))?.startError).toBe('AwsThrottling: rate exceeded');

    const execution = {
      name: 'undo-x',
      arn: 'arn:aws:states:us-east-1:111122223333:execution:m:undo-x',
      startedAt: NOW,
    };
    await store.recordRollbackStart(nonce, { execution });
    await store.recordRollbackStart(nonce, { startError: 'late failure of a duplicate' });

    const stored = await store.getRollbackRequest(nonce);
    expect(stored?.execution).toEqual(execution);
    expect(stored?.startError).toBeUndefined();
  });
});
