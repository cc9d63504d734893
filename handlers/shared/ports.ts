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
  readonly mfaDevices?: number;
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
  readonly crossAccountCopies: { destinationBucket: string; destinationAccount?: string; count: number }[];
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

export interface TaskCallbackPort {
  sendTaskSuccess(args: { taskToken: string; output: unknown }): Promise<void>;
  sendTaskFailure(args: { taskToken: string; error: string; cause: string }): Promise<void>;
}

export interface EvidencePort {
  putObject(args: { key: string; body: string; contentType: string }): Promise<{ location: string }>;
}

export interface Clock {
  now(): Date;
}

export interface RandomSource {
  /** A URL-safe random token of at least 128 bits. */
  token(): string;
}
