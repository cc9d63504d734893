import type { EventPattern } from 'aws-cdk-lib/aws-events';
import type { DetectionRule } from '../handlers/detect/detection.js';
import { detectionPatterns } from '../infra/constructs/detections.js';
import { guardDutyPattern } from '../infra/constructs/finding-rule.js';
import { guardDutyPatterns, type Playbook } from '../playbooks/define.js';
import { matchesEventPattern } from './event-pattern.js';

/**
 * The EventBridge rules the stack deploys for a playbook, with the very pattern objects it
 * synthesizes: the GuardDuty finding rule (when the playbook or `findingTypes` names types) and
 * one detection rule per detection the playbook's triggers name.
 */
export interface StackRules {
  readonly guardDuty?: EventPattern;
  readonly detections: Partial<Record<DetectionRule, EventPattern>>;
}

export function stackRules(
  playbook: Playbook,
  config: { readonly findingTypes?: readonly string[]; readonly detections: { readonly enabled: boolean } },
): StackRules {
  const types = config.findingTypes ?? guardDutyPatterns(playbook);
  const patterns = detectionPatterns();
  const detections: Partial<Record<DetectionRule, EventPattern>> = {};
  for (const trigger of playbook.triggers) {
    if ('detection' in trigger && config.detections.enabled)
      detections[trigger.detection] = patterns[trigger.detection];
  }
  return { guardDuty: types.length > 0 ? guardDutyPattern(types) : undefined, detections };
}

/** Where the deployed stack sends an arriving event (DESIGN §9). */
export type Route =
  /** `{"console": <input>}`: a manual start, straight into the playbook. */
  | { readonly kind: 'console'; readonly input: unknown }
  /** A GuardDuty finding the finding rule matches: the playbook. */
  | { readonly kind: 'playbook' }
  /** An API call or alarm a detection rule matches: the detection handler, with the rules matched. */
  | { readonly kind: 'detection'; readonly rules: readonly DetectionRule[] }
  /** No rule of the stack matches. */
  | { readonly kind: 'unrouted' };

/** A scenario event `{"console": <input>}`: a manual run from the Step Functions console. */
export function consoleInput(event: unknown): { input: unknown } | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const keys = Object.keys(event);
  return keys.length === 1 && keys[0] === 'console' ? { input: (event as { console: unknown }).console } : undefined;
}

/** Matches the event against the stack's rules with EventBridge's semantics. */
export function routeEvent(event: unknown, rules: StackRules): Route {
  const manual = consoleInput(event);
  if (manual) return { kind: 'console', input: manual.input };
  if (rules.guardDuty && matchesEventPattern(rules.guardDuty, event)) return { kind: 'playbook' };
  const matched = (Object.entries(rules.detections) as [DetectionRule, EventPattern][])
    .filter(([, pattern]) => matchesEventPattern(pattern, event))
    .map(([rule]) => rule);
  return matched.length > 0 ? { kind: 'detection', rules: matched } : { kind: 'unrouted' };
}
