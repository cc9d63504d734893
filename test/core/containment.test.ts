import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deactivateAccessKey } from '../../handlers/deactivate-access-key/core.js';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { statementSid } from '../../handlers/shared/ids.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { scenario } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: IncidentStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await dynaliteStore());
});
afterAll(async () => stop());

const SEED = scenario('compromised-iam-user-key');
const settings = testSettings();
let counter = 0;
function incidentId(): string {
  counter += 1;
  return `20260223-${counter.toString(16).padStart(12, '0')}`;
}

function denyItem(id: string, bucket = 'customer-records') {
  const statement = bucketDenyStatement({
    sid: statementSid(id, 'DenyPrincipal'),
    bucket,
    partition: 'aws',
    principalArns: ['arn:aws:iam::123456789012:user/engineering/developer-jane'],
    exemptArns: [...settings.irRoleArns, ...settings.responderRoleArns],
  });
  return {
    id: `denyBucketAccess:${bucket}`,
    action: 'denyBucketAccess',
    target: bucket,
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 'deny',
    bucket,
    statements: [statement],
    sizeBefore: 0,
    sizeAfter: 0,
    limit: 20480,
  };
}

describe('denyBucketAccess', () => {
  it('adds one statement, backs up the exact prior document, and the second run is "already"', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();
    const prior = acct.bucketPolicies.get('customer-records');
    const ports = { s3: acct.s3, store, clock };

    const first = await runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);
    const second = await runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);

    const policy = JSON.parse(acct.bucketPolicies.get('customer-records') ?? '{}') as { Statement: unknown[] };
    expect([first.result, second.result]).toEqual(['applied', 'already']);
    expect(policy.Statement).toHaveLength(3);
    expect(await store.listUndo(id)).toEqual([
      expect.objectContaining({ kind: 'bucketPolicy', target: 'customer-records', prior }),
    ]);
    expect(acct.writes.filter((write) => write.call === 's3:PutBucketPolicy')).toHaveLength(1);
  });

  it('writes a new policy on a bucket that had none, and backs up "none" as null', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();

    const result = await runTask(
      denyBucketAccess,
      { item: denyItem(id, 'app-logs-123456789012'), incidentId: id, settings },
      { s3: acct.s3, store, clock },
    );

    expect(result.result).toBe('applied');
    expect((await store.listUndo(id))[0]?.prior).toBeNull();
  });

  it('refuses a merge over 20 KB before writing anything (PolicyTooLarge)', async () => {
    const endpoints: string[] = [];
    const big = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Big',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::customer-records/*',
          Condition: { StringEquals: { 'aws:SourceVpce': endpoints } },
        },
      ],
    };
    while (JSON.stringify(big).length < 20_200)
      endpoints.push(`vpce-${endpoints.length.toString(16).padStart(8, '0')}`);
    expect(JSON.stringify(big).length).toBeLessThan(20_480);
    const input = structuredClone(SEED);
    (input.s3.buckets[0] as { policy: unknown }).policy = big;
    const { account: acct, clock } = account(input);
    const id = incidentId();

    const attempt = runTask(
      denyBucketAccess,
      { item: denyItem(id), incidentId: id, settings },
      { s3: acct.s3, store, clock },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'PolicyTooLarge' });
    expect(acct.writes).toEqual([]);
  });

  it('refuses a policy it cannot parse instead of overwriting it', async () => {
    const input = structuredClone(SEED);
    (input.s3.buckets[0] as { policy: unknown }).policy = '{"Statement": [ oops';
    const { account: acct, clock } = account(input);
    const id = incidentId();

    await expect(
      runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, { s3: acct.s3, store, clock }),
    ).rejects.toMatchObject({
      name: 'InvalidPolicyDocument',
    });
    expect(acct.writes).toEqual([]);
  });

  it('re-merges when someone edits the policy between our read and our write (no lost update)', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();
    const s3 = acct.s3;
    let reads = 0;
    const thirdParty = {
      Sid: 'AddedMeanwhile',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/x' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::customer-records/*',
    };
    const racing = {
      ...s3,
      getBucketPolicy: async (args: Parameters<typeof s3.getBucketPolicy>[0]) => {
        reads += 1;
        if (reads === 2) {
          const current = JSON.parse(acct.bucketPolicies.get('customer-records') ?? '{}') as { Statement: unknown[] };
          acct.bucketPolicies.set(
            'customer-records',
            JSON.stringify({ ...current, Statement: [...current.Statement, thirdParty] }),
          );
        }
        return s3.getBucketPolicy(args);
      },
    };

    const result = await runTask(
      denyBucketAccess,
      { item: denyItem(id), incidentId: id, settings },
      { s3: racing, store, clock },
    );

    const policy = JSON.parse(acct.bucketPolicies.get('customer-records') ?? '{}') as { Statement: { Sid?: string }[] };
    expect(result.result).toBe('applied');
    expect(policy.Statement.map((statement) => statement.Sid)).toEqual([
      'DenyInsecureTransport',
      'AllowAnalyticsRead',
      'AddedMeanwhile',
      statementSid(id, 'DenyPrincipal'),
    ]);
  });

  it('refuses a statement that would deny a protected role (UnsafePolicy), whatever the plan says', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();
    const item = denyItem(id);
    item.statements = [
      {
        ...item.statements[0],
        Condition: { ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:user/x'] } },
      } as never,
    ];

    await expect(
      runTask(denyBucketAccess, { item, incidentId: id, settings }, { s3: acct.s3, store, clock }),
    ).rejects.toMatchObject({ name: 'UnsafePolicy' });
    expect(acct.writes).toEqual([]);
  });
});

describe('deactivateAccessKey', () => {
  const item = {
    id: 'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
    action: 'deactivateAccessKey',
    target: 'AKIA3EXAMPLEJNE7WXYZ',
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 's',
    userName: 'developer-jane',
    accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
  };

  it('deactivates only that key, saves its prior status, and the second run is "already"', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();
    const ports = { iam: acct.iam, store, clock };

    const first = await runTask(deactivateAccessKey, { item, incidentId: id, settings }, ports);
    const second = await runTask(deactivateAccessKey, { item, incidentId: id, settings }, ports);

    expect([first.result, second.result]).toEqual(['applied', 'already']);
    expect(acct.snapshot().accessKeys).toEqual({
      AKIA3EXAMPLEJNE7WXYZ: 'Inactive',
      AKIA3EXAMPLEJNECI001: 'Active',
      AKIA3EXAMPLEBACKUP99: 'Active',
    });
    expect(await store.listUndo(id)).toEqual([
      expect.objectContaining({ kind: 'accessKey', target: 'developer-jane/AKIA3EXAMPLEJNE7WXYZ', prior: 'Active' }),
    ]);
  });

  it('refuses a key that is not the user’s (AccessKeyMismatch) and changes nothing', async () => {
    const { account: acct, clock } = account(SEED);
    const id = incidentId();

    const attempt = runTask(
      deactivateAccessKey,
      { item: { ...item, userName: 'svc-backup' }, incidentId: id, settings },
      { iam: acct.iam, store, clock },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'AccessKeyMismatch' });
    expect(acct.writes).toEqual([]);
  });

  it('acts only in the finding’s account', async () => {
    const { account: acct, clock } = account(SEED);

    const attempt = runTask(
      deactivateAccessKey,
      { item: { ...item, accountId: '999999999999' }, incidentId: incidentId(), settings },
      { iam: acct.iam, store, clock },
    );

    await expect(attempt).rejects.toMatchObject({ name: 'AwsAccessDenied' });
  });
});
