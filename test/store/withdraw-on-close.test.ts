import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestApproval } from '../../handlers/request-approval/core.js';
import { closeIncident } from '../../handlers/shared/close.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { DecisionRejected } from '../../handlers/shared/errors.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { ApprovalRecord, IncidentRecord, LifecycleStore } from '../../handlers/shared/store/types.js';
import { decide } from '../../handlers/slack/decide.js';
import { TokenBroker } from '../../local/broker.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { failure } from '../support/errors.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

const T0 = '2026-02-23T04:20:00.000Z';
const EXPIRES = '2026-02-24T04:20:00.000Z';
const APPROVER = 'U024BE7LH';

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('withdraw-test'));
});
afterAll(async () => stop());

/** An incident waiting on a pending approval request whose task token the broker issued. */
async function waiting(status: IncidentRecord['status'] = 'awaiting_approval', approval: Partial<ApprovalRecord> = {}) {
  const incidentId = `20260223-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const nonce = randomUUID();
  const broker = new TokenBroker();
  const { token, settled } = broker.issue();
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  await store.createIncident({
    incidentId,
    status,
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
    plan: { items: [], recommendations: [], notPlanned: [] },
    approval: { nonce, deadline: EXPIRES, round: 1 },
    slack: { channel: 'C0INCIDENTS', ts: '1700000000.000100' },
  });
  await store.putApproval({
    nonce,
    incidentId,
    taskToken: token,
    approvers: [APPROVER],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey'],
    expiresAt: EXPIRES,
    status: 'pending',
    votes: [],
    ...approval,
  });
  return { incidentId, nonce, broker, token, settled };
}

const ports = (broker: TokenBroker, chat = new RecordingChat()) => ({
  store,
  chat,
  clock: new SimClock(new Date('2026-02-23T04:30:00.000Z')),
  callbacks: broker,
});

const click = (nonce: string, broker: TokenBroker) =>
  decide(
    { nonce, userId: APPROVER, outcome: 'approved', selected: ['deactivateAccessKey'], via: 'slack' },
    ports(broker),
  );

describe('closing withdraws the pending approval request', () => {
  it('marks the request withdrawn and ends the waiting task with ApprovalWithdrawn naming the closer', async () => {
    const { incidentId, nonce, broker, settled } = await waiting();

    const result = await closeIncident({ incidentId, by: 'cli:alice', resolution: 'benign' }, ports(broker));

    expect(result).toMatchObject({ state: 'closed', approval: { state: 'withdrawn', nonce } });
    await expect(settled).rejects.toMatchObject({
      name: 'ApprovalWithdrawn',
      message: expect.stringContaining('closed by cli:alice (benign)'),
    });
    expect(await store.getApproval(nonce)).toMatchObject({
      status: 'withdrawn',
      withdrawn: { by: 'cli:alice', resolution: 'benign' },
    });
  });

  it('a click after the close is refused as closed, casts no vote and sends nothing', async () => {
    const { incidentId, nonce, broker } = await waiting();
    await closeIncident({ incidentId, by: 'cli:alice', resolution: 'benign' }, ports(broker));
    const before = await store.getApproval(nonce);

    const error = await click(nonce, broker).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DecisionRejected);
    expect(error).toMatchObject({ reason: 'withdrawn', message: expect.stringContaining('the incident was closed') });
    expect(await store.getApproval(nonce)).toEqual(before);
    expect((await store.getIncident(incidentId))?.decision).toBeUndefined();
  });

  it('a click on a closed incident whose request is still pending is refused and sends nothing', async () => {
    const { incidentId, nonce, broker } = await waiting();
    await store.closeIncident({
      incidentId,
      closure: { at: T0, by: 'cli:bob', resolution: 'true_positive' },
    });

    const error = await click(nonce, broker).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'DecisionRejected', reason: 'withdrawn' });
    expect(broker.outstanding).toBe(1);
    expect((await store.getApproval(nonce))?.status).toBe('pending');
  });

  it('of a click and a close racing on one request exactly one wins, and the close is recorded either way', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { incidentId, nonce, broker, settled } = await waiting();

      const [clicked, closed] = await Promise.allSettled([
        click(nonce, broker),
        closeIncident({ incidentId, by: 'cli:alice', resolution: 'benign' }, ports(broker)),
      ]);

      const record = await store.getIncident(incidentId);
      const approval = await store.getApproval(nonce);
      expect(record?.closure?.by).toBe('cli:alice');
      expect(closed.status).toBe('fulfilled');
      const answer = closed.status === 'fulfilled' ? closed.value : undefined;
      const outcome = await settled.then(
        () => 'approved',
        (error: Error) => error.name,
      );
      if (clicked.status === 'fulfilled') {
        expect(approval?.status).toBe('decided');
        expect(outcome).toBe('approved');
        expect(answer).toMatchObject({
          state: 'closed',
          approval: { state: 'already-approved', decidedBy: [APPROVER] },
        });
      } else {
        expect(approval?.status).toBe('withdrawn');
        expect(outcome).toBe('ApprovalWithdrawn');
        expect(answer).toMatchObject({ state: 'closed', approval: { state: 'withdrawn' } });
      }
    }
  });

  it('a close while approved containment is running lets it finish, says so, and sends nothing', async () => {
    const { incidentId, nonce, broker } = await waiting('containing', {
      status: 'decided',
      outcome: 'approved',
      decidedBy: [APPROVER],
      decidedAt: T0,
      selected: ['deactivateAccessKey'],
    });
    const chat = new RecordingChat();

    const result = await closeIncident(
      { incidentId, by: 'cli:alice', resolution: 'true_positive' },
      ports(broker, chat),
    );

    expect(result).toMatchObject({ approval: { state: 'already-approved', decidedBy: [APPROVER], decidedAt: T0 } });
    expect(broker.outstanding).toBe(1);
    expect((await store.getApproval(nonce))?.status).toBe('decided');
    const events = await store.listEvents(incidentId);
    expect(events.map((event) => event.kind)).toContain('closed-while-containing');
    expect(chat.messages.map((entry) => entry.message.text).join('\n')).toContain('runs to the end');
  });

  it('a close after the containment phase ended says nothing about the approval', async () => {
    const { incidentId, broker } = await waiting('contained', {
      status: 'decided',
      outcome: 'approved',
      decidedBy: [APPROVER],
      decidedAt: T0,
    });

    const result = await closeIncident({ incidentId, by: 'cli:alice', resolution: 'true_positive' }, ports(broker));

    expect(result).toMatchObject({ approval: { state: 'none' } });
  });

  it('without a Step Functions port the request is still withdrawn, and the task is left to its re-ping', async () => {
    const { incidentId, nonce, broker } = await waiting();

    await closeIncident(
      { incidentId, by: 'auto', resolution: 'auto' },
      { store, chat: new RecordingChat(), clock: new SimClock(new Date(T0)) },
    );

    expect((await store.getApproval(nonce))?.status).toBe('withdrawn');
    expect(broker.outstanding).toBe(1);
  });

  it('a re-ping of a closed incident asks nothing, withdraws what is still pending and ends with ApprovalWithdrawn', async () => {
    const { incidentId, nonce } = await waiting();
    await store.closeIncident({ incidentId, closure: { at: T0, by: 'cli:bob', resolution: 'benign' } });
    const chat = new RecordingChat();
    const incident = normalizeFinding(guardDutyEvent()).incident as Incident;

    const error = await failure(
      runTask(
        requestApproval,
        {
          taskToken: 'token-round-2',
          incidentId,
          incident,
          settings: testSettings({ approvalTimeoutSeconds: 3600 }),
          plan: { items: [], recommendations: [], notPlanned: [], count: 0 },
          enrichment: {},
        },
        { store, chat, clock: new SimClock(new Date(T0)), random: { token: () => randomUUID() } },
      ),
    );

    expect(error).toMatchObject({ name: 'ApprovalWithdrawn', message: expect.stringContaining('closed by cli:bob') });
    expect((await store.getApproval(nonce))?.status).toBe('withdrawn');
    expect(chat.messages).toEqual([]);
  });
});
