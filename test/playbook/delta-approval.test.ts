import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import { laterFinding } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const FIRST_BUCKET = 'customer-records';
const OTHER_BUCKET = 'app-logs-123456789012';

type Policy = { Statement: { Sid?: string }[] };

/** The seed's GuardDuty finding as another finding (`id`) on `bucket`, `minutes` after the first. */
const finding = (id: string, bucket: string, minutes: number) => laterFinding(id, minutes, bucket);

describe('a delta approval in the incident thread', () => {
  it('the same key on another bucket after containment: linked, approval asked for that bucket only, the key confirmed', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', FIRST_BUCKET, 0),
        finding('c7d9b2a3f4e55f6a0b1c2d3e4f5a6b7c', OTHER_BUCKET, 30),
      ];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    const [opened, delta] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(delta?.incidentId).toBe(opened?.incidentId);
    expect(delta?.states).toContain('Request Approval');
    const results = Object.fromEntries(delta?.applied.map((item) => [item.target, item.result]) ?? []);
    expect(results).toMatchObject({
      AKIA3EXAMPLEJNE7WXYZ: 'already',
      [FIRST_BUCKET]: 'already',
      [OTHER_BUCKET]: 'applied',
    });
    const ours = (bucket: string) =>
      ((result.account.bucketPolicies[bucket] as Policy | null)?.Statement ?? []).filter((statement) =>
        statement.Sid?.startsWith('IR'),
      );
    expect(ours(FIRST_BUCKET)).toHaveLength(1);
    expect(ours(OTHER_BUCKET)).toHaveLength(1);
    // The delta went to the incident's thread, not to a new message.
    const threadTs = opened?.slackMessages.find((message) => message.method === 'chat.postMessage')?.thread_ts;
    expect(threadTs).toBeUndefined();
    expect(delta?.slackMessages.some((message) => message.method === 'chat.postMessage' && !message.thread_ts)).toBe(
      false,
    );
  }, 180_000);
});
