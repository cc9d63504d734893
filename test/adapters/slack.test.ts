import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SlackApiError,
  type SlackChatClient,
  slackChatPort,
  slackWebApi,
} from '../../handlers/shared/clients/slack.js';

interface Received {
  method: string;
  authorization?: string;
  params: Record<string, string>;
}

const received: Received[] = [];
let server: Server;
let apiUrl: string;

/** Slack's Web API, as far as these two methods go: form-encoded in, JSON out. */
function answer(
  method: string,
  params: Record<string, string>,
): { status: number; body: unknown; headers?: Record<string, string> } {
  const attempts = received.filter((request) => request.params.channel === params.channel).length;
  if (params.channel === 'C0BROKEN') return { status: 500, body: { ok: false } };
  if (params.channel === 'C0FLAKY' && attempts <= 2) return { status: 503, body: { ok: false } };
  if (params.channel === 'C0LIMITED') return { status: 429, body: { ok: false }, headers: { 'retry-after': '0' } };
  if (params.channel === 'C0MISSING') return { status: 200, body: { ok: false, error: 'channel_not_found' } };
  if (method === 'chat.postMessage')
    return { status: 200, body: { ok: true, channel: 'C0INCIDENTS', ts: '1718000000.000100' } };
  if (method === 'chat.update') return { status: 200, body: { ok: true, channel: params.channel, ts: params.ts } };
  return { status: 200, body: { ok: false, error: 'unknown_method' } };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const method = (request.url ?? '').replace(/^\/api\//, '');
      const params = Object.fromEntries(new URLSearchParams(body));
      received.push({ method, authorization: request.headers.authorization, params });
      const { status, body: json, headers } = answer(method, params);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The two clients the chat port is used with: @slack/web-api's (tests, local) and the functions' own. */
const CLIENTS: [string, () => SlackChatClient][] = [
  ['WebClient', () => new WebClient('xoxb-test-token', { slackApiUrl: apiUrl, retryConfig: { retries: 0 } })],
  ['slackWebApi', () => slackWebApi('xoxb-test-token', { slackApiUrl: apiUrl, retries: 0 })],
];

const BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'S3 exfiltration' } },
  { type: 'section', text: { type: 'mrkdwn', text: '*Plan*: deactivate AKIA…MPLE' } },
];

describe.each(CLIENTS)('slackChatPort with %s', (_name, client) => {
  beforeEach(() => {
    received.length = 0;
  });

  it('posts text and blocks in a thread and returns the message reference', async () => {
    const ref = await slackChatPort(client()).post({
      channel: '#incidents',
      message: { text: 'S3 exfiltration: approval needed', blocks: BLOCKS },
      threadTs: '1717999999.000200',
    });

    expect(ref).toEqual({ channel: 'C0INCIDENTS', ts: '1718000000.000100' });
    expect(received).toHaveLength(1);
    expect(received[0]?.method).toBe('chat.postMessage');
    expect(received[0]?.authorization).toBe('Bearer xoxb-test-token');
    expect(received[0]?.params).toEqual({
      channel: '#incidents',
      text: 'S3 exfiltration: approval needed',
      blocks: JSON.stringify(BLOCKS),
      thread_ts: '1717999999.000200',
    });
  });

  it('posts a top-level message without blocks', async () => {
    await slackChatPort(client()).post({ channel: 'C0INCIDENTS', message: { text: 'Evidence is in' } });

    expect(received[0]?.params).toEqual({ channel: 'C0INCIDENTS', text: 'Evidence is in' });
  });

  it('updates the message it is given', async () => {
    await slackChatPort(client()).update({
      ref: { channel: 'C0INCIDENTS', ts: '1718000000.000100' },
      message: { text: 'Approved', blocks: BLOCKS },
    });

    expect(received[0]?.method).toBe('chat.update');
    expect(received[0]?.params).toEqual({
      channel: 'C0INCIDENTS',
      ts: '1718000000.000100',
      text: 'Approved',
      blocks: JSON.stringify(BLOCKS),
    });
  });

  it("turns Slack's error into a SlackApiError naming its code", async () => {
    const post = slackChatPort(client()).post({ channel: 'C0MISSING', message: { text: 'hello' } });

    await expect(post).rejects.toBeInstanceOf(SlackApiError);
    await expect(post).rejects.toMatchObject({
      name: 'SlackApiError',
      slackError: 'channel_not_found',
      message: 'Slack chat.postMessage failed: channel_not_found',
    });
  });

  it('turns an HTTP failure into a SlackApiError', async () => {
    const update = slackChatPort(client()).update({ ref: { channel: 'C0BROKEN', ts: '1.2' }, message: { text: 'x' } });

    await expect(update).rejects.toMatchObject({ name: 'SlackApiError', slackError: 'http_500' });
  });
});

describe('slackWebApi', () => {
  beforeEach(() => {
    received.length = 0;
  });

  const port = (retries: number) =>
    slackChatPort(slackWebApi('xoxb-test-token', { slackApiUrl: apiUrl, retries, maxDelayMs: 1 }));

  it('retries an HTTP failure, at most `retries` times', async () => {
    await expect(port(1).post({ channel: 'C0FLAKY', message: { text: 'x' } })).rejects.toMatchObject({
      slackError: 'http_503',
    });
    expect(received).toHaveLength(2);

    received.length = 0;
    const ref = await port(2).post({ channel: 'C0FLAKY', message: { text: 'x' } });
    expect(ref.ts).toBe('1718000000.000100');
    expect(received).toHaveLength(3);
  });

  it("waits out a rate limit's Retry-After, then reports it", async () => {
    const post = port(2).post({ channel: 'C0LIMITED', message: { text: 'x' } });

    await expect(post).rejects.toMatchObject({ slackError: 'ratelimited (retry after 0 s)' });
    expect(received).toHaveLength(3);
  });

  it("does not retry Slack's own refusal", async () => {
    await expect(port(2).post({ channel: 'C0MISSING', message: { text: 'x' } })).rejects.toMatchObject({
      slackError: 'channel_not_found',
    });
    expect(received).toHaveLength(1);
  });

  it('reports a request that never reached Slack', async () => {
    const closed = slackChatPort(
      slackWebApi('xoxb-test-token', { slackApiUrl: 'http://127.0.0.1:1/api/', retries: 0 }),
    );

    await expect(closed.post({ channel: 'C0INCIDENTS', message: { text: 'x' } })).rejects.toMatchObject({
      name: 'SlackApiError',
      slackError: 'slack_webapi_request_error',
    });
  });
});
