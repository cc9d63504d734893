import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { laterFinding, readJson } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const FIRST_BUCKET = 'customer-records';
const OTHER_BUCKET = 'app-logs-123456789012';

type Policy = { Statement: { Sid?: string }[] };

/** The seed's GuardDuty finding as another finding (`id`) on `bucket`, `minutes` after the first. */
const finding = (id: string, bucket: string, minutes: number) => laterFinding(id, minutes, bucket);

describe('a bucket that arrives while the approval is pending', () => {
  it('is queued, then asked in the same thread right after the decision, and contained (the bundled example)', async () => {
    const input = parseScenario(readJson('examples/bucket-while-pending.json'));

    const result = await simulate(input, { approve: { kind: 'all' } });

    const [opened, folded] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(folded?.incidentId).toBe(opened?.incidentId);
    // The folded signal asked nothing itself: it was queued while the first request was pending.
    expect(folded?.states).not.toContain('Request Approval');
    expect(folded?.slackMessages.map((message) => message.text).join('\n')).toMatch(/queued/);
    // The first execution asked twice, in the same thread: the decision, then the queued delta.
    expect(opened?.states.filter((state) => state === 'Request Approval')).toHaveLength(2);
    expect(opened?.states.filter((state) => state === 'Write Report')).toHaveLength(2);
    const results = Object.fromEntries(opened?.applied.map((item) => [item.target, item.result]) ?? []);
    expect(results).toMatchObject({
      AKIA3EXAMPLEJNE7WXYZ: 'applied',
      [FIRST_BUCKET]: 'applied',
      [OTHER_BUCKET]: 'applied',
    });
    const ours = (bucket: string) =>
      ((result.account.bucketPolicies[bucket] as Policy | null)?.Statement ?? []).filter((statement) =>
        statement.Sid?.startsWith('IR'),
      );
    expect(ours(FIRST_BUCKET)).toHaveLength(1);
    expect(ours(OTHER_BUCKET)).toHaveLength(1);
    const messages = opened?.slackMessages ?? [];
    const queuedNote = folded?.slackMessages.find((message) => /queued/.test(message.text));
    const asked = messages.find((message) => /what arrived while it was pending/.test(message.text));
    expect(queuedNote?.thread_ts).toBeDefined();
    expect(asked?.thread_ts).toBe(queuedNote?.thread_ts);
    expect(asked?.text).toContain(OTHER_BUCKET);
    expect(opened?.reportMarkdown).toMatch(/what arrived while it was pending adds bucket\(s\) app-logs-123456789012/);
    expect(messages.filter((message) => message.method === 'chat.postMessage' && !message.thread_ts)).toHaveLength(1);
  }, 180_000);

  it('after a denial the queued bucket is not asked automatically: the thread says it stays queued and how to ask for it', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', FIRST_BUCKET, 0),
        finding('c7d9b2a3f4e55f6a0b1c2d3e4f5a6b7c', OTHER_BUCKET, 3),
      ];
      s.approvalDelayMinutes = 10;
    });

    const result = await simulate(input, { approve: { kind: 'none' } });

    const [opened] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['denied', 'linked']);
    expect(opened?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    expect(opened?.applied).toEqual([]);
    expect(opened?.plan.map((item) => item.target)).not.toContain(OTHER_BUCKET);
    const said = opened?.slackMessages.find((message) =>
      /stays queued and is not asked automatically/.test(message.text),
    );
    expect(said?.thread_ts).toBeDefined();
    expect(said?.text).toContain(OTHER_BUCKET);
    expect(said?.text).toContain('"queued":true');
    expect(result.account.bucketPolicies[OTHER_BUCKET]).toEqual(input.s3.buckets[1]?.policy ?? null);
  }, 180_000);
});
