import { task } from '../shared/define-task.js';
import { BUCKET_POLICY_LIMIT_BYTES, byteSize, parsePolicy } from '../shared/policy/document.js';
import type { S3Port } from '../shared/ports.js';
import type { BucketFacts, DescribeBucketsOutput, PolicyFacts } from '../shared/schemas/bucket-facts.js';
import { attempt, IncidentTaskInput, isUnavailable, type Unavailable } from '../shared/schemas/task-input.js';
import { encryptionFacts, type OwnershipContext, replicationFacts } from './facts.js';

export type { EncryptionFacts, NotConfigured, ReplicationFacts, ReplicationRuleFacts } from './facts.js';
export type { BucketFacts, DescribeBucketsOutput, PolicyFacts };

function policyFacts(bucket: string, text: string | undefined): PolicyFacts {
  if (text === undefined) return { present: false };
  const bytes = byteSize(text);
  try {
    const statements = parsePolicy(text, bucket)?.Statement.length ?? 0;
    return { present: true, bytes, limit: BUCKET_POLICY_LIMIT_BYTES, statements };
  } catch (error) {
    const parseError = (error as Error).message;
    return { present: true, bytes, limit: BUCKET_POLICY_LIMIT_BYTES, statements: 0, parseError };
  }
}

/** Applies `derive` to a part that answered; an unavailable part stays as it is. */
const unlessUnavailable = <T, R>(value: T | Unavailable, derive: (answered: T) => R): R | Unavailable =>
  isUnavailable(value) ? value : derive(value);

async function describeBucket(
  s3: S3Port,
  bucket: string,
  context: OwnershipContext,
  region: string,
): Promise<BucketFacts> {
  const scope = { accountId: context.accountId, region, bucket };
  const [policy, block, versioning, replication, encryption, tags] = await Promise.all([
    attempt(() => s3.getBucketPolicy(scope)),
    attempt(() => s3.getPublicAccessBlock(scope)),
    attempt(() => s3.getBucketVersioning(scope)),
    attempt(() => s3.getBucketReplication(scope)),
    attempt(() => s3.getBucketEncryption(scope)),
    attempt(async () => ({ values: await s3.getBucketTagging(scope) })),
  ]);
  const replicationPart = unlessUnavailable(replication, (info) => replicationFacts(bucket, info, context));
  const encryptionPart = unlessUnavailable(encryption, (info) => encryptionFacts(bucket, info, context.accountId));
  const warnings = [
    ...(!isUnavailable(replicationPart) && replicationPart.configured
      ? replicationPart.crossAccountRules.flatMap((rule) => (rule.note ? [rule.note] : []))
      : []),
    ...(!isUnavailable(encryptionPart) && encryptionPart.configured && encryptionPart.note
      ? [encryptionPart.note]
      : []),
  ];
  return {
    bucket,
    policy: unlessUnavailable(policy, (text) => policyFacts(bucket, text)),
    publicAccessBlock: unlessUnavailable(block, (info) =>
      info ? { configured: true as const, ...info } : { configured: false as const },
    ),
    versioning,
    replication: replicationPart,
    encryption: encryptionPart,
    tags,
    warnings,
  };
}

/**
 * The affected buckets as they are now: the policy (size against the 20 KB limit, statements),
 * Block Public Access, versioning, replication (flagging rules that copy data to another account),
 * default encryption (flagging a KMS key of another account) and tags.
 */
export const describeBuckets = task({
  name: 'describeBuckets',
  input: IncidentTaskInput,
  async run({ incident, settings }, ports: { s3: S3Port }): Promise<DescribeBucketsOutput> {
    const context: OwnershipContext = {
      accountId: incident.accountId,
      knownBuckets: incident.buckets,
      trustedAccounts: settings.trustedAccounts,
    };
    const buckets = await Promise.all(
      incident.buckets.map((bucket) => describeBucket(ports.s3, bucket, context, incident.region)),
    );
    return { status: 'ok', buckets };
  },
});
