import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { CreateClassificationJobCommand, Macie2Client } from '@aws-sdk/client-macie2';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { deactivateAccessKey } from '../../handlers/deactivate-access-key/core.js';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { describeBuckets } from '../../handlers/describe-buckets/core.js';
import { planContainment } from '../../handlers/plan-containment/core.js';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsEc2Port } from '../../handlers/shared/clients/ec2.js';
import { awsIamPort } from '../../handlers/shared/clients/iam.js';
import { awsMaciePort } from '../../handlers/shared/clients/macie.js';
import { awsS3Port } from '../../handlers/shared/clients/s3.js';
import { systemClock } from '../../handlers/shared/clock.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { startMacieJob } from '../../handlers/start-macie-job/core.js';
import { DEFAULT_FINDING_TYPES } from '../../infra/config.js';
import { guardDutyPattern } from '../../infra/constructs/finding-rule.js';
import { playbook } from '../../playbooks/s3-exfiltration.playbook.js';
import { matchesPattern } from '../support/event-pattern.js';
import { dynaliteStore } from '../support/ports.js';
import { findingFrom } from '../support/rule-samples.js';
import { testSettings } from '../support/settings.js';

const HOME_ACCOUNT = '123456789012';
const HOME_REGION = 'us-east-1';
const FINDING_REGION = 'eu-west-1';
const INCIDENT_ID = '20260223-0a1b2c3d4e5f';
const PRIOR_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowAnalyticsRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HOME_ACCOUNT}:role/analytics` },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::customer-records/*',
    },
  ],
});

type Client = S3Client | IAMClient | Macie2Client | EC2Client;
const s3 = mockClient(S3Client);
const iam = mockClient(IAMClient);
const macie = mockClient(Macie2Client);
const ec2 = mockClient(EC2Client);

/** The Region each recorded call's client was configured for, with the command's name. */
async function regionsOf(stub: { calls(): { thisValue: unknown; args: unknown[] }[] }): Promise<string[]> {
  return Promise.all(
    stub.calls().map(async (call) => {
      const client = call.thisValue as Client;
      return `${(call.args[0] as object).constructor.name} ${await client.config.region()}`;
    }),
  );
}

let store: IncidentStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('regional-containment'));
});
afterAll(async () => stop());

describe('a finding from eu-west-1, forwarded to the home Region us-east-1', () => {
  beforeEach(() => {
    for (const stub of [s3, iam, macie, ec2]) stub.reset();
    resetClientCache();
    vi.stubEnv('AWS_REGION', HOME_REGION);
    vi.stubEnv('HOME_ACCOUNT_ID', HOME_ACCOUNT);
    let policy = PRIOR_POLICY;
    let keyStatus = 'Active';
    s3.onAnyCommand().resolves({});
    s3.on(GetBucketPolicyCommand).callsFake(() => ({ Policy: policy }));
    s3.on(PutBucketPolicyCommand).callsFake((input: { Policy: string }) => {
      policy = input.Policy;
      return {};
    });
    iam.onAnyCommand().resolves({});
    iam.on(ListAccessKeysCommand).callsFake(() => ({
      AccessKeyMetadata: [{ UserName: 'developer-jane', AccessKeyId: 'AKIA3EXAMPLEJNE7WXYZ', Status: keyStatus }],
    }));
    iam.on(UpdateAccessKeyCommand).callsFake((input: { Status: string }) => {
      keyStatus = input.Status;
      return {};
    });
    macie.onAnyCommand().resolves({});
    macie.on(CreateClassificationJobCommand).resolves({ jobId: 'a1b2c3d4e5f6', jobArn: 'arn:aws:macie2:eu-west-1:x' });
  });
  afterEach(() => vi.unstubAllEnvs());

  it('is contained in eu-west-1: every regional call goes to an eu-west-1 client, none to the home Region', async () => {
    const event = findingFrom(FINDING_REGION);
    const settings = testSettings({ consoleRegion: HOME_REGION, findingTypes: DEFAULT_FINDING_TYPES });

    const { detailType, ...rest } = guardDutyPattern(DEFAULT_FINDING_TYPES);
    const routedHome = matchesPattern({ ...rest, 'detail-type': detailType }, event);
    const normalized = normalizeFinding(event);
    if (normalized.status !== 'accepted') throw new Error(`the finding was ${normalized.status}`);
    const { incident } = normalized;
    const input = { incidentId: INCIDENT_ID, incident, settings };
    const buckets = await runTask(describeBuckets, input, { s3: awsS3Port() });
    const plan = await runTask(
      planContainment,
      { ...input, enrichment: { describeBuckets: buckets }, contain: [...playbook.contain] },
      { s3: awsS3Port(), ec2: awsEc2Port() },
    );
    const results = [];
    for (const item of plan.items) {
      const actionInput = { item, incidentId: INCIDENT_ID, settings };
      const common = { store, clock: systemClock };
      if (item.action === 'denyBucketAccess') {
        results.push(await runTask(denyBucketAccess, actionInput, { ...common, s3: awsS3Port() }));
      } else if (item.action === 'deactivateAccessKey') {
        results.push(await runTask(deactivateAccessKey, actionInput, { ...common, iam: awsIamPort() }));
      } else if (item.action === 'startMacieJob') {
        results.push(await runTask(startMacieJob, actionInput, { ...common, macie: awsMaciePort() }));
      }
    }

    expect(routedHome).toBe(true);
    expect(incident.region).toBe(FINDING_REGION);
    expect(plan.items.map((item) => [item.action, item.region])).toEqual(
      expect.arrayContaining([
        ['deactivateAccessKey', FINDING_REGION],
        ['startMacieJob', FINDING_REGION],
        ['denyBucketAccess', FINDING_REGION],
      ]),
    );
    expect(results.map((result) => [result.action, result.result])).toEqual(
      expect.arrayContaining([
        ['deactivateAccessKey', 'applied'],
        ['startMacieJob', 'applied'],
        ['denyBucketAccess', 'applied'],
      ]),
    );
    expect(s3.commandCalls(PutBucketPolicyCommand)).toHaveLength(1);
    expect(macie.commandCalls(CreateClassificationJobCommand)).toHaveLength(1);
    expect(iam.commandCalls(UpdateAccessKeyCommand)[0]?.args[0].input).toMatchObject({
      AccessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
      Status: 'Inactive',
    });
    const regional = [...(await regionsOf(s3)), ...(await regionsOf(macie)), ...(await regionsOf(ec2))];
    expect(regional.length).toBeGreaterThan(2);
    expect(regional.filter((call) => !call.endsWith(` ${FINDING_REGION}`))).toEqual([]);
  });
});
