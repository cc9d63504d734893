import { afterAll, describe, expect, it } from 'vitest';
import { sameJson } from '../../handlers/shared/policy/document.js';
import { run, variant } from '../support/simulate.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, NAMED_ERRORS } from './support.js';

/**
 * Hostile bucket policies met in a real run: the seed incident, every plan approved, with the
 * bucket's existing policy replaced. The bucket Deny either lands with every existing statement
 * kept, or fails with a named error and the policy is left exactly as it was; the run itself ends.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.flowPolicies));

const allow = (sid: string, extra: Record<string, unknown> = {}) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:role/analytics-reader' },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::customer-records/*',
  ...extra,
});
const padTo = (bytes: number) => {
  const base = JSON.stringify({ Version: '2012-10-17', Statement: [allow('Pad', { Comment: '' })] });
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [allow('Pad', { Comment: 'c'.repeat(bytes - Buffer.byteLength(base)) })],
  });
};

const POLICIES: [string, unknown, 'kept' | string][] = [
  ['not JSON', 'Version: 2012-10-17', 'InvalidPolicyDocument'],
  ['truncated JSON', '{"Version":"2012-10-17","Statement":[{"Sid":"A"', 'InvalidPolicyDocument'],
  ['Statement an object', { Version: '2012-10-17', Statement: allow('Single') }, 'kept'],
  [
    'unicode and injection Sids',
    { Statement: [allow('bücket-日本'), allow("x' OR '1'='1"), allow('<!channel>')] },
    'kept',
  ],
  [
    'a statement that is a string',
    { Version: '2012-10-17', Statement: [allow('A'), 'Allow *'] },
    'InvalidPolicyDocument',
  ],
  [
    'a Condition nested 3,000 deep',
    `{"Version":"2012-10-17","Statement":[{"Sid":"D","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}}]}`,
    'InvalidPolicyDocument',
  ],
  [
    'no Version, with literal policy-variable text',
    { Statement: [allow('Home', { Resource: 'arn:aws:s3:::customer-records/\u0024{aws:username}/*' })] },
    'kept',
  ],
  ['Version 2008-10-17', { Version: '2008-10-17', Statement: [allow('Old')] }, 'kept'],
  ['exactly 20 KB', padTo(20_480), 'PolicyTooLarge'],
  ['20 KB less the room for ours', padTo(19_000), 'kept'],
];

function statementsOf(policy: unknown): unknown[] {
  const document = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Statement: unknown };
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

describe('hostile existing bucket policies in a whole run, every plan approved', () => {
  it.each(POLICIES)('%s: %s', async (_label, policy, expected) => {
    distinct.add(policy);
    const scenario = variant('compromised-iam-user-key', (raw) => {
      (raw.s3.buckets[0] as { policy: unknown }).policy = policy;
      raw.events = raw.events.slice(0, 1);
    });

    const result = await run(scenario, { kind: 'all' });

    const incident = result.incidents[0];
    const deny = incident?.applied.find((entry) => entry.action === 'denyBucketAccess');
    const after = result.account.bucketPolicies['customer-records'];
    expect(incident?.status).toMatch(/^(contained|partially_contained)$/);
    if (expected === 'kept') {
      expect(deny).toMatchObject({ result: 'applied' });
      const kept = statementsOf(after);
      for (const statement of statementsOf(policy)) expect(kept.some((entry) => sameJson(entry, statement))).toBe(true);
      const version = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Version?: string };
      expect((after as { Version?: string }).Version).toBe(version.Version);
    } else {
      expect(deny).toMatchObject({ result: 'failed', error: expected });
      expect(NAMED_ERRORS.has(deny?.error ?? '')).toBe(true);
      expect(JSON.stringify(after)).toBe(JSON.stringify(typeof policy === 'string' ? parsedOrText(policy) : policy));
    }
  });
});

describe('a statement someone else keeps under our exact Sid, in a whole run', () => {
  it('fails the bucket Deny with SidConflict, leaves the policy as it was and says what to do', async () => {
    const seed = variant('compromised-iam-user-key', (raw) => {
      raw.events = raw.events.slice(0, 1);
    });
    const planned = (await run(seed, { kind: 'all' })).incidents[0]?.plan.find(
      (item) => item.action === 'denyBucketAccess',
    );
    const sid = planned && 'statements' in planned ? planned.statements[0]?.Sid : undefined;
    if (!sid) throw new Error('the seed plans no bucket Deny');
    const policy = { Version: '2012-10-17', Statement: [allow('Keep'), allow(sid)] };
    distinct.add(['sid-conflict', policy]);
    const scenario = variant('compromised-iam-user-key', (raw) => {
      (raw.s3.buckets[0] as { policy: unknown }).policy = policy;
      raw.events = raw.events.slice(0, 1);
    });

    const result = await run(scenario, { kind: 'all' });

    const incident = result.incidents[0];
    expect(incident?.status).toBe('partially_contained');
    expect(incident?.applied.find((entry) => entry.action === 'denyBucketAccess')).toMatchObject({
      result: 'failed',
      error: 'SidConflict',
    });
    expect(result.account.bucketPolicies['customer-records']).toEqual(policy);
    expect(incident?.reportMarkdown).toContain('Rename or remove that statement, then re-run');
  });
});

/** What the account snapshot shows for a stored text: its JSON, or the text itself. */
function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
