import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake Slack received: a Web API method, or `response_url` for an interaction's response URL. */
export interface FakeSlackRequest {
  readonly method: string;
  /** The body as sent. */
  readonly raw: string;
  /** The form fields of a Web API call, or the JSON body posted to a response URL. */
  readonly fields: Record<string, unknown>;
}

export interface FakeSlack {
  /** A response URL of this fake (an interaction's `response_url`). */
  readonly responseUrl: string;
  /** The Web API base URL (`slackApiUrl` of the WebClient). */
  readonly apiUrl: string;
  /** Every request received, in order; clear it with `requests.length = 0`. */
  readonly requests: FakeSlackRequest[];
  stop(): Promise<void>;
}

/**
 * A local Slack Web API and response-URL endpoint on a free port. `answer` gives the JSON body a
 * request gets (after it is recorded); undefined answers `{"ok": true}`, and `chat.postMessage`
 * gets a channel and a `ts` by default.
 */
export async function startFakeSlack(answer?: (request: FakeSlackRequest) => unknown): Promise<FakeSlack> {
  const requests: FakeSlackRequest[] = [];
  const server = createServer((request, reply) => {
    let raw = '';
    request.on('data', (chunk) => {
      raw += chunk;
    });
    request.on('end', () => {
      const url = request.url ?? '';
      const api = url.startsWith('/api/');
      const received: FakeSlackRequest = api
        ? {
            method: url.slice('/api/'.length).split('?')[0] ?? '',
            raw,
            fields: Object.fromEntries(new URLSearchParams(raw)),
          }
        : { method: 'response_url', raw, fields: JSON.parse(raw || '{}') as Record<string, unknown> };
      requests.push(received);
      const body =
        answer?.(received) ??
        (received.method === 'chat.postMessage'
          ? { ok: true, channel: received.fields.channel, ts: '1700000000.100000' }
          : { ok: true });
      reply.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    responseUrl: `http://127.0.0.1:${port}/respond`,
    apiUrl: `http://127.0.0.1:${port}/api/`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
