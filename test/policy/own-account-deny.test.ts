import { describe, expect, it } from 'vitest';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { statementSid } from '../../handlers/shared/ids.js';
import { patchPolicy } from '../../handlers/shared/policy/patch.js';
import {
  assertSafeDeny,
  bucketDenyStatement,
  endpointDenyStatements,
} from '../../handlers/shared/policy/statements.js';
import { protectedRoleArns } from '../../handlers/shared/schemas/settings.js';
import { scenario } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const HOME = '123456789012';
const MEMBER = '222233334444';
const OUTSIDER = '444455556666';
const settings = testSettings({ homeAccountId: HOME, memberAccounts: [MEMBER] });
const exempt = protectedRoleArns(settings);
const OURS = [HOME, MEMBER];

const accountDeny = (accounts: string[]) =>
  bucketDenyStatement({
    sid: 'IR20260223c4e6a8b0d2f4DenyAccount',
    bucket: 'customer-records',
    partition: 'aws',
    principalAccounts: accounts,
    exemptArns: exempt,
  });

describe('a Deny on aws:PrincipalAccount never names an account of ours', () => {
  it.each([
    ['the home account', [HOME]],
    ['a member account', [MEMBER]],
    ['an outsider listed with the home account', [OUTSIDER, HOME]],
  ])('is refused as UnsafePolicy when it names %s', (_label, accounts) => {
    expect(() => assertSafeDeny(accountDeny(accounts), exempt, OURS)).toThrow(
      expect.objectContaining({ name: 'UnsafePolicy', message: expect.stringContaining('our own account') }),
    );
  });

  it('accepts a negated operator only as an exemption listing every account of ours', () => {
    const byAddress = bucketDenyStatement({
      sid: 'IR20260223c4e6a8b0d2f4DenySourceIp',
      bucket: 'customer-records',
      partition: 'aws',
      sourceIps: ['198.51.100.23'],
      exemptArns: exempt,
      ourAccounts: OURS,
    });
    const missingMember = {
      ...byAddress,
      Condition: { ...byAddress.Condition, StringNotEquals: { 'aws:PrincipalAccount': [HOME] } },
    };

    expect(byAddress.Condition?.StringNotEquals).toEqual({ 'aws:PrincipalAccount': OURS });
    expect(() => assertSafeDeny(byAddress, exempt, OURS)).not.toThrow();
    expect(() => assertSafeDeny(missingMember, exempt, OURS)).toThrow(
      expect.objectContaining({ name: 'UnsafePolicy' }),
    );
  });

  it('is refused when built for the finding’s own account', () => {
    const build = () =>
      bucketDenyStatement({
        sid: 'IR20260223c4e6a8b0d2f4DenyAccount',
        bucket: 'customer-records',
        partition: 'aws',
        principalAccounts: ['555566667777'],
        exemptArns: exempt,
        ourAccounts: ['555566667777'],
      });

    expect(build).toThrow(expect.objectContaining({ name: 'UnsafePolicy' }));
  });

  it('is refused for an endpoint Deny naming a member account', () => {
    const build = () =>
      endpointDenyStatements({
        sidPrefix: 'IR20260223c4e6a8b0d2f4Vpce0a1b2c3d4e5f60718',
        principalAccounts: [MEMBER],
        allowedAccounts: [HOME],
        exemptArns: exempt,
        ourAccounts: OURS,
      });

    expect(build).toThrow(expect.objectContaining({ name: 'UnsafePolicy' }));
  });

  it('is accepted when it names only an outsider', () => {
    expect(() => assertSafeDeny(accountDeny([OUTSIDER]), exempt, OURS)).not.toThrow();
  });

  it('the patcher writes nothing and backs nothing up when a statement denies an account of ours', async () => {
    const writes: string[] = [];
    const backups: unknown[] = [];

    const attempt = patchPolicy(
      {
        label: 'bucket customer-records',
        read: async () => undefined,
        write: async (text) => void writes.push(text),
        limit: 20_480,
        measure: (text) => Buffer.byteLength(text),
      },
      [accountDeny([HOME])],
      exempt,
      async (prior) => void backups.push(prior),
      { ourAccounts: OURS },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'UnsafePolicy' });
    expect(writes).toEqual([]);
    expect(backups).toEqual([]);
  });

  it('the bucket-deny task refuses a crafted plan item that denies the finding’s own account, and the policy is unchanged', async () => {
    const { store, stop } = await dynaliteStore('own-account-deny');
    try {
      const { account: acct, clock } = account(scenario('compromised-iam-user-key'));
      const before = acct.bucketPolicies.get('customer-records');
      const incidentId = '20260223-c4e6a8b0d2f4';
      const deny = {
        ...accountDeny([HOME]),
        Sid: statementSid(incidentId, 'DenyAccount'),
      };
      const item = {
        id: 'denyBucketAccess:customer-records',
        action: 'denyBucketAccess',
        target: 'customer-records',
        accountId: HOME,
        region: 'us-east-1',
        summary: 's',
        bucket: 'customer-records',
        statements: [deny],
        sizeBefore: 0,
        sizeAfter: 0,
        limit: 20_480,
      };

      const attempt = runTask(
        denyBucketAccess,
        { item, incidentId, settings: testSettings() },
        { s3: acct.s3, store, clock },
      );

      await expect(attempt).rejects.toMatchObject({ name: 'UnsafePolicy' });
      expect(acct.bucketPolicies.get('customer-records')).toBe(before);
      expect(acct.writes).toEqual([]);
    } finally {
      await stop();
    }
  });
});
