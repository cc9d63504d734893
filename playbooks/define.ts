import { Duration } from 'aws-cdk-lib';
import type { ContainTask, EnrichTask, EvidenceTask } from '../handlers/shared/task-names.js';

/** A detection of ours (DESIGN §3) that can start a playbook. */
export type DetectionRule = 'cross-account-copy' | 'external-kms-copy' | 'anonymous-rare-source' | 'bulk-download';

export type Trigger =
  /** GuardDuty finding types: `Exfiltration:S3/` is a prefix, a full type matches exactly. */
  { readonly guardDuty: readonly string[] } | { readonly detection: DetectionRule };

export interface Playbook {
  readonly id: string;
  readonly title: string;
  readonly triggers: readonly Trigger[];
  readonly enrich: readonly EnrichTask[];
  readonly evidence: readonly EvidenceTask[];
  readonly approval: { readonly timeout: Duration; readonly heartbeat: Duration };
  /** Containment actions in the order they are applied. */
  readonly contain: readonly ContainTask[];
}

/**
 * Declares a playbook. Checks what the type system cannot: a kebab-case id, at least one trigger
 * and one containment action, no duplicates, and a heartbeat shorter than the approval timeout.
 */
export function definePlaybook(playbook: Playbook): Playbook {
  const problems: string[] = [];
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(playbook.id)) problems.push(`id "${playbook.id}" must be kebab-case`);
  if (playbook.triggers.length === 0) problems.push('needs at least one trigger');
  if (playbook.contain.length === 0) problems.push('needs at least one containment action');
  for (const [name, list] of Object.entries({
    enrich: playbook.enrich,
    evidence: playbook.evidence,
    contain: playbook.contain,
  })) {
    if (new Set(list).size !== list.length) problems.push(`${name} lists a task twice`);
  }
  if (playbook.approval.heartbeat.toSeconds() >= playbook.approval.timeout.toSeconds()) {
    problems.push('approval.heartbeat must be shorter than approval.timeout');
  }
  if (problems.length > 0) throw new Error(`playbook ${playbook.id}: ${problems.join('; ')}`);
  return Object.freeze(playbook);
}

/** GuardDuty patterns of a playbook's triggers. */
export function guardDutyPatterns(playbook: Playbook): string[] {
  return playbook.triggers.flatMap((trigger) => ('guardDuty' in trigger ? [...trigger.guardDuty] : []));
}

export { Duration };
