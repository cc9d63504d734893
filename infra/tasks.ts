import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { memberRoleNameFor } from '../handlers/shared/member-roles.js';
import { handlerDir, type TaskName } from '../handlers/shared/task-names.js';
import type { DataEventsTarget } from './constructs/data-events-table.js';
import type { Evidence } from './constructs/evidence.js';
import { memberKindOf } from './member-roles.js';
import { justify } from './nag.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The handler module of a task or of the Slack endpoint. */
export function entryOf(folder: string): string {
  return join(root, 'handlers', folder, 'index.ts');
}

/** What a task's permissions may refer to. */
export interface GrantContext {
  readonly stack: Stack;
  readonly table: dynamodb.ITable;
  readonly evidence: Evidence;
  readonly slackSecret: secretsmanager.ISecret;
  /** The Athena table over CloudTrail data events (created or adopted), when configured. */
  readonly athena?: DataEventsTarget;
  /** The VPC endpoints whose policies may be restricted (only those). */
  readonly vpcEndpointIds: readonly string[];
  /** Member accounts whose roles the member-acting tasks may assume (DESIGN §8a). */
  readonly memberAccounts: readonly string[];
  /** The base name of the member roles (`<base>Read`, `<base>Contain`, `<base>Rollback`). */
  readonly memberRoleName: string;
  /** The IR and break-glass roles: no task may rewrite their policies. */
  readonly protectedRoleArns: readonly string[];
}

export interface TaskSpec {
  readonly description: string;
  readonly timeout?: Duration;
  /** Every statement the task's role gets, besides writing to its own log group. */
  statements(context: GrantContext): iam.PolicyStatement[];
  environment?(context: GrantContext): Record<string, string>;
}

const statement = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
  new iam.PolicyStatement({ actions, resources, conditions });

export const WHY_NEVER_OUR_ROLES =
  'an explicit Deny: the wildcard widens what is refused (every role of this stack), it grants nothing';

/**
 * An explicit Deny beside any grant to rewrite role policies: never the responder's own roles
 * (`<stack name>-*`), the IR roles or the break-glass roles. The planner never targets them either;
 * this makes it impossible rather than merely unplanned (no self-escalation through a finding that
 * names one of them).
 */
const neverOurRoles = (c: GrantContext) =>
  justify(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: [
        `arn:${c.stack.partition}:iam::${c.stack.account}:role/${c.stack.stackName}-*`,
        ...c.protectedRoleArns,
      ],
    }),
    WHY_NEVER_OUR_ROLES,
  );

/** Read and conditional writes on the incident table; never Scan, never DeleteItem, never the table itself. */
const storeAccess = (context: GrantContext) =>
  statement(
    ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    [context.table.tableArn],
  );
const storeEnv = (context: GrantContext) => ({ TABLE_NAME: context.table.tableName });
const slackEnv = (context: GrantContext) => ({ SLACK_SECRET_ARN: context.slackSecret.secretArn });
const readSlackSecret = (context: GrantContext) =>
  statement(['secretsmanager:GetSecretValue'], [context.slackSecret.secretArn]);

/** Closing an incident adds a "Closed" section to its stored report: read it, write it back. */
export const rewriteReports = (context: GrantContext) => [
  justify(
    statement(['s3:GetObject', 's3:PutObject'], [context.evidence.bucket.arnForObjects('incidents/*')]),
    'closing an incident rewrites its report under incidents/<incidentId>/ of our own evidence bucket',
  ),
  statement(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], [context.evidence.key.keyArn]),
];

const WHY_IAM_NAMES = 'user and role names come from the finding at run time; scoped to the accounts we act in';
const WHY_BUCKETS =
  'bucket names come from the finding at run time; writes are limited to our accounts by aws:ResourceAccount';
const WHY_UNSCOPABLE = 'this API supports no resource-level permissions (read-only)';

function iamArns(context: GrantContext, kind: 'user' | 'role'): string[] {
  const { partition, account } = context.stack;
  return [account, ...context.memberAccounts].map((id) => `arn:${partition}:iam::${id}:${kind}/*`);
}

/**
 * Assuming the member role of the task's kind of work (read, contain or rollback) in each member
 * account, only when member accounts are configured; enrichment and planning get the read-only role.
 */
function memberRole(context: GrantContext, task: TaskName): iam.PolicyStatement[] {
  if (context.memberAccounts.length === 0) return [];
  const { partition } = context.stack;
  const name = memberRoleNameFor(context.memberRoleName, memberKind(task));
  return [
    statement(
      ['sts:AssumeRole'],
      context.memberAccounts.map((id) => `arn:${partition}:iam::${id}:role/${name}`),
    ),
  ];
}

/** The member role the task's adapters assume (`handlers/shared/clients/accounts.ts`). */
const memberEnv = (task: TaskName) => (context: GrantContext) => ({
  MEMBER_ROLE_NAME: memberRoleNameFor(context.memberRoleName, memberKind(task)),
});

function memberKind(task: TaskName) {
  const kind = memberKindOf(task);
  if (!kind) throw new Error(`${task} is not a member-acting task (infra/member-roles.ts)`);
  return kind;
}

/** `ModifyVpcEndpoint` on exactly the configured endpoints (none configured: no grant at all). */
function modifyEndpoints(c: GrantContext): iam.PolicyStatement[] {
  const { partition, region, account } = c.stack;
  if (c.vpcEndpointIds.length === 0) return [];
  return [
    statement(
      ['ec2:ModifyVpcEndpoint'],
      c.vpcEndpointIds.map((id) => `arn:${partition}:ec2:${region}:${account}:vpc-endpoint/${id}`),
    ),
  ];
}

/**
 * Running queries in one workgroup over one Glue table, and reading the trail's objects the table
 * reads. A workgroup the stack created writes its results under `athena-results/` of the evidence
 * bucket with the evidence key, with the caller's credentials: that prefix and that key too.
 */
function athenaReads(c: GrantContext, athena: DataEventsTarget): iam.PolicyStatement[] {
  const { partition, region, account } = c.stack;
  const trail = `arn:${partition}:s3:::${athena.cloudTrailBucket}`;
  const results = athena.resultKeys
    ? [
        statement(['s3:GetBucketLocation', 's3:ListBucket'], [c.evidence.bucket.bucketArn]),
        justify(
          statement(
            ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
            [c.evidence.bucket.arnForObjects(athena.resultKeys)],
          ),
          'Athena names result objects by query id at run time, under athena-results/ of our own evidence bucket',
        ),
        statement(['kms:GenerateDataKey', 'kms:Decrypt'], [c.evidence.key.keyArn]),
      ]
    : [];
  return [
    statement(
      ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
      [`arn:${partition}:athena:${region}:${account}:workgroup/${athena.workgroup}`],
    ),
    statement(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      [
        `arn:${partition}:glue:${region}:${account}:catalog`,
        `arn:${partition}:glue:${region}:${account}:database/${athena.database}`,
        `arn:${partition}:glue:${region}:${account}:table/${athena.database}/${athena.table}`,
      ],
    ),
    justify(
      statement(
        ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'],
        [trail, ...athena.trailKeys.map((keys) => `${trail}/${keys}`)],
      ),
      'CloudTrail log objects under the configured prefix are named by date and account at run time',
    ),
    ...(athena.cloudTrailKmsKeyArn
      ? [
          statement(['kms:Decrypt'], [athena.cloudTrailKmsKeyArn], {
            StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
          }),
        ]
      : []),
    ...results,
  ];
}

/** Bucket ARNs of the accounts we act in: names are unknown until a finding names them. */
const ALL_BUCKETS = (context: GrantContext) => [`arn:${context.stack.partition}:s3:::*`];
const inOurAccounts = (context: GrantContext) => ({
  StringEquals: { 'aws:ResourceAccount': [context.stack.account, ...context.memberAccounts] },
});

/**
 * Every task: its handler and exactly the IAM it needs (STYLE: all task IAM in one place).
 * Reads that cannot be scoped (`cloudtrail:LookupEvents`, Macie's finding APIs) are on `*`;
 * every write is scoped to our accounts' users, or to our accounts' buckets by condition.
 */
export const TASKS: Record<TaskName, TaskSpec> = {
  registerIncident: {
    description: 'Normalize the signal and open (or link) the incident',
    statements: (c) => [
      storeAccess(c),
      readSlackSecret(c),
      justify(
        statement(
          ['guardduty:GetFindings'],
          [`arn:${c.stack.partition}:guardduty:${c.stack.region}:${c.stack.account}:detector/*`],
        ),
        'a manual re-run names its detector at run time (read-only); scoped to detectors of this account and Region',
      ),
    ],
    environment: (c) => ({ ...storeEnv(c), ...slackEnv(c) }),
  },
  describePrincipal: {
    description: 'Enrich: the IAM user or role, its keys and their last use, MFA and console password',
    statements: (c) => [
      justify(
        statement(
          [
            'iam:GetUser',
            'iam:ListAccessKeys',
            'iam:GetAccessKeyLastUsed',
            'iam:ListMFADevices',
            'iam:GetLoginProfile',
            'iam:ListUserTags',
          ],
          iamArns(c, 'user'),
        ),
        WHY_IAM_NAMES,
      ),
      justify(statement(['iam:GetRole'], iamArns(c, 'role')), WHY_IAM_NAMES),
      ...memberRole(c, 'describePrincipal'),
    ],
    environment: memberEnv('describePrincipal'),
  },
  describeBuckets: {
    description: 'Enrich: the affected buckets, their policies and configuration',
    statements: (c) => [
      justify(
        statement(
          [
            's3:GetBucketPolicy',
            's3:GetBucketPublicAccessBlock',
            's3:GetBucketVersioning',
            's3:GetReplicationConfiguration',
            's3:GetEncryptionConfiguration',
            's3:GetBucketTagging',
          ],
          ALL_BUCKETS(c),
          inOurAccounts(c),
        ),
        WHY_BUCKETS,
      ),
      ...memberRole(c, 'describeBuckets'),
    ],
    environment: memberEnv('describeBuckets'),
  },
  assessSensitivity: {
    description: 'Enrich: Macie sensitivity of the affected buckets',
    statements: (c) => [
      justify(
        statement(['macie2:DescribeBuckets', 'macie2:ListFindings', 'macie2:GetFindings'], ['*']),
        WHY_UNSCOPABLE,
      ),
      ...memberRole(c, 'assessSensitivity'),
    ],
    environment: memberEnv('assessSensitivity'),
  },
  collectManagementEvents: {
    description: 'Enrich: CloudTrail management events of the principal',
    statements: (c) => [
      justify(statement(['cloudtrail:LookupEvents'], ['*']), WHY_UNSCOPABLE),
      ...memberRole(c, 'collectManagementEvents'),
    ],
    environment: memberEnv('collectManagementEvents'),
  },
  queryDataEvents: {
    description: 'Evidence: S3 data events of the principal (Athena), kept on the incident and posted to its thread',
    timeout: Duration.minutes(14),
    statements: (c) => [storeAccess(c), readSlackSecret(c), ...(c.athena ? athenaReads(c, c.athena) : [])],
    environment: (c): Record<string, string> => ({
      ...storeEnv(c),
      ...slackEnv(c),
      ...(c.athena
        ? {
            ATHENA_DATABASE: c.athena.database,
            ATHENA_TABLE: c.athena.table,
            ATHENA_WORKGROUP: c.athena.workgroup,
            ATHENA_MAX_BYTES_SCANNED: String(c.athena.maxBytesScanned),
            ...(c.athena.resultKeys ? { ATHENA_ACCOUNT_PARTITION: 'true' } : {}),
          }
        : {}),
    }),
  },
  planContainment: {
    description: 'Plan the exact containment: keys, statements, policy sizes',
    statements: (c) => [
      justify(statement(['s3:GetBucketPolicy'], ALL_BUCKETS(c), inOurAccounts(c)), WHY_BUCKETS),
      justify(statement(['ec2:DescribeVpcEndpoints'], ['*']), WHY_UNSCOPABLE),
      ...memberRole(c, 'planContainment'),
    ],
    environment: memberEnv('planContainment'),
  },
  requestApproval: {
    description: 'Post the plan to Slack and wait for a decision (task token kept in the store)',
    statements: (c) => [storeAccess(c), readSlackSecret(c)],
    environment: (c) => ({ ...storeEnv(c), ...slackEnv(c) }),
  },
  deactivateAccessKey: {
    description: 'Contain: deactivate the access key of the finding (that key only)',
    statements: (c) => [
      justify(statement(['iam:ListAccessKeys', 'iam:UpdateAccessKey'], iamArns(c, 'user')), WHY_IAM_NAMES),
      storeAccess(c),
      ...memberRole(c, 'deactivateAccessKey'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('deactivateAccessKey')(c) }),
  },
  revokeRoleSessions: {
    description: 'Contain: deny credentials issued before now (AWSRevokeOlderSessions)',
    statements: (c) => [
      justify(statement(['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy'], iamArns(c, 'role')), WHY_IAM_NAMES),
      neverOurRoles(c),
      justify(statement(['iam:GetUserPolicy', 'iam:PutUserPolicy'], iamArns(c, 'user')), WHY_IAM_NAMES),
      storeAccess(c),
      ...memberRole(c, 'revokeRoleSessions'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('revokeRoleSessions')(c) }),
  },
  startMacieJob: {
    description: 'Contain: start a one-time Macie classification job on the buckets',
    statements: (c) => [
      justify(
        statement(
          ['macie2:CreateClassificationJob'],
          [`arn:${c.stack.partition}:macie2:*:${c.stack.account}:classification-job/*`],
        ),
        'job ids are assigned by Macie; scoped to classification jobs of this account',
      ),
      storeAccess(c),
      ...memberRole(c, 'startMacieJob'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('startMacieJob')(c) }),
  },
  restrictVpcEndpoint: {
    description: 'Contain: merge Sid-keyed Denies into the S3 VPC endpoint policy',
    statements: (c) => [
      justify(statement(['ec2:DescribeVpcEndpoints'], ['*']), WHY_UNSCOPABLE),
      ...modifyEndpoints(c),
      storeAccess(c),
      ...memberRole(c, 'restrictVpcEndpoint'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('restrictVpcEndpoint')(c) }),
  },
  denyBucketAccess: {
    description: 'Contain: merge a Sid-keyed Deny into the bucket policy',
    statements: (c) => [
      justify(statement(['s3:GetBucketPolicy', 's3:PutBucketPolicy'], ALL_BUCKETS(c), inOurAccounts(c)), WHY_BUCKETS),
      storeAccess(c),
      ...memberRole(c, 'denyBucketAccess'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('denyBucketAccess')(c) }),
  },
  rollbackIncident: {
    description: 'Undo an incident: remove our statements, our revoke-sessions policy, optionally reactivate keys',
    statements: (c) => [
      justify(
        statement(
          ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
          ALL_BUCKETS(c),
          inOurAccounts(c),
        ),
        WHY_BUCKETS,
      ),
      justify(statement(['ec2:DescribeVpcEndpoints'], ['*']), WHY_UNSCOPABLE),
      ...modifyEndpoints(c),
      justify(
        statement(['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'], iamArns(c, 'role')),
        WHY_IAM_NAMES,
      ),
      neverOurRoles(c),
      justify(
        statement(
          [
            'iam:GetUserPolicy',
            'iam:PutUserPolicy',
            'iam:DeleteUserPolicy',
            'iam:ListAccessKeys',
            'iam:UpdateAccessKey',
          ],
          iamArns(c, 'user'),
        ),
        WHY_IAM_NAMES,
      ),
      storeAccess(c),
      ...memberRole(c, 'rollbackIncident'),
    ],
    environment: (c) => ({ ...storeEnv(c), ...memberEnv('rollbackIncident')(c) }),
  },
  writeReport: {
    description: 'Close the incident and write its report',
    statements: (c) => [
      storeAccess(c),
      readSlackSecret(c),
      justify(
        statement(['s3:PutObject'], [c.evidence.bucket.arnForObjects('incidents/*')]),
        'reports are written under incidents/<incidentId>/ of our own evidence bucket',
      ),
      statement(['kms:GenerateDataKey', 'kms:Encrypt'], [c.evidence.key.keyArn]),
    ],
    environment: (c) => ({
      ...storeEnv(c),
      ...slackEnv(c),
      EVIDENCE_BUCKET: c.evidence.bucket.bucketName,
      EVIDENCE_KEY_ARN: c.evidence.key.keyArn,
    }),
  },
};

export { handlerDir };
