import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { patchPolicy } from '../../handlers/shared/policy/patch.js';
import { patch, patcherProperty, SID } from './patcher-property.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, hugeArray, ONE_MB, runs } from './support.js';

/**
 * Existing bucket and VPC endpoint policies that reach the patcher, hostile by hand and generated:
 * the merge keeps every existing statement or refuses with a named error, writing nothing.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.patcher));

const allow = (sid: string, extra: Record<string, unknown> = {}) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::customer-records/*',
  ...extra,
});
const doc = (statement: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Version: '2012-10-17', ...extra, Statement: statement });
/** A one-statement policy of exactly `bytes` bytes. */
const ofSize = (bytes: number) => {
  const base = doc([allow('Pad', { Comment: '' })]);
  return doc([allow('Pad', { Comment: 'c'.repeat(bytes - Buffer.byteLength(base)) })]);
};

/** `${aws:username}` as literal text: a variable only under Version 2012-10-17. */
const USERNAME_PATH = 'arn:aws:s3:::customer-records/\u0024{aws:username}/*';

const HAND_PICKED: [string, string | undefined, 'kept' | string][] = [
  ['no policy', undefined, 'kept'],
  ['an empty string', '', 'kept'],
  ['truncated JSON', doc([allow('A')]).slice(0, 40), 'InvalidPolicyDocument'],
  ['not JSON at all', 'Version: 2012-10-17', 'InvalidPolicyDocument'],
  ['a JSON array', '[]', 'InvalidPolicyDocument'],
  ['JSON null', 'null', 'InvalidPolicyDocument'],
  ['a JSON number', '20480', 'InvalidPolicyDocument'],
  ['a policy inside a JSON string inside a JSON string', JSON.stringify(JSON.stringify(doc([allow('A')]))), 'kept'],
  ['Statement an object', doc(allow('Single')), 'kept'],
  ['Statement null', doc(null), 'InvalidPolicyDocument'],
  ['Statement a string', doc('Allow everything'), 'InvalidPolicyDocument'],
  ['a statement that is a number', doc([allow('A'), 7]), 'InvalidPolicyDocument'],
  ['Effect "allow" (lower case)', doc([{ ...allow('A'), Effect: 'allow' }]), 'InvalidPolicyDocument'],
  ['no Effect', doc([{ Sid: 'A', Action: '*' }]), 'InvalidPolicyDocument'],
  ['unicode Sids', doc([allow('bücket'), allow('日本語'), allow('🪣'), allow('\u202eevil')]), 'kept'],
  ['duplicate Sids', doc([allow('Same'), allow('Same', { Resource: '*' })]), 'kept'],
  ['SQL and markup in a Sid', doc([allow("x' OR '1'='1"), allow('<!channel>')]), 'kept'],
  ['our Sid on a statement we did not write', doc([allow('Keep'), { ...allow(SID), Effect: 'Deny' }]), 'SidConflict'],
  ['our Sid on an Allow', doc([allow(SID)]), 'SidConflict'],
  ['our Sid twice', doc([allow(SID), allow(SID, { Resource: '*' })]), 'SidConflict'],
  [
    'a Sid that merely starts with our incident',
    doc([allow(`${SID.replace('DenyPrincipal', '')}PartnerReadAccess`)]),
    'kept',
  ],
  [
    'no Version, with literal policy-variable text',
    JSON.stringify({ Statement: [allow('Home', { Resource: USERNAME_PATH })] }),
    'kept',
  ],
  ['Version 2008-10-17', doc([allow('Old')], { Version: '2008-10-17' }), 'kept'],
  ['unknown fields everywhere', doc([allow('A', { NotAField: { deep: [1, 2] } })], { Id: 'x', Extra: [null] }), 'kept'],
  ['no Version', JSON.stringify({ Statement: [allow('A')] }), 'kept'],
  ['exactly 20 KB', ofSize(20_480), 'PolicyTooLarge'],
  ['20 KB less the room for ours', ofSize(20_480 - 700), 'kept'],
  ['a 1 MB policy', doc([allow('Big', { Comment: ONE_MB })]), 'PolicyTooLarge'],
  ['100,000 statements', doc(hugeArray().map((_, index) => allow(`S${index}`))), 'PolicyTooLarge'],
  [
    'a Condition nested 5,000 deep',
    doc([allow('Deep', { Condition: '@' })]).replace('"@"', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
    'InvalidPolicyDocument',
  ],
  [
    'arrays nested 100,000 deep',
    `{"Version":"2012-10-17","Statement":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    'InvalidPolicyDocument',
  ],
  ['a lone surrogate in a Sid', doc([allow('\ud800')]), 'kept'],
];

/** The cases as objects, so a test name shows the label and the expected outcome, never the policy text. */
const CASES = HAND_PICKED.map(([label, text, expected]) => ({ label, text, expected }));

describe('hostile existing policies through the patcher', () => {
  it.each(CASES)('$label: $expected for a bucket policy; no statement dropped', async ({ text, expected }) => {
    distinct.add([text, 'bucket']);

    const { outcome, problems } = await patch(patchPolicy, text, 'bucket');

    expect(problems).toEqual([]);
    expect(outcome === 'applied' || outcome === 'already' ? 'kept' : outcome).toBe(expected);
  });

  it.each(CASES)('$label: kept or a named error for an endpoint policy', async ({ text }) => {
    distinct.add([text, 'endpoint']);

    const { outcome, problems } = await patch(patchPolicy, text, 'endpoint');

    expect(problems).toEqual([]);
    expect(outcome).toMatch(/^(applied|already|[A-Z]\w+)$/);
  });

  it.each(CASES)(
    '$label, read back stale after the write: written once, $expected, reported honestly',
    async ({ text, expected }) => {
      distinct.add([text, 'bucket', 'stale']);

      const briefly = await patch(patchPolicy, text, 'bucket', 2);
      const long = await patch(patchPolicy, text, 'bucket', 1_000);

      expect(briefly.problems).toEqual([]);
      expect(long.problems).toEqual([]);
      const kept = (outcome: string) => (outcome === 'applied' || outcome === 'already' ? 'kept' : outcome);
      expect([kept(briefly.outcome), kept(long.outcome)]).toEqual([expected, expected]);
      if (briefly.outcome === 'applied') expect([briefly.visible, long.visible]).toEqual([true, false]);
    },
  );

  it('generated policies: a valid merge keeping every statement, or a named error and no write', async () => {
    await fc.assert(
      patcherProperty(patchPolicy, (input) => distinct.add(input)),
      runs(250),
    );
  });
});
