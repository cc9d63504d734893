import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsS3Port } from '../../handlers/shared/clients/s3.js';
import { AwsAccessDenied, AwsResourceNotFound, AwsThrottling } from '../../handlers/shared/errors.js';

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
