import * as crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SlackLambdaHandler } from '../../handlers/slack/app.js';
import { buildSlackApp } from '../../handlers/slack/app.js';
import { MAX_BODY_BYTES, withRequestWindow } from '../../handlers/slack/door.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { interactionBody, signedSlackEvent } from '../../local/slack-signing.js';
import { dynaliteStore } from '../support/ports.js';

/**
 * The door of the interaction endpoint, in front of the real Bolt receiver: what is refused, with
 * what status, and that a refused request reaches neither the HMAC nor Bolt. Hashing is counted
 * through `node:crypto`'s `createHmac`; the deployed entry point (`index.ts`) is checked to refuse
 * before it reads the signing secret.
 */

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createHmac: vi.fn(actual.createHmac) };
});
const secretReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../handlers/shared/clients/slack-secret.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  slackSecret: async () => {
    secretReads.count += 1;
    throw new Error('the signing secret is not read in this test');
  },
}));

const SECRET = 'door-signing-secret';
/** Now, as both the door and Bolt (which reads the real clock) see it. */
const NOW = Date.now();
type Event = Parameters<SlackLambdaHandler>[0];

let door: SlackLambdaHandler;
let stopStore: () => Promise<void>;
let boltCalls = 0;

beforeAll(async () => {
  const { store, stop } = await dynaliteStore('slack-door');
  stopStore = stop;
  const { receiver } = buildSlackApp({
    signingSecret: SECRET,
    botToken: 'xoxb-door',
    ports: {
      store,
      chat: new RecordingChat(),
      clock: new SimClock(new Date(NOW)),
      callbacks: {
        sendTaskSuccess: async () => {
          throw new Error('the door tests decide nothing');
        },
        sendTaskFailure: async () => {
          throw new Error('the door tests decide nothing');
        },
      },
      rollback: {
        startRollback: async () => {
          throw new Error('the door tests start nothing');
        },
      },
    },
  });
  const bolt = await receiver.start();
  door = withRequestWindow(
    (event, context) => {
      boltCalls += 1;
      return bolt(event, context);
    },
    { signingSecret: SECRET, nowMillis: () => NOW },
  );
});
afterAll(async () => {
  await stopStore();
});
beforeEach(() => {
  boltCalls = 0;
});

const NOW_SECONDS = Math.floor(NOW / 1000);
/** A checkbox tick: the smallest interaction Bolt answers with a plain 200. */
const TICK = interactionBody({
  type: 'block_actions',
  user: { id: 'U024BE7LH' },
  team: { id: 'T0000001' },
  response_url: 'https://hooks.slack.com/actions/T0000001/1/x',
  actions: [{ type: 'checkboxes', action_id: 'select_actions', block_id: 'decision' }],
});

function event(body: string, options: { secret?: string; timestamp?: number; base64?: boolean } = {}): Event {
  return signedSlackEvent(body, {
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? NOW_SECONDS,
    base64: options.base64,
  }) as unknown as Event;
}

function withHeaders(base: Event, headers: Record<string, string | undefined>): Event {
  const merged: Record<string, string> = { ...(base.headers as Record<string, string>) };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return { ...base, headers: merged } as Event;
}

/** Sends one request; counts the HMACs computed while it was handled. */
async function send(request: Event): Promise<{ statusCode?: number; body?: string; hmacs: number }> {
  vi.mocked(crypto.createHmac).mockClear();
  const result = (await door(request, {})) as { statusCode?: number; body?: string };
  return { ...result, hmacs: vi.mocked(crypto.createHmac).mock.calls.length };
}

const FIVE_MB = 'payload='.padEnd(5 * 1024 * 1024, 'A');

describe('the Slack door', () => {
  it('a signed, timely interaction reaches Bolt and is answered', async () => {
    const result = await send(event(TICK));

    expect(result.statusCode).toBe(200);
    expect(boltCalls).toBe(1);
  });

  it.each([
    ['unsigned', withHeaders(event(FIVE_MB), { 'x-slack-signature': undefined })],
    ['signed correctly', event(FIVE_MB)],
    ['base64-encoded', event(FIVE_MB, { base64: true })],
    ['without any header', { body: FIVE_MB, isBase64Encoded: false, headers: {} } as unknown as Event],
  ])('a 5 MB body (%s) gets an empty 413 before any hashing and never reaches Bolt', async (_label, request) => {
    const result = await send(request);

    expect(result).toEqual({ statusCode: 413, body: '', hmacs: 0 });
    expect(boltCalls).toBe(0);
  });

  it('the limit is 64 KB of body bytes, before or after base64 decoding', async () => {
    const fits = `${TICK}&pad=${'p'.repeat(MAX_BODY_BYTES - TICK.length - 5)}`;
    const over = `${fits}p`;
    const multibyte = `${TICK}&pad=${'é'.repeat((MAX_BODY_BYTES - TICK.length) / 2)}`;

    const results = [
      await send(event(fits)),
      await send(event(fits, { base64: true })),
      await send(event(over)),
      await send(event(over, { base64: true })),
      await send(event(multibyte)),
    ];

    expect(fits.length).toBe(MAX_BODY_BYTES);
    expect(multibyte.length).toBeLessThan(MAX_BODY_BYTES);
    expect(results.map((result) => result.statusCode)).toEqual([200, 200, 413, 413, 413]);
    expect(boltCalls).toBe(2);
  });

  it.each([
    ['more than 5 minutes old', NOW_SECONDS - 301],
    ['more than 5 minutes ahead', NOW_SECONDS + 301],
  ])('a correctly signed request %s gets an empty 401 and is not hashed', async (_label, timestamp) => {
    const result = await send(event(TICK, { timestamp }));

    expect(result).toEqual({ statusCode: 401, body: '', hmacs: 0 });
    expect(boltCalls).toBe(0);
  });

  it('timestamps within 5 minutes either way are let in', async () => {
    const results = [
      await send(event(TICK, { timestamp: NOW_SECONDS - 240 })),
      await send(event(TICK, { timestamp: NOW_SECONDS + 299 })),
    ];

    expect(results.map((result) => result.statusCode)).toEqual([200, 200]);
  });

  it.each([
    ['no signature', { 'x-slack-signature': undefined }],
    ['no timestamp', { 'x-slack-request-timestamp': undefined }],
    ['a timestamp with a fraction', { 'x-slack-request-timestamp': `${NOW_SECONDS}.5` }],
    ['a timestamp that is not a number', { 'x-slack-request-timestamp': 'now' }],
    ['another signature version', { 'x-slack-signature': `v1=${'0'.repeat(64)}` }],
    ['a signature of the wrong length', { 'x-slack-signature': 'v0=abc' }],
    ['two signatures joined', { 'x-slack-signature': `v0=${'0'.repeat(64)},v0=${'1'.repeat(64)}` }],
  ])('%s: an empty 401, nothing hashed', async (_label, headers) => {
    const result = await send(withHeaders(event(TICK), headers));

    expect(result).toEqual({ statusCode: 401, body: '', hmacs: 0 });
    expect(boltCalls).toBe(0);
  });

  it.each([
    ['another secret', event(TICK, { secret: 'not-the-secret' })],
    ['a signature over another body', { ...event(TICK), body: TICK.replace('U024BE7LH', 'U0INTRUDER') } as Event],
    [
      'a signature over another timestamp',
      withHeaders(event(TICK), { 'x-slack-request-timestamp': `${NOW_SECONDS - 1}` }),
    ],
  ])('a signature with %s: an empty 401 after one HMAC, and Bolt is not reached', async (_label, request) => {
    const result = await send(request);

    expect(result).toEqual({ statusCode: 401, body: '', hmacs: 1 });
    expect(boltCalls).toBe(0);
  });

  it('a base64 body is verified over its decoded bytes', async () => {
    const encoded = event(TICK, { base64: true });
    const signedOverEncoded = withHeaders(encoded, {
      'x-slack-signature': signedSlackEvent(String(encoded.body), { secret: SECRET, timestamp: NOW_SECONDS }).headers[
        'x-slack-signature'
      ],
    });

    const results = [await send(encoded), await send(signedOverEncoded)];

    expect(results.map((result) => result.statusCode)).toEqual([200, 401]);
  });

  it('a signed body that is not an interaction gets an empty 400 that names nothing', async () => {
    const results = [
      await send(event('payload=%7B%22type%22%3A')),
      await send(event(interactionBody({ type: 'block_actions', user: { id: 'U1' } }))),
    ];

    expect(results.map(({ statusCode, body }) => ({ statusCode, body }))).toEqual([
      { statusCode: 400, body: '' },
      { statusCode: 400, body: '' },
    ]);
    expect(boltCalls).toBe(0);
  });
});

describe('the deployed entry point', () => {
  it('refuses unsigned, stale and oversize requests without reading the signing secret', async () => {
    const { handler } = await import('../../handlers/slack/index.js');
    const now = Math.floor(Date.now() / 1000);
    secretReads.count = 0;

    const results = [
      await handler(withHeaders(event(TICK, { timestamp: now }), { 'x-slack-signature': undefined }), {}),
      await handler(event(TICK, { timestamp: now - 600 }), {}),
      await handler(event(FIVE_MB, { timestamp: now, base64: true }), {}),
    ];

    expect(results).toEqual([
      { statusCode: 401, body: '' },
      { statusCode: 401, body: '' },
      { statusCode: 413, body: '' },
    ]);
    expect(secretReads.count).toBe(0);
  });

  it('a request that passes the cheap checks goes on to the secret (and here fails with it)', async () => {
    const { handler } = await import('../../handlers/slack/index.js');
    secretReads.count = 0;

    const answer = handler(event(TICK, { timestamp: Math.floor(Date.now() / 1000) }), {});

    await expect(answer).rejects.toThrow('the signing secret is not read in this test');
    expect(secretReads.count).toBe(1);
  });
});
