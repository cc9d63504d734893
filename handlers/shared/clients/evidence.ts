import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { EvidencePort } from '../ports.js';
import { traced } from '../tracing.js';
import { callAws } from './accounts.js';

/** The S3 console page of one object, in the function's own Region and partition's console. */
function consoleUrl(bucket: string, key: string): string | undefined {
  const region = process.env.AWS_REGION;
  if (!region) return undefined;
  const host = region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : 'console.aws.amazon.com';
  return `https://${host}/s3/object/${encodeURIComponent(bucket)}?region=${encodeURIComponent(region)}&prefix=${encodeURIComponent(key)}`;
}

/**
 * The evidence port against AWS: PutObject into the deployment's evidence bucket (home account).
 * With a KMS key, each object is encrypted with it (SSE-KMS, S3 Bucket Key on, so KMS is called
 * per bucket rather than per object); without one, the bucket's default encryption applies.
 * Returns the object's `s3://bucket/key` location for the report and the Slack thread.
 */
export function awsEvidencePort(bucket: string, kmsKeyArn?: string): EvidencePort {
  let client: S3Client | undefined;
  const s3 = () => {
    client ??= traced(new S3Client({}));
    return client;
  };
  const encryption = kmsKeyArn
    ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: kmsKeyArn, BucketKeyEnabled: true }
    : {};
  return {
    putObject: ({ key, body, contentType }) =>
      callAws('s3:PutObject', async () => {
        await s3().send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ...encryption }),
        );
        return { location: `s3://${bucket}/${key}`, url: consoleUrl(bucket, key) };
      }),
    getObject: (key) =>
      callAws('s3:GetObject', async () => {
        try {
          const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return await object.Body?.transformToString('utf-8');
        } catch (error) {
          if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
          throw error;
        }
      }),
  };
}
