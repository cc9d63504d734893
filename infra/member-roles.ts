import { MEMBER_ROLE_SUFFIX, type MemberRoleKind } from '../handlers/shared/member-roles.js';
import { CONTAIN_TASKS, type TaskName } from '../handlers/shared/task-names.js';

export type { MemberRoleKind };

/**
 * Which member role each task assumes in a member account: the one of its kind of work. A task not
 * listed never acts in a member account (the incident store, Slack, Athena and the report stay in
 * the administrator account). The member stack trusts, for each role, exactly these tasks' roles.
 */
export const MEMBER_TASKS: Readonly<Record<MemberRoleKind, readonly TaskName[]>> = {
  read: ['describePrincipal', 'describeBuckets', 'assessSensitivity', 'collectManagementEvents', 'planContainment'],
  contain: [...CONTAIN_TASKS],
  rollback: ['rollbackIncident'],
};

/** What a member-account action is scoped to, as the administrator stack's tasks scope it (`infra/tasks.ts`). */
export type MemberScope = 'user' | 'role' | 'bucket' | 'vpcEndpoint' | 'macieJob' | 'unscopable';

/**
 * Every action a task may call in a member account, by the member role of its kind of work
 * (`infra/member-roles.ts`) and by what it is scoped to: exactly the actions `infra/tasks.ts`
 * grants the task roles that assume that role, minus what only ever acts in the administrator
 * account (the incident table, the functions' own logs and traces). `read` holds no write at all.
 * `test/infra/member-stack.test.ts` checks this against the synthesized administrator stack, so
 * the two cannot drift. Data-event queries (Athena) and the report never run in a member account.
 */
export const MEMBER_ACTIONS = {
  /** Enrichment (principal, buckets, Macie, CloudTrail) and planning (bucket policies, endpoints). */
  read: {
    user: [
      'iam:GetUser',
      'iam:ListAccessKeys',
      'iam:GetAccessKeyLastUsed',
      'iam:ListMFADevices',
      'iam:GetLoginProfile',
      'iam:ListUserTags',
    ],
    role: ['iam:GetRole'],
    bucket: [
      's3:GetBucketPolicy',
      's3:GetBucketPublicAccessBlock',
      's3:GetBucketVersioning',
      's3:GetReplicationConfiguration',
      's3:GetEncryptionConfiguration',
      's3:GetBucketTagging',
    ],
    unscopable: [
      'macie2:DescribeBuckets',
      'macie2:ListFindings',
      'macie2:GetFindings',
      'cloudtrail:LookupEvents',
      'ec2:DescribeVpcEndpoints',
    ],
  },
  /** Key deactivation, AWSRevokeOlderSessions, the Sid-keyed bucket and endpoint Denies, the Macie job. */
  contain: {
    user: ['iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:GetUserPolicy', 'iam:PutUserPolicy'],
    role: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
    bucket: ['s3:GetBucketPolicy', 's3:PutBucketPolicy'],
    vpcEndpoint: ['ec2:ModifyVpcEndpoint'],
    macieJob: ['macie2:CreateClassificationJob'],
    unscopable: ['ec2:DescribeVpcEndpoints'],
  },
  /** Removing exactly what containment wrote, and optionally reactivating keys. */
  rollback: {
    user: [
      'iam:GetUserPolicy',
      'iam:PutUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
    ],
    role: ['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
    bucket: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
    vpcEndpoint: ['ec2:ModifyVpcEndpoint'],
    unscopable: ['ec2:DescribeVpcEndpoints'],
  },
} as const satisfies Record<MemberRoleKind, Partial<Record<MemberScope, readonly string[]>>>;

export const MEMBER_KINDS = Object.keys(MEMBER_TASKS) as MemberRoleKind[];

/** The member role a task assumes, or `undefined` for a task that never acts in a member account. */
export function memberKindOf(task: TaskName): MemberRoleKind | undefined {
  return MEMBER_KINDS.find((kind) => MEMBER_TASKS[kind].includes(task));
}

/** `describePrincipal` → `DescribePrincipal`. */
const pascal = (task: string) => task.charAt(0).toUpperCase() + task.slice(1);

/**
 * The name of a member-acting task's role in the administrator account: `<stack name>-<Task>`.
 * Deterministic, so the member stack can trust exact role ARNs before the responder stack exists
 * (and after it replaces a role). IAM role names are unique per account, so one responder stack
 * of a name per account (it runs in one Region).
 */
export function taskRoleName(stackName: string, task: TaskName): string {
  return `${stackName}-${pascal(task)}`;
}

const IAM_ROLE_NAME_MAX = 64;

/** The longest stack name whose task role names stay within IAM's 64 characters. */
export const MAX_STACK_NAME_LENGTH =
  IAM_ROLE_NAME_MAX - 1 - Math.max(...Object.values(MEMBER_TASKS).flatMap((tasks) => tasks.map((t) => t.length)));

/** The longest `memberRoleName` whose three role names stay within IAM's 64 characters. */
export const MAX_MEMBER_ROLE_BASE_LENGTH =
  IAM_ROLE_NAME_MAX - Math.max(...Object.values(MEMBER_ROLE_SUFFIX).map((suffix) => suffix.length));
