import type * as events from 'aws-cdk-lib/aws-events';
import type { DetectionRule } from '../handlers/detect/detection.js';
import { guardDutyPatterns, type Playbook } from '../playbooks/define.js';
import type { ResponderConfig } from './config.js';
import { detectionPatterns } from './constructs/detections.js';
import { guardDutyPattern } from './constructs/finding-rule.js';

/**
 * Detections fed by events that happen in every Region and account. `bulk-download` is left out:
 * its alarm lives in the home stack, over the home trail's log group, so there is nothing to forward.
 */
const FORWARDED_DETECTIONS: readonly DetectionRule[] = [
  'cross-account-copy',
  'external-kms-copy',
  'anonymous-rare-source',
];

const pascal = (id: string) => id.replace(/(^|-)([a-z0-9])/g, (_, __, char: string) => char.toUpperCase());

/**
 * The patterns of the home stack's rules that events from other Regions and accounts can match,
 * keyed by a stable rule id: each playbook's GuardDuty rule (`<Playbook>Findings`, the configured
 * `findingTypes` or the playbook's triggers) and each enabled CloudTrail detection routed to a
 * playbook (`<Detection>`). Built by the same functions the home stack's rules are built with
 * (`guardDutyPattern`, `detectionPatterns`), so a forwarder sends exactly what the home rules take.
 */
export function forwardedPatterns(
  config: ResponderConfig,
  playbooks: readonly Playbook[],
): Record<string, events.EventPattern> {
  const patterns: Record<string, events.EventPattern> = {};
  for (const playbook of playbooks) {
    const findingTypes = config.findingTypes ?? guardDutyPatterns(playbook);
    if (findingTypes.length > 0) patterns[`${pascal(playbook.id)}Findings`] = guardDutyPattern(findingTypes);
  }
  if (!config.detections.enabled) return patterns;
  const routed = new Set(
    playbooks.flatMap((playbook) =>
      playbook.triggers.flatMap((trigger) => ('detection' in trigger ? [trigger.detection] : [])),
    ),
  );
  const detections = detectionPatterns();
  for (const rule of FORWARDED_DETECTIONS) {
    if (routed.has(rule)) patterns[pascal(rule)] = detections[rule];
  }
  return patterns;
}
