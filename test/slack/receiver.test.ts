import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { buildSlackApp } from '../../handlers/slack/app.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { interactionBody, signedSlackEvent } from '../../local/slack-signing.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';

const SECRET = 'test-signing-secret';
let store: IncidentStore;
let stopStore: () => Promise<void>;
let slack: FakeSlack;
let responseUrl: string;
let slackApiUrl: string;
/** What was posted to the response URL, in order. */
const responses = () =>
  slack.requests
    .filter((request) => request.method === 'response_url')
    .map((request) => request.fields as { text?: string });
/** The Web API methods called, in order (the receiver's `auth.test` apart). */
const apiCalls = () =>
  slack.requests
    .filter((request) => request.method !== 'response_url' && request.method !== 'auth.test')
    .map((request) => request.method);
const callbacks: { kind: string; output?: unknown; error?: string }[] = [];
const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
let counter = 0;

beforeAll(async () => {
  ({ store, stop: stopStore } = await dynaliteStore('slack-test'));
  slack = await startFakeSlack((request) =>
    request.method === 'auth.test'
      ? { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0000001', url: 'https://example.slack.com/' }
      : { ok: true },
  );
  ({ responseUrl, apiUrl: slackApiUrl } = slack);
});
afterAll(async () => {
  await stopStore();
  await slack.stop();
});

async function pendingApproval(): Promise<string> {
  counter += 1;
  const incidentId = `20260223-${counter.toString(16).padStart(12, '0')}`;
  const nonce = `nonce-${counter}-${Date.now()}`;
  const incident = normalizeFinding(guardDutyEvent()).incident;
  if (!incident) throw new Error('fixture');
  await store.createIncident({
    incidentId,
    status: 'awaiting_approval',
    createdAt: 't',
    updatedAt: 't',
    executionName: 'e',
    incident,
    findingIds: [incident.findingId],
    plan: { items: [], recommendations: [], notPlanned: [] },
  });
  await store.putApproval({
    nonce,
    incidentId,
    taskToken: `token-${counter}`,
    approvers: ['U024BE7LH'],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: '2026-02-24T04:20:00.000Z',
    status: 'pending',
    votes: [],
  });
  return nonce;
}

function signedEvent(payload: unknown, options: { secret?: string; timestamp?: number } = {}) {
  return signedSlackEvent(interactionBody(payload), { secret: options.secret ?? SECRET, timestamp: options.timestamp });
}

function click(nonce: string, userId: string, actionId = 'approve_plan', selected = ['denyBucketAccess']) {
  return {
    type: 'block_actions',
    api_app_id: 'A0RESPONDER',
    token: 'legacy-verification-token',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: userId, username: 'responder', team_id: 'T0000001' },
    channel: { id: 'C0SECOPS01', name: 'secops' },
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: 'C0SECOPS01' },
    trigger_id: '123.456.abc',
    response_url: responseUrl,
    state: {
      values: {
        decision: {
          select_actions: {
            type: 'checkboxes',
            selected_options: selected.map((value) => ({ value, text: { type: 'plain_text', text: value } })),
          },
        },
      },
    },
    actions: [
      { type: 'button', action_id: actionId, block_id: 'decision', value: nonce, action_ts: '1700000001.000001' },
    ],
  };
}

async function handler() {
  const { receiver } = buildSlackApp({
    signingSecret: SECRET,
    botToken: 'xoxb-test',
    slackApiUrl,
    ports: {
      store,
      chat: new RecordingChat(),
      clock,
      rollback: {
        startRollback: async () => {
          throw new Error('no rollback in these tests');
        },
      },
      callbacks: {
        sendTaskSuccess: async ({ output }) => {
          callbacks.push({ kind: 'success', output });
        },
        sendTaskFailure: async ({ error }) => {
          callbacks.push({ kind: 'failure', error });
        },
      },
    },
  });
  return receiver.start();
}

describe('the Slack interaction endpoint (real Bolt receiver, signed requests)', () => {
  it('an approver’s click sends exactly one SendTaskSuccess with the selected actions; a second click changes nothing', async () => {
    const handle = await handler();
    const nonce = await pendingApproval();
    callbacks.length = 0;

    const first = await handle(signedEvent(click(nonce, 'U024BE7LH')) as never, {} as never);
    const second = await handle(signedEvent(click(nonce, 'U024BE7LH')) as never, {} as never);

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(callbacks).toEqual([
      {
        kind: 'success',
        output: expect.objectContaining({ outcome: 'approved', decidedBy: ['U024BE7LH'], via: 'slack' }),
      },
    ]);
    expect(responses().at(-1)?.text).toMatch(/already been decided/);
  });

  it('deny opens the reason modal and sends nothing until it is submitted (interactions.test.ts submits it)', async () => {
    const handle = await handler();
    const nonce = await pendingApproval();
    callbacks.length = 0;
    slack.requests.length = 0;

    await handle(signedEvent(click(nonce, 'U024BE7LH', 'deny_plan')) as never, {} as never);

    expect(callbacks).toEqual([]);
    expect(apiCalls()).toEqual(['views.open']);
  });

  it('someone not on the approvers list gets an explanation and no SendTask call', async () => {
    const handle = await handler();
    const nonce = await pendingApproval();
    callbacks.length = 0;

    await handle(signedEvent(click(nonce, 'U0INTRUDER')) as never, {} as never);

    expect(callbacks).toEqual([]);
    expect(responses().at(-1)?.text).toMatch(/not on the approvers list/);
  });

  it.each([
    ['a wrong signature', { secret: 'not-the-secret' }],
    ['a timestamp 10 minutes old', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
  ])('answers 401 to %s and calls nothing', async (_label, options) => {
    const handle = await handler();
    const nonce = await pendingApproval();
    callbacks.length = 0;

    const result = await handle(signedEvent(click(nonce, 'U024BE7LH'), options) as never, {} as never);

    expect(result.statusCode).toBe(401);
    expect(callbacks).toEqual([]);
  });
});
