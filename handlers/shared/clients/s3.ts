import {
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  type ReplicationRule,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode, mapAwsError } from '../errors.js';
import type { AccountScope, ReplicationRuleInfo, S3Port } from '../ports.js';
import { callAws, clientFor } from './accounts.js';

/** A bucket may live in any Region of its account: the client follows S3's redirect to it. */
const s3In = (scope: AccountScope) =>
  clientFor('s3', (config) => new S3Client({ ...config, followRegionRedirects: true }), scope);

/**
 * Runs one S3 read whose "not configured" answer is an error (`notConfigured`): that code reads as
 * undefined; any other failure is a named error (`mapAwsError`).
 */
async function readConfig<T>(call: string, notConfigured: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (awsErrorCode(error) === notConfigured) return undefined;
    throw mapAwsError(call, error);
  }
}

function replicationRule(rule: ReplicationRule): ReplicationRuleInfo {
  const prefix = rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix;
  return {
    ...(rule.ID !== undefined && { id: rule.ID }),
    status: rule.Status === 'Enabled' ? 'Enabled' : 'Disabled',
    destinationBucket: rule.Destination?.Bucket ?? '',
    ...(rule.Destination?.Account !== undefined && { destinationAccount: rule.Destination.Account }),
    ...(rule.Priority !== undefined && { priority: rule.Priority }),
    ...(prefix !== undefined && { prefix }),
  };
}

/**
 * The bucket port against AWS, in the incident's account. Every call sets
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

    getPublicAccessBlock: ({ bucket, ...scope }) =>
      readConfig('s3:GetPublicAccessBlock', 'NoSuchPublicAccessBlockConfiguration', async () => {
        const { PublicAccessBlockConfiguration: block } = await s3In(scope).send(
          new GetPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
        );
        return {
          blockPublicAcls: block?.BlockPublicAcls === true,
          ignorePublicAcls: block?.IgnorePublicAcls === true,
          blockPublicPolicy: block?.BlockPublicPolicy === true,
          restrictPublicBuckets: block?.RestrictPublicBuckets === true,
        };
      }),

    getBucketVersioning: ({ bucket, ...scope }) =>
      callAws('s3:GetBucketVersioning', async () => {
        const { Status, MFADelete } = await s3In(scope).send(
          new GetBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
        );
        return {
          status: Status === 'Enabled' || Status === 'Suspended' ? Status : 'Disabled',
          ...(MFADelete === 'Enabled' || MFADelete === 'Disabled' ? { mfaDelete: MFADelete } : {}),
        };
      }),

    getBucketReplication: async ({ bucket, ...scope }) => {
      const configuration = await readConfig(
        's3:GetBucketReplication',
        'ReplicationConfigurationNotFoundError',
        async () =>
          (
            await s3In(scope).send(
              new GetBucketReplicationCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
            )
          ).ReplicationConfiguration,
      );
      if (!configuration) return undefined;
      return {
        ...(configuration.Role !== undefined && { role: configuration.Role }),
        rules: (configuration.Rules ?? []).map(replicationRule),
      };
    },

    getBucketEncryption: async ({ bucket, ...scope }) => {
      const configuration = await readConfig(
        's3:GetBucketEncryption',
        'ServerSideEncryptionConfigurationNotFoundError',
        async () =>
          (
            await s3In(scope).send(
              new GetBucketEncryptionCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
            )
          ).ServerSideEncryptionConfiguration,
      );
      const rule = configuration?.Rules?.find((candidate) => candidate.ApplyServerSideEncryptionByDefault);
      const byDefault = rule?.ApplyServerSideEncryptionByDefault;
      if (!byDefault?.SSEAlgorithm) return undefined;
      return {
        algorithm: byDefault.SSEAlgorithm,
        ...(byDefault.KMSMasterKeyID !== undefined && { kmsKeyId: byDefault.KMSMasterKeyID }),
        bucketKeyEnabled: rule?.BucketKeyEnabled === true,
      };
    },

    getBucketTagging: async ({ bucket, ...scope }) => {
      const tagSet = await readConfig(
        's3:GetBucketTagging',
        'NoSuchTagSet',
        async () =>
          (
            await s3In(scope).send(
              new GetBucketTaggingCommand({ Bucket: bucket, ExpectedBucketOwner: scope.accountId }),
            )
          ).TagSet,
      );
      return Object.fromEntries(
        (tagSet ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])),
      );
    },
  };
}
