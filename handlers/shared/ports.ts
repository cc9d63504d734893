/**
 * The ports the task cores use. Each has two implementations: the AWS adapters in
 * `handlers/shared/clients` and the in-memory account in `local/`. Every call that reaches an AWS
 * account names it (`accountId`), so containment acts in the finding's account (DESIGN §8a).
 */
import type { CloudTrailRecord } from './schemas/cloudtrail.js';

export interface AccountScope {
  readonly accountId: string;
  readonly region?: string;
}

export interface AccessKeyInfo {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: 'Active' | 'Inactive';
  readonly createDate?: string;
}

export interface AccessKeyLastUsed {
  readonly lastUsedDate?: string;
  readonly serviceName?: string;
  readonly region?: string;
}

export interface IamUserInfo {
  readonly userName: string;
  readonly arn: string;
  readonly createDate?: string;
  /** Set by the in-memory account only (GetUser does not report MFA): use `listMfaDevices`. */
  readonly mfaDevices?: number;
}

/** An MFA device assigned to a user (`ListMFADevices`). */
export interface MfaDeviceInfo {
  readonly serialNumber: string;
  readonly enableDate?: string;
}

/** A user's console password (`GetLoginProfile`). */
export interface LoginProfileInfo {
  readonly createDate?: string;
  readonly passwordResetRequired?: boolean;
}

export interface IamRoleInfo {
  readonly roleName: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate?: string;
}

export interface IamPort {
  getUser(args: AccountScope & { userName: string }): Promise<IamUserInfo | undefined>;
  getRole(args: AccountScope & { roleName: string }): Promise<IamRoleInfo | undefined>;
  listAccessKeys(args: AccountScope & { userName: string }): Promise<AccessKeyInfo[]>;
  getAccessKeyLastUsed(args: AccountScope & { accessKeyId: string }): Promise<AccessKeyLastUsed>;
  /** `ListMFADevices`, every page: the MFA devices (virtual, hardware, passkey) assigned to the user. */
  listMfaDevices(args: AccountScope & { userName: string }): Promise<MfaDeviceInfo[]>;
  /** `ListUserTags`, every page: the user's tags, key → value. */
  listUserTags(args: AccountScope & { userName: string }): Promise<Record<string, string>>;
  /** `GetLoginProfile`: the user's console password, or undefined when it has none (NoSuchEntity). */
  getLoginProfile(args: AccountScope & { userName: string }): Promise<LoginProfileInfo | undefined>;
  updateAccessKey(
    args: AccountScope & { userName: string; accessKeyId: string; status: 'Active' | 'Inactive' },
  ): Promise<void>;
  /** An inline policy of a role or user as stored (JSON text), or undefined when there is none by that name. */
  getInlinePolicy(args: AccountScope & InlinePolicyTarget): Promise<string | undefined>;
  putInlinePolicy(args: AccountScope & InlinePolicyTarget & { document: string }): Promise<void>;
  deleteInlinePolicy(args: AccountScope & InlinePolicyTarget): Promise<void>;
}

/** An inline policy on a role or a user. */
export interface InlinePolicyTarget {
  readonly kind: 'role' | 'user';
  /** The role or user name. */
  readonly name: string;
  readonly policyName: string;
}

export interface VpcEndpointInfo {
  readonly vpcEndpointId: string;
  readonly serviceName: string;
  readonly type: string;
  /** The endpoint policy as stored (JSON text). */
  readonly policy?: string;
}

export interface Ec2Port {
  /** The endpoint, or undefined when it does not exist. */
  describeVpcEndpoint(args: AccountScope & { vpcEndpointId: string }): Promise<VpcEndpointInfo | undefined>;
  /** `ModifyVpcEndpoint PolicyDocument`: replaces the whole policy. */
  modifyVpcEndpointPolicy(args: AccountScope & { vpcEndpointId: string; policy: string }): Promise<void>;
}

export interface S3Port {
  /** The bucket policy as stored (JSON text), or undefined when the bucket has none. */
  getBucketPolicy(args: AccountScope & { bucket: string }): Promise<string | undefined>;
  putBucketPolicy(args: AccountScope & { bucket: string; policy: string }): Promise<void>;
  deleteBucketPolicy(args: AccountScope & { bucket: string }): Promise<void>;
  /** `GetPublicAccessBlock` of the bucket, or undefined when it has none (`NoSuchPublicAccessBlockConfiguration`). */
  getPublicAccessBlock(args: AccountScope & { bucket: string }): Promise<PublicAccessBlockInfo | undefined>;
  /** `GetBucketVersioning`: a bucket whose versioning was never set reads as Disabled. */
  getBucketVersioning(args: AccountScope & { bucket: string }): Promise<BucketVersioningInfo>;
  /** `GetBucketReplication`, or undefined when the bucket has none (`ReplicationConfigurationNotFoundError`). */
  getBucketReplication(args: AccountScope & { bucket: string }): Promise<BucketReplicationInfo | undefined>;
  /**
   * `GetBucketEncryption`: the default encryption rule, or undefined when there is none
   * (`ServerSideEncryptionConfigurationNotFoundError`).
   */
  getBucketEncryption(args: AccountScope & { bucket: string }): Promise<BucketEncryptionInfo | undefined>;
  /** `GetBucketTagging` as key → value; `{}` when the bucket has no tags (`NoSuchTagSet`). */
  getBucketTagging(args: AccountScope & { bucket: string }): Promise<Record<string, string>>;
}

/** A bucket's S3 Block Public Access settings (a flag S3 leaves out reads as false). */
export interface PublicAccessBlockInfo {
  readonly blockPublicAcls: boolean;
  readonly ignorePublicAcls: boolean;
  readonly blockPublicPolicy: boolean;
  readonly restrictPublicBuckets: boolean;
}

export interface BucketVersioningInfo {
  readonly status: 'Enabled' | 'Suspended' | 'Disabled';
  /** Only when S3 reports it (the bucket was once configured with MFA delete). */
  readonly mfaDelete?: 'Enabled' | 'Disabled';
}

export interface ReplicationRuleInfo {
  readonly id?: string;
  readonly status: 'Enabled' | 'Disabled';
  /** The destination bucket's ARN (`arn:aws:s3:::name`). */
  readonly destinationBucket: string;
  /** The destination bucket owner's account, when the rule names it. */
  readonly destinationAccount?: string;
  readonly priority?: number;
  /** The rule's key prefix: `Filter.Prefix`, `Filter.And.Prefix` or the legacy rule-level `Prefix`. */
  readonly prefix?: string;
}

export interface BucketReplicationInfo {
  /** The IAM role S3 assumes to replicate. */
  readonly role?: string;
  readonly rules: ReplicationRuleInfo[];
}

/** A bucket's default encryption. */
export interface BucketEncryptionInfo {
  /** `AES256` (SSE-S3), `aws:kms` (SSE-KMS) or `aws:kms:dsse` (DSSE-KMS), as S3 reports it. */
  readonly algorithm: string;
  /** The KMS key id, alias or ARN, as configured (KMS algorithms only). */
  readonly kmsKeyId?: string;
  readonly bucketKeyEnabled: boolean;
}

export interface BucketSensitivity {
  readonly bucket: string;
  readonly sensitivityScore?: number;
  readonly classifiableObjectCount?: number;
  readonly sensitiveDataTypes: string[];
  readonly highestSeverity?: string;
}

export interface MaciePort {
  /** Macie's view of the buckets; throws AwsServiceDisabled when Macie is off. */
  bucketSensitivity(args: AccountScope & { buckets: string[] }): Promise<BucketSensitivity[]>;
  /**
   * `CreateClassificationJob` ONE_TIME on the buckets. The same `clientToken` returns the same job
   * (Macie's idempotency). Throws AwsServiceDisabled when Macie is off or cannot see the buckets.
   */
  createClassificationJob(
    args: AccountScope & { name: string; clientToken: string; buckets: string[]; description: string },
  ): Promise<{ jobId: string; jobArn?: string }>;
}

export interface LookupEventsPage {
  readonly records: CloudTrailRecord[];
  readonly nextToken?: string;
}

export interface CloudTrailPort {
  /** CloudTrail LookupEvents (management events only), one attribute per call, newest first. */
  lookupEvents(
    args: AccountScope & {
      attribute: { key: 'AccessKeyId' | 'Username' | 'EventName' | 'ResourceName'; value: string };
      startTime: string;
      endTime: string;
      nextToken?: string;
    },
  ): Promise<LookupEventsPage>;
}

export interface DataEventsQuery {
  /** The incident's partition, for S3 ARNs (`arn:<partition>:s3:::bucket`). @default 'aws' */
  readonly partition?: string;
  readonly principalArn?: string;
  readonly accessKeyId?: string;
  readonly sourceIps?: readonly string[];
  readonly buckets: readonly string[];
  readonly startTime: string;
  readonly endTime: string;
}

export interface DataEventsSummary {
  readonly requests: number;
  readonly objectsRead: number;
  readonly bytesOut: number;
  readonly firstEventTime?: string;
  readonly lastEventTime?: string;
  readonly byBucket: { bucket: string; objects: number; bytes: number }[];
  readonly byEventName: { eventName: string; count: number }[];
  readonly sourceIps: { ip: string; count: number }[];
  readonly userAgents: { userAgent: string; count: number }[];
  /**
   * Copies into buckets of other accounts. `count` is copy calls (each UploadPartCopy part is one);
   * `objects` the objects copied (a CopyObject, or one multipart upload however many parts);
   * `bytes` what the part ranges (`x-amz-copy-source-range`) add up to: CloudTrail records no size
   * for a whole-object copy, so it is a lower bound.
   */
  readonly crossAccountCopies: {
    destinationBucket: string;
    destinationAccount?: string;
    count: number;
    objects?: number;
    bytes?: number;
  }[];
}

export interface DataEventsPort {
  /** S3 data events for the principal over the window (Athena over the CloudTrail table in AWS). */
  summarize(args: AccountScope & { query: DataEventsQuery }): Promise<DataEventsSummary>;
}

export interface ChatMessageRef {
  readonly channel: string;
  readonly ts: string;
}

export interface ChatMessage {
  readonly text: string;
  readonly blocks?: unknown[];
}

export interface ChatPort {
  post(args: { channel: string; message: ChatMessage; threadTs?: string }): Promise<ChatMessageRef>;
  update(args: { ref: ChatMessageRef; message: ChatMessage }): Promise<void>;
}

/** Step Functions callbacks. A token the task no longer waits on throws `TaskTokenStale`. */
export interface TaskCallbackPort {
  sendTaskSuccess(args: { taskToken: string; output: unknown }): Promise<void>;
  sendTaskFailure(args: { taskToken: string; error: string; cause: string }): Promise<void>;
}

/** Starts the rollback state machine for one incident (the Slack Undo button). */
export interface RollbackStarterPort {
  /**
   * `StartExecution` named `executionName` with input `{ incidentId, reactivateKeys }`. The same
   * name again (a retry) starts nothing new and still resolves with that execution: Step Functions
   * keeps a name unique for 90 days.
   */
  startRollback(args: {
    incidentId: string;
    executionName: string;
    reactivateKeys: boolean;
  }): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

export interface GuardDutyPort {
  /**
   * `GetFindings` on one detector: the findings it knows among `findingIds`, in the API's own form
   * (PascalCase, timestamps as ISO strings). An id the detector does not know is simply absent.
   */
  getFindings(args: AccountScope & { detectorId: string; findingIds: string[] }): Promise<unknown[]>;
}

export interface EvidencePort {
  /** `location` is `s3://bucket/key`; `url`, where known, opens the object in the S3 console. */
  putObject(args: { key: string; body: string; contentType: string }): Promise<{ location: string; url?: string }>;
  /** One of our objects as text, or undefined when it does not exist (closing rewrites the report). */
  getObject?(key: string): Promise<string | undefined>;
}

export interface Clock {
  now(): Date;
}

/** Waits. A task that paces its calls takes it as a port, so tests and the local runtime wait no real time. */
export interface Timer {
  sleep(milliseconds: number): Promise<void>;
}

export interface RandomSource {
  /** A URL-safe random token of at least 128 bits. */
  token(): string;
}
