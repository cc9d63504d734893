import type { BucketEncryptionInfo, BucketReplicationInfo, ReplicationRuleInfo } from '../shared/ports.js';
import type {
  DestinationOwner,
  EncryptionFacts,
  NotConfigured,
  ReplicationFacts,
  ReplicationRuleFacts,
} from '../shared/schemas/bucket-facts.js';

export type { DestinationOwner, EncryptionFacts, NotConfigured, ReplicationFacts, ReplicationRuleFacts };

/** What the derivations need to know about the incident. */
export interface OwnershipContext {
  /** The bucket's (and the incident's) account. */
  readonly accountId: string;
  /** Buckets known to be in that account: the incident's buckets. */
  readonly knownBuckets: readonly string[];
  /** Accounts the configuration trusts (named in notes, still flagged). */
  readonly trustedAccounts: readonly string[];
}

/** The bucket name of an S3 bucket ARN (`arn:aws:s3:::name`), or undefined for anything else. */
export function bucketNameOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(arn)?.[1];
}

/** The account of a KMS key or alias ARN; undefined for a bare key id or alias name. */
export function kmsKeyAccount(keyId: string | undefined): string | undefined {
  return keyId === undefined ? undefined : /^arn:aws[a-z-]*:kms:[a-z0-9-]*:(\d{12}):/.exec(keyId)?.[1];
}

/**
 * Whose bucket a rule writes to: the rule's destination `Account` when given; otherwise ours only
 * when the destination is one of the incident's buckets (S3 does not require `Account` for a
 * cross-account destination, so a rule without it proves nothing).
 */
export function destinationOwner(rule: ReplicationRuleInfo, context: OwnershipContext): DestinationOwner {
  if (rule.destinationAccount !== undefined) {
    return rule.destinationAccount === context.accountId ? 'this-account' : 'other-account';
  }
  const name = bucketNameOfArn(rule.destinationBucket);
  return name !== undefined && context.knownBuckets.includes(name) ? 'this-account' : 'unknown';
}

function ruleNote(
  bucket: string,
  rule: ReplicationRuleInfo,
  index: number,
  owner: DestinationOwner,
  context: OwnershipContext,
) {
  const label = rule.id ? `"${rule.id}"` : `#${index + 1}`;
  const what = `${rule.status === 'Enabled' ? 'copies' : 'is disabled but would copy'} new objects of ${bucket}${
    rule.prefix ? ` under "${rule.prefix}"` : ''
  } to ${rule.destinationBucket}`;
  if (owner === 'other-account') {
    const trusted = context.trustedAccounts.includes(rule.destinationAccount ?? '') ? ' (a trusted account)' : '';
    return `Replication rule ${label} ${what} in account ${rule.destinationAccount}${trusted}: a path for data out of ${context.accountId}`;
  }
  return `Replication rule ${label} ${what}, a bucket not known to be in ${context.accountId} (the rule names no destination account): check who owns it`;
}

/** The replication rules with their destination owner; rules that may leave the account are flagged. */
export function replicationFacts(
  bucket: string,
  info: BucketReplicationInfo | undefined,
  context: OwnershipContext,
): ReplicationFacts {
  if (!info) return { configured: false };
  const rules = info.rules.map((rule, index): ReplicationRuleFacts => {
    const owner = destinationOwner(rule, context);
    if (owner === 'this-account') return { ...rule, destinationOwner: owner, crossAccount: false };
    return {
      ...rule,
      destinationOwner: owner,
      crossAccount: true,
      note: ruleNote(bucket, rule, index, owner, context),
    };
  });
  return {
    configured: true,
    ...(info.role !== undefined && { role: info.role }),
    rules,
    crossAccountRules: rules.filter((rule) => rule.crossAccount),
  };
}

/** The default encryption, flagging a KMS key that another account owns. */
export function encryptionFacts(
  bucket: string,
  info: BucketEncryptionInfo | undefined,
  accountId: string,
): EncryptionFacts {
  if (!info) return { configured: false };
  const keyAccount = kmsKeyAccount(info.kmsKeyId);
  const foreignKmsKey = keyAccount !== undefined && keyAccount !== accountId;
  return {
    configured: true,
    ...info,
    ...(keyAccount !== undefined && { kmsKeyAccount: keyAccount }),
    foreignKmsKey,
    ...(foreignKmsKey && {
      note: `Default encryption of ${bucket} uses KMS key ${info.kmsKeyId} of account ${keyAccount}: that account controls who can decrypt new objects, and can take access to them away`,
    }),
  };
}
