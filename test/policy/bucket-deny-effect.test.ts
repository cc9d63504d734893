import { describe, expect, it } from 'vitest';
import { UnsafePolicy } from '../../handlers/shared/errors.js';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';
import { decide } from '../support/iam.js';

const ACCOUNT = '123456789012';
const BUCKET = 'customer-records';
const OBJECT = `arn:aws:s3:::${BUCKET}/exports/customers.csv`;
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const ATTACKER = `arn:aws:iam::${ACCOUNT}:user/engineering/developer-jane`;
const IR_ROLE = `arn:aws:iam::${ACCOUNT}:role/IncidentResponder`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`;
const ANALYTICS_ROLE = `arn:aws:iam::${ACCOUNT}:role/analytics-reader`;
const OTHER_USER = `arn:aws:iam::${ACCOUNT}:user/someone-else`;

const original = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'AllowAnalyticsRead',
      Effect: 'Allow',
      Principal: { AWS: ANALYTICS_ROLE },
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
    },
  ],
};

const deny = bucketDenyStatement({
  sid: 'IR20260223b6c8a1f2e3d4DenyPrincipal',
  bucket: BUCKET,
  partition: 'aws',
  principalArns: [ATTACKER],
  exemptArns: [IR_ROLE, BREAK_GLASS],
});
const contained = mergeStatements(original as never, [deny]).document;

describe('the bucket Deny we merge (IAM oracle: iam-simulate)', () => {
  it.each([
    ['s3:GetObject', OBJECT],
    ['s3:PutObject', OBJECT],
    ['s3:ListBucket', BUCKET_ARN],
    ['s3:PutBucketPolicy', BUCKET_ARN],
  ])('denies the compromised user %s', async (action, resource) => {
    expect(await decide({ principal: ATTACKER, action, resource, bucketPolicy: contained })).toBe('ExplicitlyDenied');
    expect(await decide({ principal: ATTACKER, action, resource, bucketPolicy: original })).toBe('Allowed');
  });

  it.each([IR_ROLE, BREAK_GLASS])('leaves %s able to read and change the policy and to read data', async (role) => {
    const session = role.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + '/responder';
    for (const [action, resource] of [
      ['s3:GetBucketPolicy', BUCKET_ARN],
      ['s3:PutBucketPolicy', BUCKET_ARN],
      ['s3:DeleteBucketPolicy', BUCKET_ARN],
      ['s3:GetObject', OBJECT],
    ] as const) {
      expect(await decide({ principal: session, principalArn: role, action, resource, bucketPolicy: contained })).toBe(
        'Allowed',
      );
    }
  });

  it('leaves unrelated principals exactly as they were', async () => {
    const analytics = `arn:aws:sts::${ACCOUNT}:assumed-role/analytics-reader/airflow-worker-7`;
    for (const check of [
      {
        principal: analytics,
        principalArn: ANALYTICS_ROLE,
        action: 's3:GetObject',
        resource: OBJECT,
        identityPolicy: { Version: '2012-10-17', Statement: [] },
      },
      { principal: OTHER_USER, action: 's3:GetObject', resource: OBJECT },
      { principal: OTHER_USER, action: 's3:ListBucket', resource: BUCKET_ARN },
    ]) {
      expect(await decide({ ...check, bucketPolicy: contained })).toBe(
        await decide({ ...check, bucketPolicy: original }),
      );
    }
  });

  it('keeps the existing deny of insecure transport working', async () => {
    const check = {
      principal: OTHER_USER,
      action: 's3:GetObject',
      resource: OBJECT,
      context: { 'aws:SecureTransport': 'false' },
    };

    expect(await decide({ ...check, bucketPolicy: contained })).toBe('ExplicitlyDenied');
  });

  it('denies anonymous callers from the offending address only', async () => {
    const publicRead = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/*` },
      ],
    };
    const byIp = bucketDenyStatement({
      sid: 'IRxDenySourceIp',
      bucket: BUCKET,
      partition: 'aws',
      sourceIps: ['198.51.100.23'],
      exemptArns: [IR_ROLE],
    });
    const policy = mergeStatements(publicRead as never, [byIp]).document;

    expect(
      await decide({ action: 's3:GetObject', resource: OBJECT, bucketPolicy: policy, sourceIp: '198.51.100.23' }),
    ).toBe('ExplicitlyDenied');
    expect(
      await decide({ action: 's3:GetObject', resource: OBJECT, bucketPolicy: policy, sourceIp: '203.0.113.9' }),
    ).toBe('Allowed');
  });

  it('a source-address deny leaves principals of our accounts calling from that address alone and denies anyone else there', async () => {
    const publicRead = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/*` },
      ],
    };
    const spec = { sid: 'IRxDenySourceIp', bucket: BUCKET, partition: 'aws', sourceIps: ['198.51.100.0/24'] };
    const carved = mergeStatements(publicRead as never, [
      bucketDenyStatement({ ...spec, exemptArns: [IR_ROLE], ourAccounts: [ACCOUNT] }),
    ]).document;
    const uncarved = mergeStatements(publicRead as never, [
      bucketDenyStatement({ ...spec, exemptArns: [IR_ROLE] }),
    ]).document;
    const fromNat = { action: 's3:GetObject', resource: OBJECT, sourceIp: '198.51.100.23' };
    const ourRole = {
      ...fromNat,
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/analytics-reader/batch`,
      principalArn: ANALYTICS_ROLE,
    };
    const outsider = { ...fromNat, principal: 'arn:aws:iam::444455556666:user/mallory' };

    expect(await decide({ ...ourRole, bucketPolicy: carved })).toBe('Allowed');
    expect(await decide({ ...ourRole, bucketPolicy: uncarved })).toBe('ExplicitlyDenied');
    expect(await decide({ ...fromNat, bucketPolicy: carved })).toBe('ExplicitlyDenied');
    expect(await decide({ ...outsider, bucketPolicy: carved })).toBe('ExplicitlyDenied');
  });

  it('carves the IR role out of a source-address deny (and would not without the exemption)', async () => {
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponder/responder`;
    const spec = { sid: 'IRxDenySourceIp', bucket: BUCKET, partition: 'aws', sourceIps: ['198.51.100.23'] };
    const exempt = mergeStatements(original as never, [
      bucketDenyStatement({ ...spec, exemptArns: [IR_ROLE] }),
    ]).document;
    const unexempt = mergeStatements(original as never, [
      {
        ...bucketDenyStatement({ ...spec, exemptArns: [IR_ROLE] }),
        Condition: { IpAddress: { 'aws:SourceIp': ['198.51.100.23/32'] } },
      },
    ]).document;
    const check = {
      principal: session,
      principalArn: IR_ROLE,
      action: 's3:PutBucketPolicy',
      resource: BUCKET_ARN,
      sourceIp: '198.51.100.23',
    };

    expect(await decide({ ...check, bucketPolicy: exempt })).toBe('Allowed');
    expect(await decide({ ...check, bucketPolicy: unexempt })).toBe('ExplicitlyDenied');
  });

  it('refuses to build a deny that names a protected role', () => {
    expect(() =>
      bucketDenyStatement({
        sid: 'IRx',
        bucket: BUCKET,
        partition: 'aws',
        principalArns: [IR_ROLE],
        exemptArns: [IR_ROLE],
      }),
    ).toThrow(UnsafePolicy);
  });
});
