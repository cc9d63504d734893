import type { ActionId } from './schemas/plan.js';

/** Enrichment tasks: fast, parallel, each degrades on its own (DESIGN §2). */
export const ENRICH_TASKS = [
  'describePrincipal',
  'describeBuckets',
  'assessSensitivity',
  'collectManagementEvents',
] as const;
export type EnrichTask = (typeof ENRICH_TASKS)[number];

/** Evidence tasks: slow, never block the approval. */
export const EVIDENCE_TASKS = ['queryDataEvents'] as const;
export type EvidenceTask = (typeof EVIDENCE_TASKS)[number];

/** Containment actions that have a task implementing them. */
export const CONTAIN_TASKS = [
  'deactivateAccessKey',
  'revokeRoleSessions',
  'startMacieJob',
  'denyBucketAccess',
  'restrictVpcEndpoint',
] as const satisfies readonly ActionId[];
export type ContainTask = (typeof CONTAIN_TASKS)[number];

/** Actions without a task of their own, and the task that applies each (no extra function to deploy). */
const SERVED_BY: Partial<Record<ActionId, ContainTask>> = { revokeUserSessions: 'revokeRoleSessions' };

/** The actions a containment task applies: its own, then any it serves (`revokeUserSessions` by `revokeRoleSessions`). */
export function actionsOfTask(task: ActionId): ActionId[] {
  const served = Object.entries(SERVED_BY)
    .filter(([, by]) => by === task)
    .map(([action]) => action as ActionId);
  return [task, ...served];
}

/** Tasks every playbook runs, in flow order. */
export const FLOW_TASKS = ['registerIncident', 'planContainment', 'requestApproval', 'writeReport'] as const;
export type FlowTask = (typeof FLOW_TASKS)[number];

/** Tasks outside the playbook flow: the rollback the Slack Undo button and `responder rollback` run. */
export const SUPPORT_TASKS = ['rollbackIncident'] as const;
export type SupportTask = (typeof SUPPORT_TASKS)[number];

export type TaskName = EnrichTask | EvidenceTask | ContainTask | FlowTask | SupportTask;
export const TASK_NAMES: readonly TaskName[] = [
  ...FLOW_TASKS,
  ...ENRICH_TASKS,
  ...EVIDENCE_TASKS,
  ...CONTAIN_TASKS,
  ...SUPPORT_TASKS,
];

/** `denyBucketAccess` → `Deny Bucket Access`: the state name of a task. */
export function stateName(task: string): string {
  const words = task.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `denyBucketAccess` → `deny-bucket-access`: the handler folder of a task. */
export function handlerDir(task: string): string {
  return task.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
