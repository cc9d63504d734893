import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsEvidencePort } from '../../handlers/shared/clients/evidence.js';
import { AwsAccessDenied } from '../../handlers/shared/errors.js';

const s3 = mockClient(S3Client);
const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('awsEvidencePort', () => {
  beforeEach(() => s3.reset());

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
