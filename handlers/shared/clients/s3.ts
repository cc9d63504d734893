import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode, mapAwsError } from '../errors.js';
import type { AccountScope, S3Port } from '../ports.js';
import { callAws, clientFor } from './accounts.js';

/** A bucket may live in any Region of its account: the client follows S3's redirect to it. */
const s3In = (scope: AccountScope) =>
  clientFor('s3', (config) => new S3Client({ ...config, followRegionRedirects: true }), scope);

/**
 * The bucket-policy port against AWS, in the incident's account. Every call sets
 * `ExpectedBucketOwner` to that account, so a same-named bucket owned by anyone else is never
 * read or written (S3 answers 403, a named AwsAccessDenied). The policy text is stored and
 * returned exactly as given: merging is the core's job.
 */
export function awsS3Port(): S3Port {
  return {
    getBucketPolicy: async ({ bucket, ...scope }) => {
      try {
        const { Policy } = await s3In(scope).send(
          new GetBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
        );
        return Policy;
      } catch (error) {
        if (awsErrorCode(error) === 'NoSuchBucketPolicy') return undefined;
        throw mapAwsError('s3:GetBucketPolicy', error);
      }
    },

    putBucketPolicy: ({ bucket, policy, ...scope }) =>
      callAws('s3:PutBucketPolicy', async () => {
        await s3In(scope).send(
          new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy, ExpectedBucketOwner: scope.accountId }),
        );
      }),

    deleteBucketPolicy: ({ bucket, ...scope }) =>
      callAws('s3:DeleteBucketPolicy', async () => {
        await s3In(scope).send(new DeleteBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }));
      }),
  };
}
