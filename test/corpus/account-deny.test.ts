import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Statement } from '../../handlers/shared/policy/document.js';
import { patchPolicy } from '../../handlers/shared/policy/patch.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, outcome, runs } from './support.js';

/**
 * Deny statements keyed on `aws:PrincipalAccount` as a crafted finding could steer them: whatever the
 * operator, the key's spelling, the value's form or pattern, one that can deny a whole account of
 * ours (home, member, the finding's own) is refused as `UnsafePolicy` before anything is read or
 * written; one naming only outsiders is written.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.accountDeny));

const HOME = '123456789012';
const MEMBER = '222233334444';
const FINDING = '555566667777';
const OURS = [HOME, MEMBER, FINDING];
const OUTSIDERS = ['444455556666', '999988887777', '000011112222'];
const EXEMPT = ['arn:aws:iam::123456789012:role/IncidentResponder'];

const deny = (operator: string, key: string, value: unknown): Statement => ({
  Sid: 'IR20260223c4e6a8b0d2f4DenyAccount',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::customer-records', 'arn:aws:s3:::customer-records/*'],
  Condition: { [operator]: { [key]: value }, ArnNotLike: { 'aws:PrincipalArn': EXEMPT } },
});

async function patched(statement: Statement) {
  const io = { reads: 0, writes: 0 };
  const result = await outcome(
    () =>
      patchPolicy(
        {
          label: 'bucket customer-records',
          read: async () => {
            io.reads += 1;
            return undefined;
          },
          write: async () => {
            io.writes += 1;
          },
          limit: 20_480,
          measure: (text) => Buffer.byteLength(text),
        },
        [statement],
        EXEMPT,
        async () => undefined,
        { ourAccounts: OURS },
      ),
    statement,
  );
  return { result, io };
}

const REFUSED: [string, string, string, unknown][] = [
  ['the home account', 'StringEquals', 'aws:PrincipalAccount', [HOME]],
  ['a member account', 'StringEquals', 'aws:PrincipalAccount', [MEMBER]],
  ['the finding’s account', 'StringEquals', 'aws:PrincipalAccount', [FINDING]],
  ['a scalar value', 'StringEquals', 'aws:PrincipalAccount', HOME],
  ['ours among outsiders', 'StringEquals', 'aws:PrincipalAccount', [...OUTSIDERS, MEMBER]],
  ['an upper-case key', 'StringEquals', 'AWS:PRINCIPALACCOUNT', [HOME]],
  ['a mixed-case key', 'StringEquals', 'aws:principalAccount', [MEMBER]],
  ['a set operator', 'ForAnyValue:StringEquals', 'aws:PrincipalAccount', [FINDING]],
  ['an if-exists operator', 'StringEqualsIfExists', 'aws:PrincipalAccount', [HOME]],
  ['a case-insensitive operator', 'StringEqualsIgnoreCase', 'aws:PrincipalAccount', [HOME]],
  ['a wildcard for every account', 'StringLike', 'aws:PrincipalAccount', ['*']],
  ['a prefix pattern', 'StringLike', 'aws:PrincipalAccount', ['1234*']],
  ['a ? pattern', 'StringLike', 'aws:PrincipalAccount', ['????????????']],
  ['a pattern for a member', 'StringLike', 'aws:PrincipalAccount', ['2222*4444']],
  ['a negated operator naming an outsider', 'StringNotEquals', 'aws:PrincipalAccount', [OUTSIDERS[0]]],
  ['a negated pattern', 'StringNotLike', 'aws:PrincipalAccount', ['4444*']],
  ['a negated set operator', 'ForAllValues:StringNotEquals', 'aws:PrincipalAccount', [OUTSIDERS[1]]],
  ['an empty negated list', 'StringNotEquals', 'aws:PrincipalAccount', []],
];

const WRITTEN: [string, string, string, unknown][] = [
  ['one outsider', 'StringEquals', 'aws:PrincipalAccount', [OUTSIDERS[0]]],
  ['several outsiders', 'StringEquals', 'aws:PrincipalAccount', OUTSIDERS],
  ['an outsider as a scalar', 'StringEquals', 'aws:PrincipalAccount', OUTSIDERS[2]],
  ['a pattern matching no account of ours', 'StringLike', 'aws:PrincipalAccount', ['4444*']],
];

describe('account-wide Denies through the patcher', () => {
  it.each(REFUSED)('refused, nothing read or written: %s', async (_label, operator, key, value) => {
    const statement = deny(operator, key, value);
    distinct.add(statement);

    const { result, io } = await patched(statement);

    expect(result).toMatchObject({ ok: false, error: 'UnsafePolicy' });
    expect(io).toEqual({ reads: 0, writes: 0 });
  });

  it.each(WRITTEN)('written: %s', async (_label, operator, key, value) => {
    const statement = deny(operator, key, value);
    distinct.add(statement);

    const { result, io } = await patched(statement);

    expect(result).toMatchObject({ ok: true, value: { result: 'applied' } });
    expect(io.writes).toBe(1);
  });

  it('generated: any list holding one of ours, under any equality operator and key spelling, is refused', async () => {
    const keySpelling = fc
      .array(fc.boolean(), { minLength: 20, maxLength: 20 })
      .map((upper) =>
        [...'aws:PrincipalAccount']
          .map((char, index) => (upper[index] ? char.toUpperCase() : char.toLowerCase()))
          .join(''),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('StringEquals', 'StringEqualsIgnoreCase', 'ForAnyValue:StringEquals', 'StringLike'),
        keySpelling,
        fc.array(fc.constantFrom(...OUTSIDERS), { maxLength: 5 }),
        fc.constantFrom(...OURS),
        fc.nat(),
        async (operator, key, outsiders, ours, at) => {
          const values = [...outsiders];
          values.splice(at % (values.length + 1), 0, ours);
          const statement = deny(operator, key, values);
          distinct.add(statement);

          const { result, io } = await patched(statement);

          expect(result).toMatchObject({ ok: false, error: 'UnsafePolicy' });
          expect(io.writes).toBe(0);
        },
      ),
      runs(40),
    );
  });
});
