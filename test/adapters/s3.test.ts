import {
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsS3Port } from '../../handlers/shared/clients/s3.js';
import { AwsAccessDenied, AwsResourceNotFound, AwsServiceError, AwsThrottling } from '../../handlers/shared/errors.js';

const s3 = mockClient(S3Client);
const ACCOUNT = '111111111111';
const POLICY =
  '{"Version":"2012-10-17","Statement":[{"Sid":"Existing","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data/*"}]}';

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, message: name, $fault: 'client', $metadata: { httpStatusCode: status } });

describe('awsS3Port', () => {
  beforeEach(() => {
    s3.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reads the policy text as stored, from a client that follows Region redirects', async () => {
    s3.on(GetBucketPolicyCommand).resolves({ Policy: POLICY });

    const policy = await awsS3Port().getBucketPolicy({ accountId: ACCOUNT, region: 'us-east-1', bucket: 'data' });

    expect(policy).toBe(POLICY);
    expect(s3.commandCalls(GetBucketPolicyCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
    const client = s3.call(0).thisValue as S3Client;
    expect(client.config.followRegionRedirects).toBe(true);
  });

  it('answers undefined for a bucket without a policy (NoSuchBucketPolicy)', async () => {
    s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));

    await expect(awsS3Port().getBucketPolicy({ accountId: ACCOUNT, bucket: 'data' })).resolves.toBeUndefined();
  });

  it('maps a missing bucket and a refusal to named errors', async () => {
    s3.on(GetBucketPolicyCommand, { Bucket: 'missing' }).rejects(s3Error('NoSuchBucket', 404));
    s3.on(GetBucketPolicyCommand, { Bucket: 'locked' }).rejects(s3Error('AccessDenied', 403));
    const port = awsS3Port();

    await expect(port.getBucketPolicy({ accountId: ACCOUNT, bucket: 'missing' })).rejects.toBeInstanceOf(
      AwsResourceNotFound,
    );
    await expect(port.getBucketPolicy({ accountId: ACCOUNT, bucket: 'locked' })).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
  });

  it('writes the policy text exactly as given', async () => {
    s3.on(PutBucketPolicyCommand).resolves({});

    await awsS3Port().putBucketPolicy({ accountId: ACCOUNT, bucket: 'data', policy: POLICY });

    expect(s3).toHaveReceivedCommandTimes(PutBucketPolicyCommand, 1);
    expect(s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      Policy: POLICY,
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('deletes the policy', async () => {
    s3.on(DeleteBucketPolicyCommand).resolves({});

    await awsS3Port().deleteBucketPolicy({ accountId: ACCOUNT, bucket: 'data' });

    expect(s3.commandCalls(DeleteBucketPolicyCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('maps a throttled write (SlowDown) to AwsThrottling', async () => {
    s3.on(PutBucketPolicyCommand).rejects(s3Error('SlowDown', 503));

    const write = awsS3Port().putBucketPolicy({ accountId: ACCOUNT, bucket: 'data', policy: POLICY });

    await expect(write).rejects.toBeInstanceOf(AwsThrottling);
    await expect(write).rejects.toThrow(/^s3:PutBucketPolicy failed: SlowDown/);
  });
});

describe('awsS3Port bucket configuration reads', () => {
  const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const scope = { accountId: ACCOUNT, bucket: 'data' };
  const port = () => awsS3Port();

  beforeEach(() => {
    s3.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reads Block Public Access, an absent flag as false', async () => {
    s3.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false },
    });

    await expect(port().getPublicAccessBlock(scope)).resolves.toEqual({
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: false,
      restrictPublicBuckets: false,
    });
    expect(s3.commandCalls(GetPublicAccessBlockCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('reads versioning with MFA delete when reported, and a never-versioned bucket as Disabled', async () => {
    s3.on(GetBucketVersioningCommand, { Bucket: 'data' }).resolves({ Status: 'Suspended', MFADelete: 'Enabled' });
    s3.on(GetBucketVersioningCommand, { Bucket: 'fresh' }).resolves({});

    await expect(port().getBucketVersioning(scope)).resolves.toEqual({ status: 'Suspended', mfaDelete: 'Enabled' });
    await expect(port().getBucketVersioning({ ...scope, bucket: 'fresh' })).resolves.toEqual({ status: 'Disabled' });
    expect(s3.commandCalls(GetBucketVersioningCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('reads replication rules: destination, account, priority and the prefix wherever the rule keeps it', async () => {
    s3.on(GetBucketReplicationCommand).resolves({
      ReplicationConfiguration: {
        Role: `arn:aws:iam::${ACCOUNT}:role/replication`,
        Rules: [
          {
            ID: 'to-partner',
            Priority: 2,
            Status: 'Enabled',
            Filter: { Prefix: 'exports/' },
            DeleteMarkerReplication: { Status: 'Disabled' },
            Destination: { Bucket: 'arn:aws:s3:::partner-drop', Account: '444455556666' },
          },
          {
            ID: 'tagged',
            Priority: 1,
            Status: 'Disabled',
            Filter: { And: { Prefix: 'raw/', Tags: [{ Key: 'replicate', Value: 'yes' }] } },
            Destination: { Bucket: 'arn:aws:s3:::data-dr' },
          },
          { Status: 'Enabled', Prefix: 'legacy/', Destination: { Bucket: 'arn:aws:s3:::data-archive' } },
        ],
      },
    });

    await expect(port().getBucketReplication(scope)).resolves.toEqual({
      role: `arn:aws:iam::${ACCOUNT}:role/replication`,
      rules: [
        {
          id: 'to-partner',
          status: 'Enabled',
          destinationBucket: 'arn:aws:s3:::partner-drop',
          destinationAccount: '444455556666',
          priority: 2,
          prefix: 'exports/',
        },
        { id: 'tagged', status: 'Disabled', destinationBucket: 'arn:aws:s3:::data-dr', priority: 1, prefix: 'raw/' },
        { status: 'Enabled', destinationBucket: 'arn:aws:s3:::data-archive', prefix: 'legacy/' },
      ],
    });
    expect(s3.commandCalls(GetBucketReplicationCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('reads the default encryption rule: algorithm, KMS key and bucket key', async () => {
    s3.on(GetBucketEncryptionCommand, { Bucket: 'data' }).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
    s3.on(GetBucketEncryptionCommand, { Bucket: 'plain' }).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });

    await expect(port().getBucketEncryption(scope)).resolves.toEqual({
      algorithm: 'aws:kms',
      kmsKeyId: KEY,
      bucketKeyEnabled: true,
    });
    await expect(port().getBucketEncryption({ ...scope, bucket: 'plain' })).resolves.toEqual({
      algorithm: 'AES256',
      bucketKeyEnabled: false,
    });
    expect(s3.commandCalls(GetBucketEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  it('reads the tag set as key → value', async () => {
    s3.on(GetBucketTaggingCommand).resolves({
      TagSet: [
        { Key: 'data-classification', Value: 'confidential' },
        { Key: 'owner', Value: 'crm-team' },
      ],
    });

    await expect(port().getBucketTagging(scope)).resolves.toEqual({
      'data-classification': 'confidential',
      owner: 'crm-team',
    });
    expect(s3.commandCalls(GetBucketTaggingCommand)[0]?.args[0].input).toEqual({
      Bucket: 'data',
      ExpectedBucketOwner: ACCOUNT,
    });
  });

  /** Makes the SDK command behind a port read fail with `error`. */
  const failing = {
    getPublicAccessBlock: (error: Error) => s3.on(GetPublicAccessBlockCommand).rejects(error),
    getBucketVersioning: (error: Error) => s3.on(GetBucketVersioningCommand).rejects(error),
    getBucketReplication: (error: Error) => s3.on(GetBucketReplicationCommand).rejects(error),
    getBucketEncryption: (error: Error) => s3.on(GetBucketEncryptionCommand).rejects(error),
    getBucketTagging: (error: Error) => s3.on(GetBucketTaggingCommand).rejects(error),
  };

  it.each([
    ['getPublicAccessBlock', 'NoSuchPublicAccessBlockConfiguration', undefined],
    ['getBucketReplication', 'ReplicationConfigurationNotFoundError', undefined],
    ['getBucketEncryption', 'ServerSideEncryptionConfigurationNotFoundError', undefined],
    ['getBucketTagging', 'NoSuchTagSet', {}],
  ] as const)('%s answers "not configured" for %s', async (method, code, expected) => {
    failing[method](s3Error(code, 404));

    await expect(port()[method](scope)).resolves.toEqual(expected);
  });

  it.each([
    ['getPublicAccessBlock', 's3:GetPublicAccessBlock'],
    ['getBucketVersioning', 's3:GetBucketVersioning'],
    ['getBucketReplication', 's3:GetBucketReplication'],
    ['getBucketEncryption', 's3:GetBucketEncryption'],
    ['getBucketTagging', 's3:GetBucketTagging'],
  ] as const)('%s maps a refusal to AwsAccessDenied naming the call (%s)', async (method, call) => {
    failing[method](s3Error('AccessDenied', 403));

    const read = port()[method](scope);

    await expect(read).rejects.toBeInstanceOf(AwsAccessDenied);
    await expect(read).rejects.toThrow(new RegExp(`^${call} failed: AccessDenied`));
  });

  it('does not take another read\'s "not configured" code for its own', async () => {
    s3.on(GetBucketEncryptionCommand).rejects(s3Error('NoSuchTagSet', 404));
    s3.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchBucket', 404));

    await expect(port().getBucketEncryption(scope)).rejects.toBeInstanceOf(AwsServiceError);
    await expect(port().getBucketTagging(scope)).rejects.toBeInstanceOf(AwsResourceNotFound);
  });
});
