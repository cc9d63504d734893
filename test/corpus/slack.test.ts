import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN } from './plan.js';
import { APPROVER, click, type SlackEndpoint, signedBody, signedPayload, slackEndpoint } from './slack-endpoint.js';
import { Distinct, expectAtLeast, hostileString, hostileValue, ONE_MB, runs } from './support.js';

/**
 * Properly signed requests with hostile payloads against the Slack interaction endpoint as
 * deployed: every one gets a 4xx, or a 200 that is explained (an ephemeral message, the deny modal,
 * the modal's field error, a checkbox ack), never a 5xx or a thrown error, and never a SendTask or
 * StartExecution call. The one pending approval stays pending throughout.
 */

const distinct = new Distinct();
let endpoint: SlackEndpoint;

beforeAll(async () => {
  endpoint = await slackEndpoint();
});
afterAll(async () => {
  await endpoint.stop();
  expectAtLeast(distinct, PLAN.slack);
});

/** Sends one request; returns what was wrong (empty: fine). */
async function problemsOf(event: ReturnType<typeof signedBody>, label: unknown): Promise<string[]> {
  distinct.add(event.body, typeof label === 'string' ? label : undefined);
  const before = { ephemeral: endpoint.ephemeral.length, api: endpoint.apiCalls.length };
  let response: { statusCode?: number; body?: string };
  try {
    response = (await endpoint.handle(event, {} as never)) as typeof response;
  } catch (error) {
    return [`threw ${(error as Error).name}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  if (endpoint.sent.length > 0) problems.push(`called ${endpoint.sent.join(', ')}`);
  const status = response.statusCode ?? 0;
  if (status >= 500 || status < 200) problems.push(`answered ${status}`);
  if (status >= 400 && response.body) problems.push(`refused with a body: ${response.body.slice(0, 80)}`);
  if (status === 200) {
    const told = endpoint.ephemeral.length > before.ephemeral;
    const modal = endpoint.apiCalls.slice(before.api).includes('views.open');
    const fieldError = /"response_action":"errors"/.test(response.body ?? '');
    const checkbox = /"action_id":"select_actions"/.test(new URLSearchParams(String(event.body)).get('payload') ?? '');
    if (!told && !modal && !fieldError && !checkbox) problems.push('answered 200 without telling the user anything');
  }
  return problems;
}

const HAND_PICKED: [string, (nonce: string, url: string) => ReturnType<typeof signedBody>][] = [
  ['payload truncated JSON', () => signedPayload('{"type":"block_actions","user":{"id":"U1"')],
  ['payload not JSON', () => signedPayload('approve please')],
  ['payload null', () => signedPayload('null')],
  ['payload a number', () => signedPayload('42')],
  ['payload a string', () => signedPayload('"block_actions"')],
  ['payload an array', () => signedPayload('[{"type":"block_actions"}]')],
  ['payload an empty object', () => signedPayload('{}')],
  ['payload a 1 MB string', () => signedPayload(JSON.stringify(ONE_MB))],
  ['payload 1 MB of garbage', () => signedPayload(ONE_MB)],
  ['no payload field', () => signedBody('token=x&team_id=T1')],
  ['two payload fields', (n, u) => signedBody(`payload=${encodeURIComponent(JSON.stringify(click(u, n)))}&payload=x`)],
  ['a JSON body that is not JSON', () => signedBody('{"type":', { contentType: 'application/json' })],
  ['a text body', () => signedBody('hello', { contentType: 'text/plain' })],
  [
    'form with a charset',
    (n, u) =>
      signedBody(`payload=${encodeURIComponent(JSON.stringify(click(u, n)))}`, {
        contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      }),
  ],
  ['base64 garbage', () => signedBody('payload=%E0%A4%A', { base64: true })],
  ['an empty body', () => signedBody('')],
  ['a shortcut', () => signedPayload(JSON.stringify({ type: 'shortcut', callback_id: 'x', user: { id: APPROVER } }))],
  ['url_verification', () => signedPayload(JSON.stringify({ type: 'url_verification', challenge: 'c' }))],
  ['no user', (n, u) => signedPayload(JSON.stringify(click(u, n, { user: undefined })))],
  ['user a string', (n, u) => signedPayload(JSON.stringify(click(u, n, { user: APPROVER })))],
  ['user id a 1 MB string', (n, u) => signedPayload(JSON.stringify(click(u, n, { user: { id: ONE_MB } })))],
  ['no actions', (n, u) => signedPayload(JSON.stringify(click(u, n, { actions: undefined })))],
  [
    'actions an object',
    (n, u) => signedPayload(JSON.stringify(click(u, n, { actions: { action_id: 'approve_plan' } }))),
  ],
  ['actions empty', (n, u) => signedPayload(JSON.stringify(click(u, n, { actions: [] })))],
  ['an unknown action id', (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'drop_tables' })))],
  [
    'an action id with SQL',
    (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: "approve_plan' OR 1=1" }))),
  ],
  ['approve without a selection', (n, u) => signedPayload(JSON.stringify(click(u, n)))],
  ['approve with a 1 MB nonce', (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { value: ONE_MB })))],
  [
    'approve with a unicode nonce',
    (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { value: '🪣'.repeat(400) }))),
  ],
  ['approve with a numeric nonce', (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { value: 42 })))],
  [
    'approve selecting unplanned actions',
    (n, u) =>
      signedPayload(
        JSON.stringify(
          click(u, n, {
            state: { values: { d: { select_actions: { selected_options: [{ value: 'deleteEverything' }] } } } },
          }),
        ),
      ),
  ],
  [
    'approve with selected_options a string',
    (n, u) =>
      signedPayload(
        JSON.stringify(
          click(u, n, { state: { values: { d: { select_actions: { selected_options: 'denyBucketAccess' } } } } }),
        ),
      ),
  ],
  [
    'approve by someone else',
    (n, u) =>
      signedPayload(
        JSON.stringify(
          click(u, n, {
            user: { id: 'U0INTRUDER' },
            state: { values: { d: { select_actions: { selected_options: [{ value: 'denyBucketAccess' }] } } } },
          }),
        ),
      ),
  ],
  ['a response_url that is not a URL', (n) => signedPayload(JSON.stringify(click('not a url', n)))],
  ['a file: response_url', (n) => signedPayload(JSON.stringify(click('file:///etc/passwd', n)))],
  ['deny (opens the modal)', (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'deny_plan' })))],
  [
    'deny an unknown request',
    (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'deny_plan', value: 'nope' }))),
  ],
  [
    'undo with the approval nonce',
    (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'undo_incident' }))),
  ],
  [
    'undo with a 1 MB nonce',
    (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'undo_incident', value: ONE_MB }))),
  ],
  ['a checkbox tick', (n, u) => signedPayload(JSON.stringify(click(u, n, {}, { action_id: 'select_actions' })))],
  [
    'view_submission without a view',
    () => signedPayload(JSON.stringify({ type: 'view_submission', user: { id: APPROVER } })),
  ],
  ['deny reason of 1 MB', (n) => signedPayload(JSON.stringify(submission(n, ONE_MB)))],
  ['deny reason a number', (n) => signedPayload(JSON.stringify(submission(n, 12345)))],
  ['deny reason too short', (n) => signedPayload(JSON.stringify(submission(n, 'no')))],
  ['deny reason of 600 characters', (n) => signedPayload(JSON.stringify(submission(n, 'r'.repeat(600))))],
  [
    'deny by someone else',
    (n) => signedPayload(JSON.stringify({ ...submission(n, 'a valid reason'), user: { id: 'U0INTRUDER' } })),
  ],
  [
    'deny with private_metadata a number',
    () => signedPayload(JSON.stringify(submission(5 as never, 'a valid reason'))),
  ],
  ['deny with an unknown nonce', () => signedPayload(JSON.stringify(submission('unknown-nonce', 'a valid reason')))],
];

function submission(nonce: string, reason: unknown): Record<string, unknown> {
  return {
    type: 'view_submission',
    user: { id: APPROVER },
    team: { id: 'T0000001' },
    view: {
      callback_id: 'deny_reason',
      private_metadata: nonce,
      state: { values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } } },
    },
  };
}

const FIELDS = [
  'type',
  'user',
  'team',
  'channel',
  'container',
  'trigger_id',
  'response_url',
  'actions',
  'state',
  'api_app_id',
  'view',
];
const ACTION_IDS = ['approve_plan', 'deny_plan', 'undo_incident', 'select_actions'];

describe('hostile Slack interaction requests (signed)', () => {
  it.each(HAND_PICKED)('%s: a 4xx or an explained 200, no SendTask', async (label, make) => {
    expect(await problemsOf(make(endpoint.nonce, endpoint.responseUrl), label)).toEqual([]);
  });

  it('generated clicks with hostile fields', async () => {
    const change = fc.tuple(fc.constantFrom(...FIELDS), fc.option(hostileValue, { nil: undefined }));
    const actionChange = fc.record(
      { action_id: fc.oneof(fc.constantFrom(...ACTION_IDS), hostileString), value: hostileValue, type: hostileValue },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 3 }), actionChange, async (changes, action) => {
        const payload = click(endpoint.responseUrl, endpoint.nonce, Object.fromEntries(changes), action);
        expect(await problemsOf(signedPayload(JSON.stringify(payload)), undefined)).toEqual([]);
      }),
      runs(80),
    );
  });

  it('generated bodies: any text as payload or body, any content type', async () => {
    const contentType = fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    await fc.assert(
      fc.asyncProperty(hostileString, contentType, fc.boolean(), async (text, type, asPayload) => {
        const event = asPayload ? signedPayload(text) : signedBody(text, { contentType: type });
        expect(await problemsOf(event, undefined)).toEqual([]);
      }),
      runs(50),
    );
  });

  it('the pending approval is still pending: nothing was decided', async () => {
    expect(endpoint.sent).toEqual([]);
  });
});

/** Requests the door must refuse before reading them: unsigned, stale, oversize, base64 or not. */
const FIVE_MB = 'payload='.padEnd(5 << 20, 'A');
const unsigned = (event: ReturnType<typeof signedBody>, headers: Record<string, string>) =>
  ({ ...event, headers: { ...event.headers, ...headers } }) as ReturnType<typeof signedBody>;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const DOOR: [string, number, (nonce: string, url: string) => ReturnType<typeof signedBody>][] = [
  ['an unsigned 5 MB body', 413, () => unsigned(signedBody(FIVE_MB), { 'x-slack-signature': '' })],
  ['a signed 5 MB body', 413, () => signedBody(FIVE_MB)],
  ['a base64 5 MB body', 413, () => signedBody(FIVE_MB, { base64: true })],
  ['a signed body one byte over 64 KB', 413, () => signedBody('payload='.padEnd(65_537, 'A'))],
  ['a base64 body one byte over 64 KB', 413, () => signedBody('payload='.padEnd(65_537, 'A'), { base64: true })],
  [
    'a click signed with another secret',
    401,
    (n, u) => signedBody(`payload=${encodeURIComponent(JSON.stringify(click(u, n)))}`, { secret: 'guessed' }),
  ],
  [
    'a base64 click signed with another secret',
    401,
    (n, u) =>
      signedBody(`payload=${encodeURIComponent(JSON.stringify(click(u, n)))}`, { secret: 'guessed', base64: true }),
  ],
  [
    'a click without a signature',
    401,
    (n, u) => unsigned(signedPayload(JSON.stringify(click(u, n))), { 'x-slack-signature': 'v0=' }),
  ],
  [
    'a click 6 minutes old',
    401,
    (n, u) =>
      unsigned(signedPayload(JSON.stringify(click(u, n))), { 'x-slack-request-timestamp': `${nowSeconds() - 360}` }),
  ],
  [
    'a click 6 minutes ahead',
    401,
    (n, u) =>
      unsigned(signedPayload(JSON.stringify(click(u, n))), { 'x-slack-request-timestamp': `${nowSeconds() + 360}` }),
  ],
  [
    'a malformed body without a signature',
    401,
    () => unsigned(signedPayload('{"type":'), { 'x-slack-signature': 'x' }),
  ],
];

describe('the door: unsigned, stale and oversize requests', () => {
  it.each(DOOR)('%s: refused with an empty %i, nothing called', async (label, status, make) => {
    const event = make(endpoint.nonce, endpoint.responseUrl);
    const before = endpoint.apiCalls.length + endpoint.ephemeral.length;

    const problems = await problemsOf(event, label);
    const response = (await endpoint.handle(event, {} as never)) as { statusCode?: number; body?: string };

    expect(problems).toEqual([]);
    expect(response).toEqual({ statusCode: status, body: '' });
    expect(endpoint.apiCalls.length + endpoint.ephemeral.length).toBe(before);
  });

  it('a signed base64 click is let in and answered like the same click in plain text', async () => {
    const payload = JSON.stringify(click(endpoint.responseUrl, endpoint.nonce));
    const before = endpoint.ephemeral.length;

    const response = await endpoint.handle(
      signedBody(`payload=${encodeURIComponent(payload)}`, { base64: true }),
      {} as never,
    );

    expect(response.statusCode).toBe(200);
    expect(endpoint.ephemeral.slice(before)).toEqual([expect.stringMatching(/Select at least one action/)]);
  });

  it('generated signature and timestamp headers never get in', async () => {
    const value = fc.oneof(
      hostileString,
      fc
        .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })
        .map((hex) => `v0=${hex}`),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.oneof(hostileString, fc.integer().map(String)), async (signature, timestamp) => {
        const event = unsigned(signedPayload(JSON.stringify(click(endpoint.responseUrl, endpoint.nonce))), {
          'x-slack-signature': signature,
          'x-slack-request-timestamp': timestamp,
        });
        const response = (await endpoint.handle(event, {} as never)) as { statusCode?: number; body?: string };
        expect(response).toEqual({ statusCode: 401, body: '' });
      }),
      runs(40),
    );
  });
});
