import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slackChatPort } from '../../handlers/shared/clients/slack.js';
import { closeButtonBlock } from '../../handlers/shared/render/closure.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { buildSlackApp, type SlackLambdaHandler } from '../../handlers/slack/app.js';
import { CLOSE_VIEW } from '../../handlers/slack/close.js';
import { withRequestWindow } from '../../handlers/slack/door.js';
import { SimClock } from '../../local/clock.js';
import { interactionBody, signedSlackEvent } from '../../local/slack-signing.js';
import { type FakeSlack, type FakeSlackRequest, startFakeSlack } from '../support/fake-slack.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';

/**
 * The "Close incident" button and modal through the real Bolt receiver with HMAC-signed requests,
 * a dynalite store, and the Slack Web API and response_url as a local HTTP server.
 */

const SECRET = 'close-signing-secret';
const APPROVER = 'U024BE7LH';
const OUTSIDER = 'U0OUTSIDER';
const CHANNEL = 'C0SECOPS01';
const THREAD_TS = '1700000000.000001';
const SUMMARY_TS = '1700000000.000050';

let store: IncidentStore;
let stopStore: () => Promise<void>;
let slack: FakeSlack;
let responseUrl: string;
let slackApiUrl: string;
const clock = new SimClock(new Date('2026-02-23T06:00:00Z'));
let slackRequests: FakeSlackRequest[];
let counter = 0;

beforeAll(async () => {
  ({ store, stop: stopStore } = await dynaliteStore('slack-close'));
  slack = await startFakeSlack();
  ({ responseUrl, apiUrl: slackApiUrl, requests: slackRequests } = slack);
});

afterAll(async () => {
  await stopStore();
  await slack.stop();
});

beforeEach(() => {
  slackRequests.length = 0;
});

async function endpoint(): Promise<SlackLambdaHandler> {
  const { receiver } = buildSlackApp({
    signingSecret: SECRET,
    botToken: 'xoxb-close',
    slackApiUrl,
    ports: {
      store,
      callbacks: { sendTaskSuccess: async () => undefined, sendTaskFailure: async () => undefined },
      chat: slackChatPort(new WebClient('xoxb-close', { slackApiUrl, retryConfig: { retries: 0 } })),
      clock,
      rollback: {
        startRollback: async () => {
          throw new Error('no rollback here');
        },
      },
      closeApprovers: [APPROVER],
    },
  });
  return withRequestWindow(await receiver.start(), { signingSecret: SECRET });
}

async function containedIncident(): Promise<string> {
  counter += 1;
  const incidentId = `20260223-${counter.toString(16).padStart(12, 'c')}`;
  const incident = normalizeFinding(guardDutyEvent()).incident;
  if (!incident) throw new Error('fixture');
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'summary' } }, closeButtonBlock(incidentId)];
  await store.createIncident({
    incidentId,
    status: 'contained',
    createdAt: '2026-02-23T04:00:00.000Z',
    updatedAt: '2026-02-23T05:00:00.000Z',
    executionName: `exec-${counter}`,
    incident,
    findingIds: [incident.findingId],
    slack: { channel: CHANNEL, ts: THREAD_TS },
    summaryMessage: { ref: { channel: CHANNEL, ts: SUMMARY_TS }, blocks, text: 'summary' },
  });
  return incidentId;
}

function signed(payload: unknown) {
  return signedSlackEvent(interactionBody(payload), { secret: SECRET }) as unknown as Parameters<SlackLambdaHandler>[0];
}

function click(incidentId: string, userId: string) {
  return {
    type: 'block_actions',
    api_app_id: 'A0RESPONDER',
    token: 'legacy-verification-token',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: userId, username: 'responder', team_id: 'T0000001' },
    channel: { id: CHANNEL, name: 'secops' },
    container: { type: 'message', message_ts: SUMMARY_TS, channel_id: CHANNEL },
    trigger_id: '123.456.abc',
    response_url: responseUrl,
    actions: [
      {
        type: 'button',
        action_id: 'close_incident',
        block_id: 'close',
        value: incidentId,
        action_ts: '1700000001.000001',
      },
    ],
  };
}

function submission(incidentId: string, userId: string, resolution: string | undefined, note?: string) {
  return {
    type: 'view_submission',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: userId, username: 'responder', name: 'responder', team_id: 'T0000001' },
    api_app_id: 'A0RESPONDER',
    token: 'legacy-verification-token',
    trigger_id: '789.012.def',
    view: {
      id: 'V0MODAL002',
      team_id: 'T0000001',
      type: 'modal',
      callback_id: CLOSE_VIEW.callbackId,
      private_metadata: incidentId,
      title: { type: 'plain_text', text: 'Close the incident' },
      blocks: [],
      state: {
        values: {
          [CLOSE_VIEW.resolutionBlock]: {
            [CLOSE_VIEW.resolutionAction]: {
              type: 'radio_buttons',
              selected_option: resolution ? { value: resolution } : null,
            },
          },
          [CLOSE_VIEW.noteBlock]: { [CLOSE_VIEW.noteAction]: { type: 'plain_text_input', value: note ?? null } },
        },
      },
      hash: '1700000002.abc',
      root_view_id: 'V0MODAL002',
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

const ephemerals = () =>
  slackRequests
    .filter((request) => request.method === 'response_url' || request.method === 'chat.postEphemeral')
    .map((request) => String(request.fields.text));

describe('the Close incident button', () => {
  it('opens the resolution modal for an approver', async () => {
    const handle = await endpoint();
    const incidentId = await containedIncident();

    const result = await handle(signed(click(incidentId, APPROVER)), {});

    expect(result.statusCode).toBe(200);
    const opened = slackRequests.find((request) => request.method === 'views.open');
    const view = JSON.parse(String(opened?.fields.view ?? '{}'));
    expect(view).toMatchObject({ callback_id: CLOSE_VIEW.callbackId, private_metadata: incidentId });
    expect(JSON.stringify(view)).toContain('false_positive');
  });

  it('tells anyone not among the approvers so, opens nothing and changes nothing', async () => {
    const handle = await endpoint();
    const incidentId = await containedIncident();

    await handle(signed(click(incidentId, OUTSIDER)), {});
    await handle(signed(submission(incidentId, OUTSIDER, 'benign')), {});

    expect(slackRequests.some((request) => request.method === 'views.open')).toBe(false);
    expect(ephemerals()).toEqual([
      'Only the configured approvers may close an incident.',
      'Only the configured approvers may close an incident.',
    ]);
    expect(slackRequests.some((request) => request.method === 'chat.postMessage')).toBe(false);
    expect((await store.getIncident(incidentId))?.closure).toBeUndefined();
  });

  it('a submitted close records the closure, posts once in the thread and replaces the button', async () => {
    const handle = await endpoint();
    const incidentId = await containedIncident();

    const result = await handle(
      signed(submission(incidentId, APPROVER, 'false_positive', 'nightly <!here> export')),
      {},
    );

    expect(result.statusCode).toBe(200);
    const record = await store.getIncident(incidentId);
    expect(record).toMatchObject({
      status: 'contained',
      closure: { by: APPROVER, resolution: 'false_positive', note: 'nightly <!here> export' },
    });
    const posted = slackRequests.filter((request) => request.method === 'chat.postMessage');
    expect(posted).toHaveLength(1);
    expect(posted[0]?.fields).toMatchObject({ channel: CHANNEL, thread_ts: THREAD_TS });
    expect(String(posted[0]?.fields.text)).toContain('&lt;!here&gt;');
    const update = slackRequests.find((request) => request.method === 'chat.update');
    expect(update?.fields.ts).toBe(SUMMARY_TS);
    expect(String(update?.fields.blocks)).not.toContain('close_incident');
  });

  it('a second close answers in one line that it is already closed and changes nothing', async () => {
    const handle = await endpoint();
    const incidentId = await containedIncident();
    await handle(signed(submission(incidentId, APPROVER, 'true_positive')), {});
    const first = await store.getIncident(incidentId);
    slackRequests.length = 0;

    await handle(signed(click(incidentId, APPROVER)), {});
    await handle(signed(submission(incidentId, APPROVER, 'benign')), {});

    expect(ephemerals()).toHaveLength(2);
    expect(ephemerals()[1]).toBe(ephemerals()[0]);
    expect(ephemerals()[0]).toMatch(
      /^Incident \S+ is already closed \(true positive, by U024BE7LH at [^)]+\); nothing changed\.$/,
    );
    expect(slackRequests.some((request) => request.method === 'chat.postMessage')).toBe(false);
    expect(await store.getIncident(incidentId)).toEqual(first);
  });

  it('a submission without a resolution keeps the modal open naming the field', async () => {
    const handle = await endpoint();
    const incidentId = await containedIncident();

    const result = await handle(signed(submission(incidentId, APPROVER, undefined)), {});

    expect(JSON.parse(String(result.body))).toEqual({
      response_action: 'errors',
      errors: { [CLOSE_VIEW.resolutionBlock]: 'Choose a resolution.' },
    });
    expect((await store.getIncident(incidentId))?.closure).toBeUndefined();
  });
});
