import { MEMBER_ROLE_SUFFIX, type MemberRoleKind } from '../handlers/shared/clients/accounts.js';
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
