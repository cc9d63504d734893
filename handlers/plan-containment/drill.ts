import type { Incident } from '../shared/schemas/incident.js';
import { SAMPLE_ACCOUNT_ID } from '../shared/schemas/sample.js';
import type { PlanPorts } from './draft.js';
import type { PlanContainmentInput } from './schema.js';

/**
 * A GuardDuty sample run as a drill (`acceptSampleFindings`) is planned on its placeholders
 * (`GeneratedFindingAccessKeyId`, bucket `bucketName`) like a finding on real identifiers, so every
 * action the playbook would take shows in the plan and ends `skipped` with the reason, whichever
 * form the sample arrived in (EventBridge event, bare finding, API form). Nothing is read or
 * written for a placeholder. The stand-in for a sample's invalid account id counts as ours in a
 * drill (the docs' samples carry an 11-digit one), and what enrichment learnt about that stand-in
 * (Macie refusing an account we cannot reach) does not decide the plan.
 */
export function drillInput(input: PlanContainmentInput): PlanContainmentInput {
  const { incident } = input;
  const targets = incident.sample ? incident.placeholderTargets : undefined;
  if (!targets) return input;
  const [key] = targets.accessKeyIds;
  const principal =
    key && !incident.principal.accessKeyId ? { ...incident.principal, accessKeyId: key } : incident.principal;
  const principals = incident.principals?.map((one, index) => (index === 0 ? principal : one));
  const standIn = incident.accountId === SAMPLE_ACCOUNT_ID;
  const { assessSensitivity: _aboutStandIn, ...enrichment } = input.enrichment;
  return {
    ...input,
    ...(standIn
      ? {
          settings: {
            ...input.settings,
            memberAccounts: [...(input.settings.memberAccounts ?? []), SAMPLE_ACCOUNT_ID],
          },
          enrichment,
        }
      : {}),
    incident: {
      ...incident,
      principal,
      ...(principals ? { principals } : {}),
      buckets: [...new Set([...incident.buckets, ...targets.buckets])],
    },
  };
}

/** A drill's access key placeholder stands for the leaked long-term key of an IAM user finding. */
export function isPlaceholderKey(incident: Incident, key: string): boolean {
  return incident.sample === true && (incident.placeholderTargets?.accessKeyIds.includes(key) ?? false);
}

/** The ports a drill plans with: a placeholder bucket's policy is never read (it names no bucket). */
export function drillPorts(ports: PlanPorts, incident: Incident): PlanPorts {
  const buckets = new Set(incident.sample ? (incident.placeholderTargets?.buckets ?? []) : []);
  if (buckets.size === 0) return ports;
  const s3 = Object.create(ports.s3) as PlanPorts['s3'];
  s3.getBucketPolicy = async (args) => (buckets.has(args.bucket) ? undefined : ports.s3.getBucketPolicy(args));
  return { ...ports, s3 };
}
