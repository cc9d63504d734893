import { describe, expect, it } from 'vitest';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { planFor } from '../support/deny-plan.js';
import { readJson } from '../support/fixtures.js';
import { decide } from '../support/iam.js';
import { testSettings } from '../support/settings.js';

const HOME = '123456789012';
const OUTSIDER = '444455556666';
const BUCKET = 'customer-records';
const OBJECT = `arn:aws:s3:::${BUCKET}/exports/customers.csv`;
const EXTERNAL_ROLE = `arn:aws:iam::${OUTSIDER}:role/Admin`;
const EXTERNAL_SESSION = `arn:aws:sts::${OUTSIDER}:assumed-role/Admin/exfil-session`;
const LOCAL_ROLE = `arn:aws:iam::${HOME}:role/Admin`;
const LOCAL_SESSION = `arn:aws:sts::${HOME}:assumed-role/Admin/nightly-report`;

/** The bucket as a partner-read setup leaves it: the other account may read (so only our Deny can stop it). */
const original = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowPartnerRead',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` },
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    },
  ],
};

async function containedPolicy(incident: Incident) {
  const plan = await planFor(incident, ['denyBucketAccess'], { settings: testSettings({ homeAccountId: HOME }) });
  const item = plan.items.find((entry) => entry.action === 'denyBucketAccess');
  if (item?.action !== 'denyBucketAccess') throw new Error('no bucket Deny planned');
  return mergeStatements(original as never, item.statements as never).document;
}

const read = (principal: string, principalArn: string, principalAccount: string, bucketPolicy: unknown) =>
  decide({
    principal,
    principalArn,
    action: 's3:GetObject',
    resource: OBJECT,
    bucketPolicy,
    context: { 'aws:PrincipalAccount': principalAccount },
  });

describe('the bucket Deny for a caller in another account (IAM oracle: iam-simulate)', () => {
  const incident = normalizeFinding(readJson('test/fixtures/guardduty/cross-account-caller-event.json'))
    .incident as Incident;

  it('lets the other account read before containment (the oracle sees the partner Allow)', async () => {
    expect(await read(EXTERNAL_SESSION, EXTERNAL_ROLE, OUTSIDER, original)).toBe('Allowed');
  });

  it('denies the external session after containment', async () => {
    const policy = await containedPolicy(incident);

    expect(await read(EXTERNAL_SESSION, EXTERNAL_ROLE, OUTSIDER, policy)).toBe('ExplicitlyDenied');
  });

  it('leaves our own role of the same name untouched and allowed', async () => {
    const policy = await containedPolicy(incident);

    expect(JSON.stringify(policy)).not.toContain(LOCAL_ROLE);
    expect(await read(LOCAL_SESSION, LOCAL_ROLE, HOME, policy)).toBe('Allowed');
  });

  it('denies every principal of the account by aws:PrincipalAccount when only the account is known, and no one of ours', async () => {
    const policy = await containedPolicy({
      ...incident,
      principal: { type: 'Unknown', rawType: 'AWSAccount', accountId: OUTSIDER },
    });

    expect(await read(EXTERNAL_SESSION, EXTERNAL_ROLE, OUTSIDER, policy)).toBe('ExplicitlyDenied');
    expect(await read(LOCAL_SESSION, LOCAL_ROLE, HOME, policy)).toBe('Allowed');
  });
});
