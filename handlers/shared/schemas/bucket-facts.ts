import type {
  BucketEncryptionInfo,
  BucketVersioningInfo,
  PublicAccessBlockInfo,
  ReplicationRuleInfo,
} from '../ports.js';
import type { Unavailable } from './task-input.js';

/** What describe-buckets returns: each bucket's facts, part by part. */

/** A bucket setting S3 reports as absent. */
export interface NotConfigured {
  readonly configured: false;
}

/** Whose bucket a replication rule writes to, as far as the rule and the incident tell. */
export type DestinationOwner = 'this-account' | 'other-account' | 'unknown';

export interface ReplicationRuleFacts extends ReplicationRuleInfo {
  readonly destinationOwner: DestinationOwner;
  /** The rule copies objects to another account, or to a bucket not known to be ours: an exfiltration path. */
  readonly crossAccount: boolean;
  /** Why the rule is flagged (cross-account rules only). */
  readonly note?: string;
}

export type ReplicationFacts =
  | {
      readonly configured: true;
      readonly role?: string;
      readonly rules: ReplicationRuleFacts[];
      /** The rules with `crossAccount`, the ones to look at first. */
      readonly crossAccountRules: ReplicationRuleFacts[];
    }
  | NotConfigured;

export type EncryptionFacts =
  | (BucketEncryptionInfo & {
      readonly configured: true;
      /** The account of the KMS key, when the key is given as an ARN. */
      readonly kmsKeyAccount?: string;
      /** The default KMS key belongs to another account than the bucket's. */
      readonly foreignKmsKey: boolean;
      readonly note?: string;
    })
  | NotConfigured;

export type PolicyFacts =
  | { present: false }
  | { present: true; bytes: number; limit: number; statements: number; parseError?: string };

/**
 * One bucket's facts. Each part is read on its own: a part S3 refuses (AccessDenied, throttling…)
 * is `Unavailable` and the others still answer.
 */
export interface BucketFacts {
  readonly bucket: string;
  readonly policy: PolicyFacts | Unavailable;
  readonly publicAccessBlock: ({ configured: true } & PublicAccessBlockInfo) | NotConfigured | Unavailable;
  readonly versioning: BucketVersioningInfo | Unavailable;
  readonly replication: ReplicationFacts | Unavailable;
  readonly encryption: EncryptionFacts | Unavailable;
  /** Key → value (`{}` when the bucket has no tags), wrapped so a tag named `status` is never mistaken for Unavailable. */
  readonly tags: { values: Record<string, string> } | Unavailable;
  /** The notes of what may move data out of the account: cross-account replication, a foreign KMS key. */
  readonly warnings: string[];
}

export interface DescribeBucketsOutput {
  readonly status: 'ok';
  readonly buckets: BucketFacts[];
}
