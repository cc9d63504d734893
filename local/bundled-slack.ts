import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { normalizeFinding } from '../handlers/shared/schemas/normalize.js';
import { DynamoIncidentStore } from '../handlers/shared/store/dynamodb-store.js';
import type { IncidentStore } from '../handlers/shared/store/types.js';
import { provideLayerLocally } from '../infra/bundling/bundle.js';
import { createDocumentClient, createIncidentTable, startDynalite } from './dynalite.js';
import { interactionBody, signedSlackEvent } from './slack-signing.js';

/**
 * The bundled Slack handler (`infra/bundling`) run as Lambda cold-starts it: a fresh `node` with
 * the function's environment and `--enable-source-maps`, importing `index.mjs` and handling one
 * HMAC-signed `block_actions` click. Every service it calls is local: DynamoDB is dynalite,
 * Secrets Manager and Step Functions are answered by a fake (`AWS_ENDPOINT_URL_<SERVICE>`), and so
 * are the Slack Web API (`SLACK_API_URL`) and the click's `response_url`. Used by
 * `test/slack/bundle.test.ts` and `npm run bench`.
 */

const SIGNING_SECRET = 'bundled-handler-signing-secret';
const APPROVER = 'U024BE7LH';
const TABLE = 'bundled-slack';
const CHANNEL = 'C0SECOPS01';
const MARKER = '@@bundled-slack-result ';

export interface AwsCall {
  /** `X-Amz-Target`, e.g. `AWSStepFunctions.SendTaskSuccess`. */
  readonly target: string;
  readonly authorization: string;
  readonly body: Record<string, unknown>;
}

export interface SlackFakes {
  readonly store: IncidentStore;
  /** Secrets Manager and Step Functions requests, in order. */
  readonly awsCalls: AwsCall[];
  /** Slack Web API methods called, in order. */
  readonly slackCalls: string[];
  /** What was posted to a click's `response_url`. */
  readonly responses: unknown[];
  readonly env: Record<string, string>;
  readonly responseUrl: string;
  stop(): Promise<void>;
}

export interface BundledRequest {
  /** From the start of `import()` to the module's evaluation. */
  readonly importMs: number;
  /** The first request, from the handler's call to its answer (reads the secret, then Bolt). */
  readonly requestMs: number;
  readonly statusCode: number;
  readonly body?: string;
  /** The child's stdout and stderr (the handler's log lines). */
  readonly output: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

/** dynalite with the incident table, and one HTTP fake for everything else. */
export async function startSlackFakes(): Promise<SlackFakes> {
  const dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, TABLE);
  const store = new DynamoIncidentStore(createDocumentClient(dynamo.client), TABLE);
  const awsCalls: AwsCall[] = [];
  const slackCalls: string[] = [];
  const responses: unknown[] = [];
  const secret = JSON.stringify({
    signingSecret: SIGNING_SECRET,
    botToken: 'xoxb-bundled',
    botId: 'B0BOT',
    botUserId: 'U0BOT',
  });
  const server: Server = createServer(async (request, reply) => {
    const body = await readBody(request);
    const json = (status: number, value: unknown, type = 'application/json') =>
      reply.writeHead(status, { 'content-type': type }).end(JSON.stringify(value));
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') {
      awsCalls.push({
        target,
        authorization: String(request.headers.authorization ?? ''),
        body: JSON.parse(body || '{}'),
      });
      const type = 'application/x-amz-json-1.1';
      if (target === 'secretsmanager.GetSecretValue') {
        json(
          200,
          { ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack', Name: 'slack', SecretString: secret },
          type,
        );
      } else if (target.startsWith('AWSStepFunctions.')) {
        json(200, {}, 'application/x-amz-json-1.0');
      } else {
        json(400, { __type: 'UnknownOperationException', message: target }, type);
      }
      return;
    }
    if (request.url?.startsWith('/api/')) {
      const method = request.url.slice('/api/'.length);
      slackCalls.push(method);
      json(200, { ok: true, channel: CHANNEL, ts: '1700000000.000001' });
      return;
    }
    responses.push(JSON.parse(body || '{}'));
    json(200, { ok: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    store,
    awsCalls,
    slackCalls,
    responses,
    responseUrl: `${fake}/respond`,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'ASIALAMBDAROLEKEY0001',
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      AWS_SESSION_TOKEN: 'local-session-token',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: fake,
      AWS_ENDPOINT_URL_SFN: fake,
      SLACK_API_URL: `${fake}/api/`,
      TABLE_NAME: TABLE,
      SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack',
      ROLLBACK_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:rollback',
      HOME_ACCOUNT_ID: '123456789012',
      AWS_PARTITION: 'aws',
      NODE_OPTIONS: '--enable-source-maps',
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await dynamo.stop();
    },
  };
}

let counter = 0;

/** An incident awaiting approval, with its message in Slack: the nonce its Approve button carries. */
export async function pendingApproval(fakes: SlackFakes): Promise<string> {
  counter += 1;
  const incidentId = `20260223-${counter.toString(16).padStart(12, '0')}`;
  const nonce = `bundled-${counter}-${Date.now()}`;
  const seed = JSON.parse(readFileSync(join(import.meta.dirname, '../examples/compromised-iam-user-key.json'), 'utf8'));
  const incident = normalizeFinding(seed.events[0]).incident;
  if (!incident) throw new Error('examples/compromised-iam-user-key.json: no incident');
  const now = new Date();
  await fakes.store.createIncident({
    incidentId,
    status: 'awaiting_approval',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    executionName: `bundled-${counter}`,
    incident,
    findingIds: [incident.findingId],
    plan: { items: [], recommendations: [], notPlanned: [] },
    slack: { channel: CHANNEL, ts: '1700000000.000001' },
  });
  await fakes.store.putApproval({
    nonce,
    incidentId,
    taskToken: `task-token-${counter}`,
    approvers: [APPROVER],
    requiredVotes: 1,
    planItemIds: ['deactivateAccessKey', 'denyBucketAccess'],
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    status: 'pending',
    votes: [],
  });
  return nonce;
}

/** A Function URL event carrying an approver's click on Approve, signed as Slack signs it (v0). */
export function signedApproveClick(nonce: string, responseUrl: string): Record<string, unknown> {
  const payload = {
    type: 'block_actions',
    api_app_id: 'A0RESPONDER',
    team: { id: 'T0000001', domain: 'example' },
    user: { id: APPROVER, username: 'responder', team_id: 'T0000001' },
    channel: { id: CHANNEL, name: 'secops' },
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: CHANNEL },
    trigger_id: '123.456.abc',
    response_url: responseUrl,
    state: {
      values: {
        decision: {
          select_actions: {
            type: 'checkboxes',
            selected_options: [{ value: 'denyBucketAccess', text: { type: 'plain_text', text: 'denyBucketAccess' } }],
          },
        },
      },
    },
    actions: [{ type: 'button', action_id: 'approve_plan', block_id: 'decision', value: nonce, action_ts: '1.2' }],
  };
  return { ...signedSlackEvent(interactionBody(payload), { secret: SIGNING_SECRET }) };
}

const DRIVER = `
const start = performance.now();
const { handler } = await import(process.env.BUNDLE_URL);
const imported = performance.now();
const result = await handler(JSON.parse(process.env.SLACK_EVENT), {});
const done = performance.now();
console.log(${JSON.stringify(MARKER)} + JSON.stringify({ importMs: imported - start, requestMs: done - imported, statusCode: result.statusCode, body: result.body }));
`;

/**
 * One cold start: a fresh `node` imports the bundle (`index.mjs`) and handles one signed Approve
 * click on a new pending approval. The environment is the function's and nothing else; Powertools
 * comes from `node_modules` as the layer provides it in Lambda.
 */
export async function runBundledSlackRequest(bundle: string, fakes: SlackFakes): Promise<BundledRequest> {
  await provideLayerLocally(bundle);
  const event = signedApproveClick(await pendingApproval(fakes), fakes.responseUrl);
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', DRIVER], {
    env: {
      PATH: process.env.PATH ?? '',
      ...fakes.env,
      BUNDLE_URL: pathToFileURL(bundle).href,
      SLACK_EVENT: JSON.stringify(event),
    },
    timeout: 30_000,
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(MARKER));
  if (!line) throw new Error(`the bundled handler printed no result:\n${stdout}\n${stderr}`);
  return { ...(JSON.parse(line.slice(MARKER.length)) as Omit<BundledRequest, 'output'>), output: stdout + stderr };
}
