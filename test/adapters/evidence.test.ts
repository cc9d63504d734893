import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsEvidencePort } from '../../handlers/shared/clients/evidence.js';
import { AwsAccessDenied } from '../../handlers/shared/errors.js';

const s3 = mockClient(S3Client);
const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('awsEvidencePort', () => {
  beforeEach(() => s3.reset());
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['aws', 'eu-west-1', 'https://console.aws.amazon.com/s3/object/evidence-bucket?region=eu-west-1&prefix='],
    ['aws-cn', 'cn-north-1', 'https://console.amazonaws.cn/s3/object/evidence-bucket?region=cn-north-1&prefix='],
    [
      'aws-us-gov',
      'us-gov-west-1',
      'https://console.amazonaws-us-gov.com/s3/object/evidence-bucket?region=us-gov-west-1&prefix=',
    ],
  ])('links the written object in the S3 console of the %s partition', async (_partition, region, prefix) => {
    vi.stubEnv('AWS_REGION', region);
    s3.on(PutObjectCommand).resolves({});

    const result = await awsEvidencePort('evidence-bucket').putObject({
      key: 'incidents/abc/report.html',
      body: '<!doctype html>',
      contentType: 'text/html; charset=utf-8',
    });

    expect(result.url).toBe(`${prefix}incidents%2Fabc%2Freport.html`);
  });

  it('writes the object encrypted with the evidence key and returns its location', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"etag"' });

    const result = await awsEvidencePort('evidence-bucket', KEY_ARN).putObject({
      key: 'incidents/abc/report.md',
      body: '# Report',
      contentType: 'text/markdown; charset=utf-8',
    });

    expect(result).toEqual({ location: 's3://evidence-bucket/incidents/abc/report.md' });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'evidence-bucket',
      Key: 'incidents/abc/report.md',
      Body: '# Report',
      ContentType: 'text/markdown; charset=utf-8',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
  });

  it("leaves encryption to the bucket's default without a key", async () => {
    s3.on(PutObjectCommand).resolves({});

    await awsEvidencePort('evidence-bucket').putObject({
      key: 'incidents/abc/report.json',
      body: '{}',
      contentType: 'application/json',
    });

    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'evidence-bucket',
      Key: 'incidents/abc/report.json',
      Body: '{}',
      ContentType: 'application/json',
    });
  });

  it('maps a refusal to AwsAccessDenied', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        message: 'Access Denied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    await expect(
      awsEvidencePort('evidence-bucket', KEY_ARN).putObject({ key: 'k', body: 'b', contentType: 'text/plain' }),
    ).rejects.toBeInstanceOf(AwsAccessDenied);
  });
});
