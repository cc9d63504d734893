import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import type { SlackApiMessage } from '../../local/slack-log.js';
import { scenario } from '../support/fixtures.js';

const METHODS = ['chat.postMessage', 'chat.update', 'chat.postEphemeral'];

function payloadShape(message: SlackApiMessage): boolean {
  return (
    METHODS.includes(message.method) &&
    typeof message.channel === 'string' &&
    typeof message.text === 'string' &&
    (message.blocks === undefined || Array.isArray(message.blocks))
  );
}

describe('simulate lists each event’s Slack messages as posted', () => {
  it('the approval request, its evidence and closing messages in its thread, and the decision as an update', async () => {
    const result = await simulate(scenario('compromised-iam-user-key'), { approve: { kind: 'all' } });

    const messages = result.incidents[0]?.slackMessages ?? [];
    expect(messages.every(payloadShape)).toBe(true);
    const [request, ...rest] = messages;
    expect(request).toMatchObject({ method: 'chat.postMessage', blocks: expect.any(Array) });
    expect(request?.thread_ts).toBeUndefined();
    const update = rest.find((message) => message.method === 'chat.update');
    expect(update?.text).toMatch(/Approved by/);
    const thread = rest.filter((message) => message.method === 'chat.postMessage');
    expect(thread.length).toBeGreaterThanOrEqual(2);
    expect(thread.every((message) => message.thread_ts === update?.ts)).toBe(true);
    expect(thread.some((message) => /evidence/i.test(message.text))).toBe(true);
    expect(thread.at(-1)?.text).toMatch(new RegExp(`Incident ${result.incidents[0]?.incidentId}`));
  });

  it('a linked event has only its own thread reply, not the messages of the incident it joined', async () => {
    const result = await simulate(scenario('compromised-iam-user-key'), { approve: { kind: 'all' } });

    const [first, linked] = result.incidents;
    expect(linked?.status).toBe('linked');
    expect(linked?.slackMessages.length).toBeGreaterThan(0);
    const firstTs = first?.slackMessages.find((message) => message.method === 'chat.update')?.ts;
    expect(linked?.slackMessages.every((message) => (message.thread_ts ?? message.ts) === firstTs)).toBe(true);
    for (const message of linked?.slackMessages ?? []) expect(first?.slackMessages).not.toContainEqual(message);
  });
});
