import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestApproval } from '../../handlers/request-approval/core.js';
import { slackChatPort } from '../../handlers/shared/clients/slack.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { AwsThrottling, type StaleTokenCode, TaskTokenStale } from '../../handlers/shared/errors.js';
import type { RollbackStarterPort, TaskCallbackPort } from '../../handlers/shared/ports.js';
import { DENY_REASON, UNDO_ACTION_ID, undoButton } from '../../handlers/shared/render/slack-views.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { buildSlackApp, type SlackLambdaHandler } from '../../handlers/slack/app.js';
import { withRequestWindow } from '../../handlers/slack/door.js';
import { createUndoRequest, rollbackExecutionName } from '../../handlers/slack/undo.js';
import { SimClock } from '../../local/clock.js';
import { interactionBody, signedSlackEvent } from '../../local/slack-signing.js';
import { type FakeSlack, type FakeSlackRequest, startFakeSlack } from '../support/fake-slack.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

/**
 * The interaction endpoint as a responder and an attacker would exercise it: the real Bolt
 * receiver, HMAC-signed requests, a dynalite store, and the Slack Web API and response_url as a
 * local HTTP server (never a mock object). Every call anything makes lands in one ordered log, so
 * "acknowledged before any other call" is checked, not assumed.
 */

const SECRET = 'interactions-signing-secret';
const APPROVER = 'U024BE7LH';
const SECOND = 'U0SECOND01';
const GROUP_MEMBER = 'U0GROUPIE1';
const CHANNEL = 'C0SECOPS01';
const THREAD_TS = '1700000000.000001';
const GROUPS: Record<string, string[]> = { S0SECOPS01: [GROUP_MEMBER, 'U0OTHER001'], S0EMPTY001: [] };
const BROKEN_GROUP = 'S0BROKEN01';

type SlackRequest = FakeSlackRequest;

let store: IncidentStore;
let stopStore: () => Promise<void>;
let slack: FakeSlack;
let responseUrl: string;
let slackApiUrl: string;
const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
/** Every call, in order: `ack`, `slack:<method>`, `respond`, `store:<method>`, `sfn:<call>`. */
const calls: string[] = [];
const slackRequests: SlackRequest[] = [];
/** Every request the fake Slack received in this file (never cleared). */
const everySlackRequest: SlackRequest[] = [];
const callbacks: {
  kind: 'success' | 'failure';
  taskToken: string;
  output?: unknown;
  error?: string;
  cause?: string;
}[] = [];
const rollbacks: { incidentId: string; executionName: string; reactivateKeys: boolean }[] = [];
const issuedTokens: string[] = [];
let authTests = 0;
let failNextStart = false;
let counter = 0;

beforeAll(async () => {
  ({ store, stop: stopStore } = await dynaliteStore('slack-interactions'));
  slack = await startFakeSlack((request) => {
    const { method, raw, fields } = request;
    if (method === 'response_url') {
      calls.push('respond');
      slackRequests.push(request);
      everySlackRequest.push({ method, raw, fields: {} });
      return { ok: true };
    }
    calls.push(`slack:${method}`);
    slackRequests.push(request);
    everySlackRequest.push(request);
    switch (method) {
      case 'auth.test':
        authTests += 1;
        return { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0000001' };
      case 'usergroups.users.list': {
        const users = GROUPS[String(fields.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'missing_scope' };
      }
      case 'views.open':
        return fields.trigger_id === 'expired-trigger'
          ? { ok: false, error: 'expired_trigger_id' }
          : { ok: true, view: { id: 'V0MODAL001' } };
      default:
        // chat.postMessage gets a channel and a ts, anything else {"ok": true}.
        return undefined;
    }
  });
  responseUrl = slack.responseUrl;
  slackApiUrl = slack.apiUrl;
});

afterAll(async () => {
  await stopStore();
  await slack.stop();
});

beforeEach(() => {
  calls.length = 0;
  slackRequests.length = 0;
  callbacks.length = 0;
  rollbacks.length = 0;
  failNextStart = false;
  staleTokens.clear();
});

/** Records each method call of a port in `calls` before running it. */
function recorded<T extends object>(target: T, prefix: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${prefix}:${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/**
 * Tokens Step Functions no longer waits on, with the error it answers; `meanwhile` runs before the
 * answer (the heartbeat re-ping landing while the click is in flight).
 */
const staleTokens = new Map<string, { code: StaleTokenCode; meanwhile?: () => Promise<void> }>();
async function refuseStale(call: string, taskToken: string): Promise<void> {
  const stale = staleTokens.get(taskToken);
  if (!stale) return;
  await stale.meanwhile?.();
  throw new TaskTokenStale(stale.code, `${call} failed: ${stale.code}`);
}

const taskCallbacks: TaskCallbackPort = {
  sendTaskSuccess: async ({ taskToken, output }) => {
    calls.push('sfn:SendTaskSuccess');
    await refuseStale('sfn:SendTaskSuccess', taskToken);
    callbacks.push({ kind: 'success', taskToken, output });
  },
  sendTaskFailure: async ({ taskToken, error, cause }) => {
    calls.push('sfn:SendTaskFailure');
    await refuseStale('sfn:SendTaskFailure', taskToken);
    callbacks.push({ kind: 'failure', taskToken, error, cause });
  },
};

/** StartExecution as Step Functions behaves: the same name again starts nothing new. */
const startedNames = new Set<string>();
const rollbackStarter: RollbackStarterPort = {
  startRollback: async (args) => {
    calls.push('sfn:StartExecution');
    rollbacks.push(args);
    if (failNextStart) {
      failNextStart = false;
      throw new AwsThrottling('sfn:StartExecution failed: ThrottlingException: Rate exceeded');
    }
    const alreadyStarted = startedNames.has(args.executionName);
    startedNames.add(args.executionName);
    return {
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:rollback:${args.executionName}`,
      alreadyStarted,
    };
  },
};

/** A fresh endpoint (a fresh container: empty group cache), with `ack` recorded in `calls`. */
async function endpoint(): Promise<SlackLambdaHandler> {
  const { app, receiver } = buildSlackApp({
    signingSecret: SECRET,
    botToken: 'xoxb-interactions',
    slackApiUrl,
    ports: {
      store: recorded(store, 'store'),
      callbacks: taskCallbacks,
      chat: slackChatPort(new WebClient('xoxb-interactions', { slackApiUrl, retryConfig: { retries: 0 } })),
      clock,
      rollback: rollbackStarter,
    },
  });
  const processEvent = app.processEvent.bind(app);
  app.processEvent = (event) =>
    processEvent({
      ...event,
      ack: async (response) => {
        calls.push('ack');
        return event.ack(response);
      },
    });
  return withRequestWindow(await receiver.start(), { signingSecret: SECRET });
}

const PLAN_ITEMS: PlanItem[] = [
  {
    action: 'deactivateAccessKey',
    id: 'deactivateAccessKey:AKIAIOSFODNN7EXAMPLE',
    target: 'AKIAIOSFODNN7EXAMPLE',
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 'Deactivate key AKIA…MPLE of etl-bot',
    userName: 'etl-bot',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  },
  {
    action: 'denyBucketAccess',
    id: 'denyBucketAccess:customer-exports',
    target: 'customer-exports',
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 'Deny etl-bot in the policy of customer-exports',
    bucket: 'customer-exports',
    statements: [{ Sid: 'IR20260223abc', Effect: 'Deny' }],
    sizeBefore: 100,
    sizeAfter: 400,
    limit: 20480,
  },
];

async function incident(): Promise<string> {
  counter += 1;
  const incidentId = `20260223-${counter.toString(16).padStart(12, '0')}`;
  const normalized = normalizeFinding(guardDutyEvent()).incident;
  if (!normalized) throw new Error('fixture');
  await store.createIncident({
    incidentId,
    status: 'awaiting_approval',
    createdAt: '2026-02-23T04:00:00.000Z',
    updatedAt: '2026-02-23T04:00:00.000Z',
    executionName: `exec-${counter}`,
    incident: normalized,
    findingIds: [normalized.findingId],
    plan: { items: PLAN_ITEMS, recommendations: [], notPlanned: [] },
    slack: { channel: CHANNEL, ts: THREAD_TS },
  });
  return incidentId;
}

async function pendingApproval(
  options: { approvers?: string[]; expiresAt?: string; requiredVotes?: 1 | 2 } = {},
): Promise<{ nonce: string; incidentId: string; taskToken: string }> {
  const incidentId = await incident();
  const nonce = `approval-nonce-${counter}-${Date.now()}`;
  const taskToken = `AQCEAAAAKgAAAAMAAAAAAAAAA-task-token-${counter}-${'x'.repeat(40)}`;
  issuedTokens.push(taskToken);
  await store.putApproval({
    nonce,
    incidentId,
    taskToken,
    approvers: options.approvers ?? [APPROVER, SECOND],
    requiredVotes: options.requiredVotes ?? 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: options.expiresAt ?? '2026-02-24T04:20:00.000Z',
    status: 'pending',
    votes: [],
  });
  return { nonce, incidentId, taskToken };
}

/**
 * What the heartbeat re-ping does to a pending request (handlers/request-approval): Step Functions
 * drops the old token, the old request is superseded, a fresh one goes in under a new nonce and
 * token, and the incident points at it.
 */
async function rePing(old: { nonce: string; incidentId: string; taskToken: string }) {
  const previous = await store.getApproval(old.nonce);
  if (!previous) throw new Error('no request to re-ping');
  await store.supersedeApproval(old.nonce);
  const nonce = `${old.nonce}-round-2`;
  const taskToken = `${old.taskToken}-round-2`;
  issuedTokens.push(taskToken);
  await store.putApproval({ ...previous, nonce, taskToken, status: 'pending', votes: [], selected: undefined });
  await store.updateIncident(old.incidentId, {
    approval: { nonce, deadline: previous.expiresAt, round: 2 },
    updatedAt: clock.now().toISOString(),
  });
  return { nonce, taskToken };
}

function signed(payload: unknown, options: { secret?: string; timestamp?: number } = {}) {
  return signedSlackEvent(interactionBody(payload), {
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp,
  }) as unknown as Parameters<SlackLambdaHandler>[0];
}

let actionTs = 0;
function click(
  nonce: string,
  userId: string,
  actionId: string,
  options: { selected?: string[]; triggerId?: string } = {},
) {
  actionTs += 1;
  return {
    type: 'block_actions',
    api_app_id: 'A0RESPONDER',
    token: 'legacy-verification-token',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: userId, username: 'responder', team_id: 'T0000001' },
    channel: { id: CHANNEL, name: 'secops' },
    container: { type: 'message', message_ts: THREAD_TS, channel_id: CHANNEL },
    trigger_id: options.triggerId ?? '123.456.abc',
    response_url: responseUrl,
    state: {
      values: {
        decision: {
          select_actions: {
            type: 'checkboxes',
            selected_options: (options.selected ?? ['denyBucketAccess']).map((value) => ({
              value,
              text: { type: 'plain_text', text: value },
            })),
          },
        },
      },
    },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'decision',
        value: nonce,
        action_ts: `1700000001.${String(actionTs).padStart(6, '0')}`,
      },
    ],
  };
}

function submission(nonce: string, userId: string, reason: string) {
  return {
    type: 'view_submission',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: userId, username: 'responder', name: 'responder', team_id: 'T0000001' },
    api_app_id: 'A0RESPONDER',
    token: 'legacy-verification-token',
    trigger_id: '789.012.def',
    view: {
      id: 'V0MODAL001',
      team_id: 'T0000001',
      type: 'modal',
      callback_id: DENY_REASON.callbackId,
      private_metadata: nonce,
      title: { type: 'plain_text', text: 'Deny the plan' },
      blocks: [],
      state: {
        values: { [DENY_REASON.blockId]: { [DENY_REASON.actionId]: { type: 'plain_text_input', value: reason } } },
      },
      hash: '1700000002.abc',
      root_view_id: 'V0MODAL001',
      previous_view_id: null,
      app_id: 'A0RESPONDER',
      bot_id: 'B0BOT',
      clear_on_close: false,
      notify_on_close: false,
      external_id: '',
    },
    response_urls: [],
  };
}

const methods = () => slackRequests.map((request) => request.method);
const ephemerals = () =>
  slackRequests
    .filter((request) => request.method === 'response_url' || request.method === 'chat.postEphemeral')
    .map((request) => String(request.fields.text));
const precedes = (first: string, entry: string) =>
  calls.includes(first) && calls.includes(entry) && calls.indexOf(first) < calls.indexOf(entry);

describe('approve', () => {
  it('sends exactly one SendTaskSuccess with the selected actions, acknowledged before any other call', async () => {
    const handle = await endpoint();
    const { nonce, incidentId, taskToken } = await pendingApproval();

    const result = await handle(signed(click(nonce, APPROVER, 'approve_plan')), {});

    expect(result.statusCode).toBe(200);
    expect(calls[0]).toBe('ack');
    expect(callbacks).toEqual([
      {
        kind: 'success',
        taskToken,
        output: expect.objectContaining({
          outcome: 'approved',
          decidedBy: [APPROVER],
          via: 'slack',
          approvedPlan: [PLAN_ITEMS[1]],
        }),
      },
    ]);
    expect(methods()).toEqual(['chat.update']);
    expect((await store.getIncident(incidentId))?.status).toBe('containing');
  });

  it('a double click sends nothing the second time and tells the clicker why', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();

    await handle(signed(click(nonce, APPROVER, 'approve_plan')), {});
    await handle(signed(click(nonce, APPROVER, 'approve_plan')), {});

    expect(callbacks).toHaveLength(1);
    expect(ephemerals()).toEqual([expect.stringMatching(/already been decided/)]);
  });

  it('the same signed request replayed changes nothing', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();
    const request = signed(click(nonce, APPROVER, 'approve_plan'));

    const first = await handle(request, {});
    const replay = await handle(request, {});

    expect([first.statusCode, replay.statusCode]).toEqual([200, 200]);
    expect(callbacks).toHaveLength(1);
  });

  it('someone not on the approvers list gets an ephemeral explanation and nothing is sent', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();

    await handle(signed(click(nonce, 'U0INTRUDER', 'approve_plan')), {});

    expect(callbacks).toEqual([]);
    expect(calls[0]).toBe('ack');
    expect(slackRequests).toEqual([
      expect.objectContaining({
        method: 'response_url',
        fields: expect.objectContaining({
          response_type: 'ephemeral',
          text: expect.stringMatching(/not on the approvers list/),
        }),
      }),
    ]);
  });

  it('a click after the request expired gets an ephemeral explanation and nothing is sent', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval({ expiresAt: '2026-02-23T04:19:59.000Z' });

    await handle(signed(click(nonce, APPROVER, 'approve_plan')), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals()).toEqual([expect.stringMatching(/expired/)]);
  });

  it.each([
    ['a wrong signature', { secret: 'not-the-secret' }],
    ['a timestamp 6 minutes old', { timestamp: Math.floor(Date.now() / 1000) - 360 }],
    ['a timestamp 10 minutes in the future', { timestamp: Math.floor(Date.now() / 1000) + 600 }],
  ])('answers 401 to %s and calls nothing', async (_label, options) => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();

    const result = await handle(signed(click(nonce, APPROVER, 'approve_plan'), options), {});

    expect(result.statusCode).toBe(401);
    expect(callbacks).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('a signature over a different body is refused', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();
    const genuine = signed(click(nonce, 'U0INTRUDER', 'approve_plan')) as { body: string };
    const tampered = { ...genuine, body: genuine.body.replace('U0INTRUDER', APPROVER) };

    const result = await handle(tampered as never, {});

    expect(result.statusCode).toBe(401);
    expect(callbacks).toEqual([]);
  });
});

describe('user-group approvers', () => {
  it('a member of an approver group may approve; the membership is looked up once per minute', async () => {
    const handle = await endpoint();
    const first = await pendingApproval({ approvers: ['S0SECOPS01'] });
    const second = await pendingApproval({ approvers: ['S0SECOPS01'] });

    await handle(signed(click(first.nonce, GROUP_MEMBER, 'approve_plan')), {});
    await handle(signed(click(second.nonce, GROUP_MEMBER, 'approve_plan')), {});

    expect(callbacks.map((callback) => [callback.kind, callback.taskToken])).toEqual([
      ['success', first.taskToken],
      ['success', second.taskToken],
    ]);
    expect(methods().filter((method) => method === 'usergroups.users.list')).toHaveLength(1);
    expect(precedes('ack', 'slack:usergroups.users.list')).toBe(true);
  });

  it('someone in no approver group is rejected', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval({ approvers: ['S0SECOPS01', 'S0EMPTY001'] });

    await handle(signed(click(nonce, 'U0INTRUDER', 'approve_plan')), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals()).toEqual([expect.stringMatching(/not on the approvers list/)]);
  });

  it('a failed group lookup rejects the click (never allowed by default) and explains why', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval({ approvers: [BROKEN_GROUP] });

    await handle(signed(click(nonce, GROUP_MEMBER, 'approve_plan')), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals()).toEqual([expect.stringMatching(/user group/)]);
    expect((await store.getApproval(nonce))?.status).toBe('pending');
  });

  it('an approver listed by id is not looked up in any group', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval({ approvers: [APPROVER, BROKEN_GROUP] });

    await handle(signed(click(nonce, APPROVER, 'approve_plan')), {});

    expect(callbacks).toHaveLength(1);
    expect(methods()).not.toContain('usergroups.users.list');
  });
});

describe('deny with a reason', () => {
  it('Deny opens a modal carrying only the nonce; its submission sends one SendTaskFailure ApprovalDenied with the reason', async () => {
    const handle = await endpoint();
    const { nonce, incidentId, taskToken } = await pendingApproval();

    await handle(signed(click(nonce, APPROVER, 'deny_plan')), {});

    expect(calls[0]).toBe('ack');
    expect(callbacks).toEqual([]);
    const open = slackRequests.find((request) => request.method === 'views.open');
    const view = JSON.parse(String(open?.fields.view)) as { private_metadata: string; callback_id: string };
    expect(open?.fields.trigger_id).toBe('123.456.abc');
    expect(view).toMatchObject({ private_metadata: nonce, callback_id: DENY_REASON.callbackId });

    calls.length = 0;
    const reason = 'Known nightly export to the DR account, ticket OPS-4521';
    const result = await handle(signed(submission(view.private_metadata, APPROVER, reason)), {});

    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(callbacks).toEqual([
      { kind: 'failure', taskToken, error: 'ApprovalDenied', cause: `denied by ${APPROVER}: ${reason}` },
    ]);
    expect(precedes('ack', 'sfn:SendTaskFailure')).toBe(true);
    expect(precedes('ack', 'slack:chat.update')).toBe(true);
    expect(calls.filter((call) => call.startsWith('slack:') || call.startsWith('sfn:'))).toEqual([
      'sfn:SendTaskFailure',
      'slack:chat.update',
    ]);
    const record = await store.getIncident(incidentId);
    expect(record).toMatchObject({ status: 'denied', decision: { outcome: 'denied', reason } });
    expect((await store.listEvents(incidentId)).map((event) => event.text)).toContain(
      `Denied by ${APPROVER}: ${reason}`,
    );
  });

  it('the same submission replayed sends nothing more', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();
    const request = signed(submission(nonce, APPROVER, 'false positive'));

    await handle(request, {});
    const replay = await handle(request, {});

    expect(callbacks).toHaveLength(1);
    expect(JSON.parse(replay.body)).toEqual({
      response_action: 'errors',
      errors: { [DENY_REASON.blockId]: expect.stringMatching(/already been decided/) },
    });
  });

  it.each([
    ['a non-approver', 'U0INTRUDER', 'looks fine to me', {}, /not on the approvers list/],
    ['an approver after expiry', APPROVER, 'too late', { expiresAt: '2026-02-23T04:00:00.000Z' }, /expired/],
    ['a blank reason', APPROVER, '   ', {}, /at least 3 characters/],
    ['an overlong reason', APPROVER, 'x'.repeat(501), {}, /under 500 characters/],
  ])(
    'a submission by %s keeps the modal open with the problem named and changes nothing',
    async (_label, userId, reason, options, problem) => {
      const handle = await endpoint();
      const { nonce } = await pendingApproval(options);

      const result = await handle(signed(submission(nonce, userId, reason)), {});

      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toEqual({
        response_action: 'errors',
        errors: { [DENY_REASON.blockId]: expect.stringMatching(problem) },
      });
      expect(callbacks).toEqual([]);
      expect(slackRequests).toEqual([]);
      expect((await store.getApproval(nonce))?.status).toBe('pending');
    },
  );

  it('a submission naming an unknown nonce is refused', async () => {
    const handle = await endpoint();

    const result = await handle(signed(submission('forged-nonce', APPROVER, 'deny everything')), {});

    expect(JSON.parse(result.body)).toMatchObject({ response_action: 'errors' });
    expect(callbacks).toEqual([]);
  });

  it('a group approver whose membership cannot be checked at submission gets an ephemeral message; nothing is sent', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval({ approvers: [BROKEN_GROUP] });

    const result = await handle(signed(submission(nonce, GROUP_MEMBER, 'not an incident')), {});

    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(callbacks).toEqual([]);
    expect(slackRequests.find((request) => request.method === 'chat.postEphemeral')?.fields).toMatchObject({
      channel: CHANNEL,
      user: GROUP_MEMBER,
      text: expect.stringMatching(/user group/),
    });
    expect(precedes('ack', 'slack:usergroups.users.list')).toBe(true);
    expect((await store.getApproval(nonce))?.status).toBe('pending');
  });

  it('Deny by a non-approver opens no modal', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();

    await handle(signed(click(nonce, 'U0INTRUDER', 'deny_plan')), {});

    expect(methods()).toEqual(['response_url']);
    expect(ephemerals()).toEqual([expect.stringMatching(/not on the approvers list/)]);
  });

  it('when the modal cannot open, the user is told and nothing is denied', async () => {
    const handle = await endpoint();
    const { nonce } = await pendingApproval();

    await handle(signed(click(nonce, APPROVER, 'deny_plan', { triggerId: 'expired-trigger' })), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals()).toEqual([expect.stringMatching(/could not open the reason dialog/)]);
    expect((await store.getApproval(nonce))?.status).toBe('pending');
  });
});

describe('undo', () => {
  async function undoRequest(options: { approvers?: string[]; requiredVotes?: 1 | 2; expiresAt?: string } = {}) {
    const incidentId = await incident();
    const nonce = await createUndoRequest(
      store,
      {
        incidentId,
        approvers: options.approvers ?? [APPROVER, SECOND],
        requiredVotes: options.requiredVotes ?? 1,
        expiresAt: options.expiresAt ?? '2026-03-02T04:20:00.000Z',
      },
      { clock },
    );
    return { incidentId, nonce };
  }

  it('the button carries the nonce and nothing else', async () => {
    const { nonce } = await undoRequest();

    expect(undoButton(nonce)).toMatchObject({ type: 'button', action_id: UNDO_ACTION_ID, value: nonce });
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('an approver’s click starts exactly one rollback, replies in the thread and records it; a second click starts none', async () => {
    const handle = await endpoint();
    const { incidentId, nonce } = await undoRequest();

    await handle(signed(click(nonce, APPROVER, UNDO_ACTION_ID)), {});

    expect(calls[0]).toBe('ack');
    expect(rollbacks).toEqual([
      { incidentId, executionName: rollbackExecutionName(incidentId, nonce), reactivateKeys: false },
    ]);
    expect(rollbacks[0]?.executionName).toMatch(new RegExp(`^undo-${incidentId}-[0-9a-f]{16}$`));
    const reply = slackRequests.find((request) => request.method === 'chat.postMessage');
    expect(reply?.fields).toMatchObject({
      channel: CHANNEL,
      thread_ts: THREAD_TS,
      text: expect.stringContaining(`started by <@${APPROVER}>`),
    });
    expect(await store.listEvents(incidentId)).toContainEqual(
      expect.objectContaining({ kind: 'rollback-started', text: expect.stringContaining(APPROVER) }),
    );

    await handle(signed(click(nonce, SECOND, UNDO_ACTION_ID)), {});

    expect(rollbacks).toHaveLength(1);
    expect(ephemerals()).toEqual([expect.stringMatching(/already started/)]);
  });

  it('the two-person rule: the first click records a vote, the same person again is refused, a second approver starts it', async () => {
    const handle = await endpoint();
    const { incidentId, nonce } = await undoRequest({ requiredVotes: 2 });

    await handle(signed(click(nonce, APPROVER, UNDO_ACTION_ID)), {});
    await handle(signed(click(nonce, APPROVER, UNDO_ACTION_ID)), {});
    expect(rollbacks).toEqual([]);

    await handle(signed(click(nonce, SECOND, UNDO_ACTION_ID)), {});

    expect(rollbacks).toEqual([expect.objectContaining({ incidentId })]);
    expect(ephemerals()).toEqual([
      expect.stringMatching(/recorded \(1 of 2\)/),
      expect.stringMatching(/already approved/),
    ]);
    expect(await store.getRollbackRequest(nonce)).toMatchObject({ status: 'decided', decidedBy: [APPROVER, SECOND] });
  });

  it.each([
    ['a non-approver', 'U0INTRUDER', {}, /not on the approvers list/],
    ['an approver after expiry', APPROVER, { expiresAt: '2026-02-23T04:00:00.000Z' }, /expired/],
    ['a member of a group whose lookup fails', GROUP_MEMBER, { approvers: [BROKEN_GROUP] }, /user group/],
  ])('a click by %s starts nothing', async (_label, userId, options, problem) => {
    const handle = await endpoint();
    const { nonce } = await undoRequest(options);

    await handle(signed(click(nonce, userId, UNDO_ACTION_ID)), {});

    expect(rollbacks).toEqual([]);
    expect(ephemerals()).toEqual([expect.stringMatching(problem)]);
    expect((await store.getRollbackRequest(nonce))?.status).toBe('pending');
  });

  it('a member of an approver group may undo', async () => {
    const handle = await endpoint();
    const { incidentId, nonce } = await undoRequest({ approvers: ['S0SECOPS01'] });

    await handle(signed(click(nonce, GROUP_MEMBER, UNDO_ACTION_ID)), {});

    expect(rollbacks).toEqual([expect.objectContaining({ incidentId })]);
  });

  it('the same signed click replayed starts nothing more', async () => {
    const handle = await endpoint();
    const { nonce } = await undoRequest();
    const request = signed(click(nonce, APPROVER, UNDO_ACTION_ID));

    await handle(request, {});
    await handle(request, {});

    expect(rollbacks).toHaveLength(1);
  });

  it('when StartExecution fails the user is told; the next click retries under the same name, once', async () => {
    const handle = await endpoint();
    const { incidentId, nonce } = await undoRequest();
    failNextStart = true;

    await handle(signed(click(nonce, APPROVER, UNDO_ACTION_ID)), {});
    expect(ephemerals()).toEqual([expect.stringMatching(/did not start \(AwsThrottling\)/)]);
    expect(await store.getRollbackRequest(nonce)).toMatchObject({ status: 'decided', startError: expect.any(String) });

    await handle(signed(click(nonce, SECOND, UNDO_ACTION_ID)), {});
    await handle(signed(click(nonce, SECOND, UNDO_ACTION_ID)), {});

    const name = rollbackExecutionName(incidentId, nonce);
    expect(rollbacks.map((call) => call.executionName)).toEqual([name, name]);
    const request = await store.getRollbackRequest(nonce);
    expect(request?.execution?.name).toBe(name);
    expect(request?.startError).toBeUndefined();
  });

  it('nonces do not cross: an undo nonce decides no plan, an approval nonce starts no rollback', async () => {
    const handle = await endpoint();
    const undoNonce = (await undoRequest()).nonce;
    const approval = await pendingApproval();

    await handle(signed(click(undoNonce, APPROVER, 'approve_plan')), {});
    await handle(signed(click(undoNonce, APPROVER, 'deny_plan')), {});
    await handle(signed(click(approval.nonce, APPROVER, UNDO_ACTION_ID)), {});

    expect(callbacks).toEqual([]);
    expect(rollbacks).toEqual([]);
    expect(ephemerals()).toEqual([
      expect.stringMatching(/unknown/),
      expect.stringMatching(/unknown/),
      expect.stringMatching(/unknown/),
    ]);
    expect((await store.getRollbackRequest(undoNonce))?.status).toBe('pending');
    expect((await store.getApproval(approval.nonce))?.status).toBe('pending');
  });
});

describe('a click at the heartbeat (Step Functions no longer waits on the token)', () => {
  it.each(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'] as const)(
    'on %s the vote is withdrawn and the approver is told to use the refreshed message',
    async (code) => {
      const handle = await endpoint();
      const old = await pendingApproval();
      staleTokens.set(old.taskToken, { code });

      const result = await handle(signed(click(old.nonce, APPROVER, 'approve_plan')), {});

      expect(result.statusCode).toBe(200);
      expect(callbacks).toEqual([]);
      expect(ephemerals()).toEqual([expect.stringMatching(/vote was withdrawn.*refreshed approval message/)]);
      expect(await store.getApproval(old.nonce)).toMatchObject({ status: 'pending', votes: [] });
      expect(await store.getApproval(old.nonce)).not.toHaveProperty('decidedBy');
      const incident = await store.getIncident(old.incidentId);
      expect(incident?.status).toBe('awaiting_approval');
      expect(incident?.decision).toBeUndefined();
      expect(methods()).not.toContain('chat.update');
    },
  );

  it('the re-ping that follows supersedes the old request, and the same approver decides on the refreshed one', async () => {
    const handle = await endpoint();
    const old = await pendingApproval();
    staleTokens.set(old.taskToken, { code: 'TaskTimedOut' });
    await handle(signed(click(old.nonce, APPROVER, 'approve_plan')), {});

    const fresh = await rePing(old);
    await handle(signed(click(fresh.nonce, APPROVER, 'approve_plan')), {});

    expect((await store.getApproval(old.nonce))?.status).toBe('superseded');
    expect(callbacks).toEqual([
      expect.objectContaining({
        kind: 'success',
        taskToken: fresh.taskToken,
        output: expect.objectContaining({ decidedBy: [APPROVER] }),
      }),
    ]);
    expect((await store.getIncident(old.incidentId))?.status).toBe('containing');
  });

  it('a re-ping that ran while the click was in flight leaves the old request superseded, not reopened', async () => {
    const handle = await endpoint();
    const old = await pendingApproval();
    let fresh: { nonce: string; taskToken: string } | undefined;
    staleTokens.set(old.taskToken, {
      code: 'TaskTimedOut',
      meanwhile: async () => {
        fresh = await rePing(old);
      },
    });

    await handle(signed(click(old.nonce, APPROVER, 'approve_plan')), {});

    expect(ephemerals()).toEqual([expect.stringMatching(/refreshed approval message/)]);
    expect((await store.getApproval(old.nonce))?.status).toBe('superseded');
    expect((await store.getApproval(fresh?.nonce ?? ''))?.status).toBe('pending');
  });

  it('a deny submitted at the heartbeat is withdrawn too, and the denier is told in the channel', async () => {
    const handle = await endpoint();
    const old = await pendingApproval();
    staleTokens.set(old.taskToken, { code: 'TaskTimedOut' });

    await handle(signed(submission(old.nonce, APPROVER, 'known backup job')), {});

    expect(callbacks).toEqual([]);
    expect(slackRequests).toContainEqual(
      expect.objectContaining({
        method: 'chat.postEphemeral',
        fields: expect.objectContaining({ user: APPROVER, text: expect.stringMatching(/refreshed approval message/) }),
      }),
    );
    expect(await store.getApproval(old.nonce)).toMatchObject({ status: 'pending', votes: [] });
  });

  it('under the two-person rule, the second approver’s withdrawn vote leaves the first one’s as it was', async () => {
    const handle = await endpoint();
    const old = await pendingApproval({ requiredVotes: 2 });
    await handle(signed(click(old.nonce, APPROVER, 'approve_plan', { selected: ['denyBucketAccess'] })), {});
    staleTokens.set(old.taskToken, { code: 'InvalidToken' });

    await handle(signed(click(old.nonce, SECOND, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals()).toEqual([
      expect.stringMatching(/recorded \(1 of 2\)/),
      expect.stringMatching(/refreshed approval message/),
    ]);
    expect(await store.getApproval(old.nonce)).toMatchObject({
      status: 'pending',
      votes: [APPROVER],
      selected: ['denyBucketAccess'],
    });
  });
});

describe('the two-person rule across the hourly re-ping', () => {
  /** The request-approval task as the state machine runs it: round 1, then a heartbeat re-entry. */
  async function requestRound(incidentId: string, taskToken: string) {
    const record = await store.getIncident(incidentId);
    if (!record) throw new Error('no incident');
    issuedTokens.push(taskToken);
    return runTask(
      requestApproval,
      {
        incidentId,
        incident: record.incident,
        settings: testSettings({ approvers: [APPROVER, SECOND], twoPersonRule: true, slackChannel: CHANNEL }),
        taskToken,
        plan: { items: PLAN_ITEMS, recommendations: [], notPlanned: [], count: PLAN_ITEMS.length, inPlace: [] },
        enrichment: {},
        executionName: record.executionName,
        redriveCount: 0,
      },
      {
        store,
        chat: slackChatPort(new WebClient('xoxb-interactions', { slackApiUrl, retryConfig: { retries: 0 } })),
        clock,
        random: { token: () => `approval-nonce-${taskToken.slice(-12)}` },
      },
    );
  }

  it('the first vote survives the re-ping: the second approver completes the approval on the refreshed request', async () => {
    const handle = await endpoint();
    const incidentId = await incident();
    const first = await requestRound(incidentId, `AQCEAAAAKgAAAAMAAAAAAAAAA-reping-${counter}-round-0001`);
    await handle(signed(click(first.nonce, APPROVER, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    const second = await requestRound(incidentId, `AQCEAAAAKgAAAAMAAAAAAAAAA-reping-${counter}-round-0002`);
    await handle(
      signed(click(second.nonce, SECOND, 'approve_plan', { selected: ['denyBucketAccess', 'deactivateAccessKey'] })),
      {},
    );

    expect(second.round).toBe(2);
    expect((await store.getApproval(first.nonce))?.status).toBe('superseded');
    expect(await store.getApproval(second.nonce)).toMatchObject({
      status: 'decided',
      decidedBy: [APPROVER, SECOND],
      selected: ['denyBucketAccess'],
    });
    expect(callbacks).toEqual([
      expect.objectContaining({
        kind: 'success',
        taskToken: expect.stringContaining('round-0002'),
        output: expect.objectContaining({ decidedBy: [APPROVER, SECOND] }),
      }),
    ]);
  });

  it('the same approver cannot complete it alone after the re-ping', async () => {
    const handle = await endpoint();
    const incidentId = await incident();
    const first = await requestRound(incidentId, `AQCEAAAAKgAAAAMAAAAAAAAAA-alone-${counter}-round-0001`);
    await handle(signed(click(first.nonce, APPROVER, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    const second = await requestRound(incidentId, `AQCEAAAAKgAAAAMAAAAAAAAAA-alone-${counter}-round-0002`);
    await handle(signed(click(second.nonce, APPROVER, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    expect(callbacks).toEqual([]);
    expect(ephemerals().at(-1)).toMatch(/already approved/);
    expect(await store.getApproval(second.nonce)).toMatchObject({ status: 'pending', votes: [APPROVER] });
  });
});

describe('the two-person rule when the approvers select nothing in common', () => {
  it('decides nothing, tells both approvers why, and keeps the request open', async () => {
    const handle = await endpoint();
    const { nonce, incidentId } = await pendingApproval({ requiredVotes: 2 });

    await handle(signed(click(nonce, APPROVER, 'approve_plan', { selected: ['deactivateAccessKey'] })), {});
    await handle(signed(click(nonce, SECOND, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    expect(callbacks).toEqual([]);
    const told = slackRequests.filter((request) => /No action was approved by both/.test(String(request.fields.text)));
    expect(told).toEqual([
      expect.objectContaining({
        method: 'response_url',
        fields: expect.objectContaining({ response_type: 'ephemeral' }),
      }),
      expect.objectContaining({
        method: 'chat.postEphemeral',
        fields: expect.objectContaining({ user: APPROVER, channel: CHANNEL }),
      }),
    ]);
    expect(String(told[0]?.fields.text)).toMatch(/deactivateAccessKey.*denyBucketAccess/);
    expect(await store.getApproval(nonce)).toMatchObject({ status: 'pending', votes: [] });
    expect((await store.getIncident(incidentId))?.status).toBe('awaiting_approval');
    expect(methods()).not.toContain('chat.update');
  });

  it('both may vote again, and then exactly the shared actions are approved', async () => {
    const handle = await endpoint();
    const { nonce, taskToken } = await pendingApproval({ requiredVotes: 2 });
    await handle(signed(click(nonce, APPROVER, 'approve_plan', { selected: ['deactivateAccessKey'] })), {});
    await handle(signed(click(nonce, SECOND, 'approve_plan', { selected: ['denyBucketAccess'] })), {});

    await handle(signed(click(nonce, SECOND, 'approve_plan', { selected: ['denyBucketAccess'] })), {});
    await handle(
      signed(click(nonce, APPROVER, 'approve_plan', { selected: ['deactivateAccessKey', 'denyBucketAccess'] })),
      {},
    );

    expect(callbacks).toEqual([
      {
        kind: 'success',
        taskToken,
        output: expect.objectContaining({ decidedBy: [SECOND, APPROVER], approvedPlan: [PLAN_ITEMS[1]] }),
      },
    ]);
  });
});

describe('across every request in this file', () => {
  it('Bolt never called auth.test', () => {
    expect(authTests).toBe(0);
  });

  it('no task token ever reached Slack (chat.update, views.open, response_url posts, anything)', () => {
    expect(new Set(everySlackRequest.map((request) => request.method))).toEqual(
      new Set([
        'chat.update',
        'views.open',
        'response_url',
        'usergroups.users.list',
        'chat.postMessage',
        'chat.postEphemeral',
      ]),
    );
    expect(issuedTokens.length).toBeGreaterThan(10);
    for (const request of everySlackRequest) {
      const text = `${request.raw}\n${decodeURIComponent(request.raw.replace(/\+/g, ' '))}`;
      for (const token of issuedTokens) expect(text).not.toContain(token);
      expect(text).not.toContain('task-token');
    }
  });
});
