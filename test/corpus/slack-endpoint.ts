import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { buildSlackApp, type SlackLambdaHandler } from '../../handlers/slack/app.js';
import { withRequestWindow } from '../../handlers/slack/door.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { signedSlackEvent } from '../../local/slack-signing.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';

/**
 * The Slack interaction endpoint as deployed (`withRequestWindow` around the real Bolt receiver),
 * a dynalite store with one pending approval, and a local fake Slack (Web API and response_url)
 * that records every request. SendTask and StartExecution calls are recorded, never made.
 */
export const SECRET = 'corpus-signing-secret';
export const APPROVER = 'U024BE7LH';

export interface SlackEndpoint {
  readonly handle: SlackLambdaHandler;
  readonly nonce: string;
  readonly responseUrl: string;
  /** SendTaskSuccess/SendTaskFailure/StartExecution calls (none may ever happen in the corpus). */
  readonly sent: string[];
  /** Ephemeral texts posted to response_url. */
  readonly ephemeral: string[];
  /** Slack Web API methods called. */
  readonly apiCalls: string[];
  stop(): Promise<void>;
}

export async function slackEndpoint(): Promise<SlackEndpoint> {
  const { store, stop: stopStore } = await dynaliteStore('corpus-slack');
  const sent: string[] = [];
  const ephemeral: string[] = [];
  const apiCalls: string[] = [];
  const server: Server = createServer((request, reply) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const url = request.url ?? '';
      if (url.startsWith('/api/')) apiCalls.push(url.slice('/api/'.length).split('?')[0] ?? '');
      else ephemeral.push(String((JSON.parse(body || '{}') as { text?: unknown }).text));
      reply.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"view":{"id":"V1"}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
  const nonce = await pendingApproval(store);
  const { receiver } = buildSlackApp({
    signingSecret: SECRET,
    botToken: 'xoxb-corpus',
    slackApiUrl: `http://127.0.0.1:${port}/api/`,
    ports: {
      store,
      chat: new RecordingChat(),
      clock,
      rollback: {
        startRollback: async () => {
          sent.push('StartExecution');
          throw new Error('the corpus never starts a rollback');
        },
      },
      callbacks: {
        sendTaskSuccess: async () => {
          sent.push('SendTaskSuccess');
        },
        sendTaskFailure: async () => {
          sent.push('SendTaskFailure');
        },
      },
    },
  });
  return {
    handle: withRequestWindow(await receiver.start(), { signingSecret: SECRET }),
    nonce,
    responseUrl: `http://127.0.0.1:${port}/respond`,
    sent,
    ephemeral,
    apiCalls,
    stop: async () => {
      await stopStore();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function pendingApproval(store: IncidentStore): Promise<string> {
  const incidentId = '20260223-00000000c0de';
  const nonce = 'corpus-nonce-1';
  const incident = normalizeFinding(guardDutyEvent()).incident;
  if (!incident) throw new Error('fixture');
  await store.createIncident({
    incidentId,
    status: 'awaiting_approval',
    createdAt: '2026-02-23T04:00:00.000Z',
    updatedAt: '2026-02-23T04:00:00.000Z',
    executionName: 'corpus',
    incident,
    findingIds: [incident.findingId],
    plan: { items: [], recommendations: [], notPlanned: [] },
    slack: { channel: 'C0SECOPS01', ts: '1700000000.000001' },
  });
  await store.putApproval({
    nonce,
    incidentId,
    taskToken: 'corpus-task-token',
    approvers: [APPROVER],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: '2026-02-24T04:20:00.000Z',
    status: 'pending',
    votes: [],
  });
  return nonce;
}

/** A Function URL event whose raw body is signed with the endpoint's secret (or another). */
export function signedBody(
  body: string,
  options: { contentType?: string; secret?: string; base64?: boolean } = {},
): Parameters<SlackLambdaHandler>[0] {
  return signedSlackEvent(body, { ...options, secret: options.secret ?? SECRET }) as never;
}

/** A signed form body `payload=<text>` (the text as given: bad JSON stays bad; UTF-8, percent-encoded byte by byte). */
export function signedPayload(text: string): Parameters<SlackLambdaHandler>[0] {
  const encoded = [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  return signedBody(`payload=${encoded}`);
}

/** A block_actions click with the given fields replaced (undefined removes one). */
export function click(
  responseUrl: string,
  nonce: string,
  overrides: Record<string, unknown> = {},
  action: Record<string, unknown> = {},
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    type: 'block_actions',
    api_app_id: 'A0RESPONDER',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: APPROVER, username: 'responder', team_id: 'T0000001' },
    channel: { id: 'C0SECOPS01', name: 'secops' },
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: 'C0SECOPS01' },
    trigger_id: '123.456.abc',
    response_url: responseUrl,
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: 'approve_plan',
        block_id: 'decision',
        value: nonce,
        action_ts: '1700000001.000001',
        ...action,
      },
    ],
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}
