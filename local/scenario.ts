import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { InvalidScenario } from '../handlers/shared/errors.js';
import { CloudTrailRecord } from '../handlers/shared/schemas/cloudtrail.js';
import {
  AccessKeyId,
  AccountId,
  BucketName,
  firstIssue,
  IamName,
  Region,
} from '../handlers/shared/schemas/primitives.js';

const AccessKey = z.object({
  accessKeyId: AccessKeyId,
  status: z.enum(['Active', 'Inactive']).default('Active'),
  lastUsedDate: z.string().optional(),
  lastUsedService: z.string().optional(),
  createDate: z.string().optional(),
});

const PolicyValue = z.union([z.string(), z.record(z.string(), z.unknown()), z.null()]);

const BucketArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket ARN (arn:aws:s3:::<bucket>)');

/**
 * What the bucket's configuration reads answer (`GetPublicAccessBlock`, `GetBucketVersioning`,
 * `GetBucketReplication`, `GetBucketEncryption`, `GetBucketTagging`). A field left out is "not
 * configured" (versioning: Disabled, tags: none). Unknown keys are refused, so a typo is not
 * silently read as "not configured".
 */
const BucketConfiguration = {
  publicAccessBlock: z
    .strictObject({
      blockPublicAcls: z.boolean().default(false),
      ignorePublicAcls: z.boolean().default(false),
      blockPublicPolicy: z.boolean().default(false),
      restrictPublicBuckets: z.boolean().default(false),
    })
    .optional(),
  versioning: z
    .strictObject({
      status: z.enum(['Enabled', 'Suspended', 'Disabled'], { error: 'must be Enabled, Suspended or Disabled' }),
      mfaDelete: z.enum(['Enabled', 'Disabled'], { error: 'must be Enabled or Disabled' }).optional(),
    })
    .optional(),
  replication: z
    .strictObject({
      role: z.string().optional(),
      rules: z
        .array(
          z.strictObject({
            id: z.string().max(255).optional(),
            status: z.enum(['Enabled', 'Disabled'], { error: 'must be Enabled or Disabled' }).default('Enabled'),
            destinationBucket: BucketArn,
            destinationAccount: AccountId.optional(),
            priority: z.number().int().min(0).optional(),
            prefix: z.string().optional(),
          }),
        )
        .min(1, 'a replication configuration needs at least one rule'),
    })
    .optional(),
  encryption: z
    .strictObject({
      algorithm: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse'], { error: 'must be AES256, aws:kms or aws:kms:dsse' }),
      kmsKeyId: z.string().min(1).optional(),
      bucketKeyEnabled: z.boolean().default(false),
    })
    .refine((encryption) => encryption.algorithm !== 'AES256' || encryption.kmsKeyId === undefined, {
      message: 'kmsKeyId is only allowed with aws:kms or aws:kms:dsse',
      path: ['kmsKeyId'],
    })
    .optional(),
  tags: z
    .record(
      z.string().min(1, 'a tag key must not be empty').max(128, 'a tag key is at most 128 characters'),
      z.string().max(256, 'a tag value is at most 256 characters'),
    )
    .refine((tags) => Object.keys(tags).length <= 50, 'a bucket has at most 50 tags')
    .optional(),
};

/**
 * A fault injected at a port: `service:Operation` (SDK service id, lower case) or `service:*`.
 * `kind` `error` (the default) fails the call with `error`; `stale` makes a read call answer what
 * was there before the latest write to the same target (eventual consistency), `times` times.
 */
export const Fault = z
  .object({
    call: z.string().regex(/^[a-z0-9-]+:(\*|[A-Za-z.]+)$/, 'must be service:Operation or service:*'),
    kind: z.enum(['error', 'stale']).optional(),
    error: z.string().min(1).optional(),
    times: z.number().int().positive().default(1),
    message: z.string().optional(),
  })
  .refine((fault) => fault.kind === 'stale' || fault.error !== undefined, {
    message: 'an error fault needs `error` (the AWS error code)',
    path: ['error'],
  });
export type Fault = z.infer<typeof Fault>;

/**
 * A scenario (DESIGN §9): the account before the incident and what arrives. Real CloudTrail
 * records and real GuardDuty/EventBridge events load unchanged (they are kept as they are).
 */
export const Scenario = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  account: AccountId,
  region: Region,
  config: z.record(z.string(), z.unknown()).default({}),
  iam: z
    .object({
      users: z
        .array(
          z.object({
            userName: IamName,
            arn: z.string(),
            createDate: z.string().optional(),
            /** How many MFA devices `ListMFADevices` answers (none when left out). */
            mfaDevices: z.number().int().min(0).optional(),
            /** The console password `GetLoginProfile` answers; left out: none (NoSuchEntity). */
            /** Tags `ListUserTags` answers; `slack-user-id` names the Slack user who owns the identity. */
            tags: z.record(z.string(), z.string()).default({}),
            loginProfile: z
              .object({ createDate: z.string().optional(), passwordResetRequired: z.boolean().optional() })
              .optional(),
            accessKeys: z.array(AccessKey).default([]),
            inlinePolicies: z.record(z.string(), PolicyValue).default({}),
          }),
        )
        .default([]),
      roles: z
        .array(
          z.object({
            roleName: IamName,
            arn: z.string(),
            path: z.string().optional(),
            inlinePolicies: z.record(z.string(), PolicyValue).default({}),
          }),
        )
        .default([]),
    })
    .default({ users: [], roles: [] }),
  s3: z
    .object({
      buckets: z
        .array(
          z.object({
            name: BucketName,
            policy: PolicyValue.default(null),
            ...BucketConfiguration,
            macie: z
              .object({
                sensitivityScore: z.number().min(-1).max(100).optional(),
                sensitiveDataTypes: z.array(z.string()).default([]),
                classifiableObjectCount: z.number().int().min(0).optional(),
              })
              .optional(),
          }),
        )
        .default([]),
    })
    .default({ buckets: [] }),
  vpcEndpoints: z
    .array(
      z.object({
        id: z.string(),
        serviceName: z.string().optional(),
        /** The endpoint's Region (default: the scenario's): EC2 answers for it only there. */
        region: Region.optional(),
        policy: PolicyValue.default(null),
      }),
    )
    .default([]),
  cloudtrail: z
    .object({
      managementEvents: z.array(CloudTrailRecord).default([]),
      dataEvents: z.array(CloudTrailRecord).default([]),
      /** Whether an Athena table over the data events exists (config.athena); false: that evidence is unavailable. */
      athenaTable: z.boolean().default(true),
    })
    .default({ managementEvents: [], dataEvents: [], athenaTable: true }),
  macie: z
    .object({ enabled: z.boolean().default(true), findings: z.array(z.record(z.string(), z.unknown())).default([]) })
    .default({ enabled: true, findings: [] }),
  guardduty: z
    .object({ detectorId: z.string().optional(), findings: z.array(z.unknown()).default([]) })
    .default({ findings: [] }),
  /**
   * What arrives, in order: EventBridge events, or `{"console": <execution input>}` for a manual
   * run from the Step Functions console (any accepted input; `"incidentId": "@<n>"` names the
   * incident of the n-th event). `guardduty.findings` answers GetFindings for `{findingId, detectorId}`.
   */
  events: z.array(z.unknown()).min(1, 'a scenario needs at least one event'),
  faults: z.array(Fault).default([]),
  /**
   * Someone else editing a bucket policy while we work: after the bucket's policy has been read
   * `afterReads` times, `statement` is appended to it (a race between our read and our write).
   */
  concurrentEdits: z
    .array(
      z.object({
        bucket: BucketName,
        afterReads: z.number().int().positive(),
        statement: z.record(z.string(), z.unknown()),
      }),
    )
    .default([]),
  /** Minutes the simulated approver takes to decide (for the report's metrics). Default 4. */
  approvalDelayMinutes: z.number().min(0).max(525_600, 'must be at most a year (525600 minutes)').default(4),
  /** When the simulated responder starts; default: two minutes after the last event's time. */
  clockStart: z
    .string()
    .refine((value) => {
      const at = Date.parse(value);
      return at >= 0 && at <= Date.parse('9999-12-31T23:59:59.999Z');
    }, 'must be an ISO 8601 timestamp between 1970 and 9999')
    .optional(),
});
export type Scenario = z.infer<typeof Scenario>;

/** Reads and validates a scenario file; a problem is an `InvalidScenario` naming the field. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidScenario('', `cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidScenario('', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(raw);
}

export function parseScenario(raw: unknown): Scenario {
  const parsed = Scenario.safeParse(raw);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error);
    throw new InvalidScenario(path, message);
  }
  return parsed.data;
}
