import { describe, expect, it } from 'vitest';
import { type BucketFacts, describeBuckets } from '../../handlers/describe-buckets/core.js';
import { InvalidScenario } from '../../handlers/shared/errors.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { Settings } from '../../handlers/shared/schemas/settings.js';
import { parseScenario, type Scenario } from '../../local/scenario.js';
import { guardDutyEvent, readJson, scenario } from '../support/fixtures.js';
import { account } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SEED_INCIDENT = (() => {
  const incident = normalizeFinding(guardDutyEvent()).incident;
  if (!incident) throw new Error('the seed finding should normalize');
  return incident;
})();

type Fault = Scenario['faults'][number];

async function describeIn(
  input: Scenario,
  options: { buckets?: string[]; faults?: Fault[]; incident?: Partial<Incident>; settings?: Partial<Settings> } = {},
): Promise<BucketFacts[]> {
  const { account: acct } = account(input, options.faults);
  const incident = { ...SEED_INCIDENT, ...options.incident, buckets: options.buckets ?? SEED_INCIDENT.buckets };
  const output = await describeBuckets.run(
    { incidentId: '20260223-000000000001', incident, settings: testSettings(options.settings) },
    { s3: acct.s3 },
  );
  expect(output.status).toBe('ok');
  return output.buckets;
}

function withBucket(name: 'compromised-iam-user-key' | 'assumed-role-exfiltration', bucket: string, patch: object) {
  const input = structuredClone(scenario(name));
  input.s3.buckets = input.s3.buckets.map((entry) => (entry.name === bucket ? { ...entry, ...patch } : entry));
  return input;
}

describe('describeBuckets', () => {
  it('reports every fact of the seed bucket: policy, public access block, versioning, encryption, tags', async () => {
    const [facts] = await describeIn(scenario('compromised-iam-user-key'));

    expect(facts).toEqual({
      bucket: 'customer-records',
      policy: { present: true, bytes: expect.any(Number), limit: 20480, statements: 2 },
      publicAccessBlock: {
        configured: true,
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: true,
        restrictPublicBuckets: true,
      },
      versioning: { status: 'Enabled' },
      replication: { configured: false },
      encryption: {
        configured: true,
        algorithm: 'aws:kms',
        kmsKeyId: KEY,
        kmsKeyAccount: ACCOUNT,
        bucketKeyEnabled: true,
        foreignKmsKey: false,
      },
      tags: { values: { 'data-classification': 'confidential', owner: 'customer-data-platform' } },
      warnings: [],
    });
  });

  it('reports a bucket with nothing configured as such: versioning Disabled, no tags', async () => {
    const [facts] = await describeIn(scenario('compromised-iam-user-key'), { buckets: ['app-logs-123456789012'] });

    expect(facts).toEqual({
      bucket: 'app-logs-123456789012',
      policy: { present: false },
      publicAccessBlock: { configured: false },
      versioning: { status: 'Disabled' },
      replication: { configured: false },
      encryption: { configured: false },
      tags: { values: {} },
      warnings: [],
    });
  });

  it('keeps the other parts when one read is refused (AccessDenied on GetBucketReplication)', async () => {
    const [facts] = await describeIn(scenario('assumed-role-exfiltration'), {
      buckets: ['analytics-lake'],
      faults: [{ call: 's3:GetBucketReplication', error: 'AccessDenied', times: 1 }],
    });

    expect(facts?.replication).toEqual({
      status: 'unavailable',
      error: 'AwsAccessDenied',
      reason: expect.stringMatching(/^s3:GetBucketReplication failed: AccessDenied/),
    });
    expect(facts?.warnings).toEqual([]);
    expect(facts).toMatchObject({
      policy: { present: true, statements: 1 },
      publicAccessBlock: { configured: true, blockPublicPolicy: true },
      versioning: { status: 'Enabled' },
      encryption: { configured: true, algorithm: 'AES256', foreignKmsKey: false },
      tags: { values: { 'data-classification': 'internal' } },
    });
  });

  it('answers every part unavailable for a bucket in an account without the member role', async () => {
    const [facts] = await describeIn(scenario('compromised-iam-user-key'), { incident: { accountId: '210987654321' } });

    for (const part of ['policy', 'publicAccessBlock', 'versioning', 'replication', 'encryption', 'tags'] as const) {
      expect(facts?.[part]).toMatchObject({ status: 'unavailable', error: 'AwsAccessDenied' });
    }
  });

  it('flags a replication rule to another account as an exfiltration path', async () => {
    const [facts] = await describeIn(scenario('assumed-role-exfiltration'), { buckets: ['analytics-lake'] });

    const rule = {
      id: 'share-raw-events',
      status: 'Enabled',
      priority: 1,
      prefix: 'raw/events/',
      destinationBucket: 'arn:aws:s3:::partner-analytics-intake',
      destinationAccount: '444455556666',
      destinationOwner: 'other-account',
      crossAccount: true,
      note: expect.stringContaining('in account 444455556666: a path for data out of 123456789012'),
    };
    expect(facts?.replication).toEqual({
      configured: true,
      role: `arn:aws:iam::${ACCOUNT}:role/service-role/s3-replication-analytics-lake`,
      rules: [rule],
      crossAccountRules: [rule],
    });
    expect(facts?.warnings).toEqual([
      'Replication rule "share-raw-events" copies new objects of analytics-lake under "raw/events/" to arn:aws:s3:::partner-analytics-intake in account 444455556666: a path for data out of 123456789012',
    ]);
  });

  it('tells same-account, other-account and unknown-owner destinations apart', async () => {
    const rules = [
      { id: 'dr', status: 'Enabled', destinationBucket: 'arn:aws:s3:::dr-copy', destinationAccount: ACCOUNT },
      { id: 'sibling', status: 'Enabled', destinationBucket: 'arn:aws:s3:::app-logs-123456789012' },
      { id: 'somewhere', status: 'Disabled', destinationBucket: 'arn:aws:s3:::somewhere-else' },
      { status: 'Enabled', destinationBucket: 'arn:aws:s3:::partner', destinationAccount: '444455556666' },
    ];
    const input = parseScenario({
      ...readJson<Record<string, unknown>>('examples/compromised-iam-user-key.json'),
      s3: {
        buckets: [
          { name: 'customer-records', versioning: { status: 'Enabled' }, replication: { rules } },
          { name: 'app-logs-123456789012' },
        ],
      },
    });

    const [facts] = await describeIn(input, {
      buckets: ['customer-records', 'app-logs-123456789012'],
      settings: { trustedAccounts: ['444455556666'] },
    });

    const replication = facts?.replication as { rules: { destinationOwner: string; crossAccount: boolean }[] };
    expect(replication.rules.map((rule) => [rule.destinationOwner, rule.crossAccount])).toEqual([
      ['this-account', false],
      ['this-account', false],
      ['unknown', true],
      ['other-account', true],
    ]);
    expect(facts?.warnings).toEqual([
      expect.stringMatching(
        /^Replication rule "somewhere" is disabled but would copy .* a bucket not known to be in 123456789012/,
      ),
      expect.stringMatching(/^Replication rule #4 copies .* in account 444455556666 \(a trusted account\)/),
    ]);
  });

  it('flags a default KMS key owned by another account', async () => {
    const foreign = 'arn:aws:kms:us-east-1:999988887777:key/0f0e0d0c-0b0a-0908-0706-050403020100';
    const input = withBucket('compromised-iam-user-key', 'customer-records', {
      encryption: { algorithm: 'aws:kms:dsse', kmsKeyId: foreign, bucketKeyEnabled: false },
    });

    const [facts] = await describeIn(input);

    expect(facts?.encryption).toEqual({
      configured: true,
      algorithm: 'aws:kms:dsse',
      kmsKeyId: foreign,
      kmsKeyAccount: '999988887777',
      bucketKeyEnabled: false,
      foreignKmsKey: true,
      note: expect.stringContaining('of account 999988887777'),
    });
    expect(facts?.warnings).toEqual([expect.stringContaining(foreign)]);
  });

  it('does not call a bare key id or alias foreign: its account is not known', async () => {
    const input = withBucket('compromised-iam-user-key', 'customer-records', {
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/customer-records', bucketKeyEnabled: true },
    });

    const [facts] = await describeIn(input);

    expect(facts?.encryption).toEqual({
      configured: true,
      algorithm: 'aws:kms',
      kmsKeyId: 'alias/customer-records',
      bucketKeyEnabled: true,
      foreignKmsKey: false,
    });
  });
});

describe('scenario bucket configuration', () => {
  const seed = () => readJson<{ s3: { buckets: Record<string, unknown>[] } }>('examples/compromised-iam-user-key.json');
  function problem(patch: Record<string, unknown>): { path: string; message: string } {
    const raw = seed();
    raw.s3.buckets[0] = { ...raw.s3.buckets[0], ...patch };
    try {
      parseScenario(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidScenario);
      return { path: (error as InvalidScenario).path, message: (error as Error).message };
    }
    throw new Error('the scenario should have been refused');
  }

  it.each([
    [{ versioning: { status: 'On' } }, 's3.buckets[0].versioning.status', /must be Enabled, Suspended or Disabled/],
    [{ publicAccessBlock: { BlockPublicAcls: true } }, 's3.buckets[0].publicAccessBlock', /BlockPublicAcls/],
    [
      { replication: { rules: [{ destinationBucket: 'partner' }] } },
      's3.buckets[0].replication.rules[0].destinationBucket',
      /must be a bucket ARN/,
    ],
    [{ replication: { rules: [] } }, 's3.buckets[0].replication.rules', /at least one rule/],
    [
      { encryption: { algorithm: 'AES256', kmsKeyId: KEY } },
      's3.buckets[0].encryption.kmsKeyId',
      /only allowed with aws:kms/,
    ],
    [{ encryption: { algorithm: 'SSE-KMS' } }, 's3.buckets[0].encryption.algorithm', /must be AES256, aws:kms/],
    [{ tags: { owner: 7 } }, 's3.buckets[0].tags.owner', /./],
  ])('refuses a bad bucket configuration with a message naming the field (%#)', (patch, path, message) => {
    const found = problem(patch);

    expect(found.path).toBe(path);
    expect(found.message).toMatch(message);
  });
});
