import { createHash } from 'node:crypto';
import { task } from '../shared/define-task.js';
import { principalOfType, readableReason } from '../shared/render/words.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { ActionId, Plan, PlanItem } from '../shared/schemas/plan.js';
import type { PrincipalFacts } from '../shared/schemas/principal-facts.js';
import { isManagedAccount } from '../shared/schemas/settings.js';
import { actionsOfTask } from '../shared/task-names.js';
import { credentialPlanners } from './credentials.js';
import { type Draft, type Planner, type PlanPorts, principalFacts } from './draft.js';
import { drillInput, drillPorts } from './drill.js';
import { type InPlaceSplit, splitInPlace } from './in-place.js';
import { planCreatedKeys } from './persistence.js';
import { policyPlanners } from './policies.js';
import { PlanContainmentInput } from './schema.js';

/**
 * Computes the exact containment plan: which key, which statements in which policy, the resulting
 * policy size. Pure apart from reading the current bucket and endpoint policies. What cannot be done
 * automatically is said in `notPlanned` and `recommendations`, never silently dropped.
 * `items` is the whole plan (the report's checklist); `pending` what needs approval (`count`);
 * `inPlace` what a re-run found still in effect from an earlier run (`in-place.ts`).
 */
export const planContainment = task({
  name: 'planContainment',
  input: PlanContainmentInput,
  async run(given, realPorts: PlanPorts): Promise<Plan & InPlaceSplit & { count: number }> {
    const input = drillInput(given);
    const ports = drillPorts(realPorts, given.incident);
    const draft: Draft = { items: [], notPlanned: [], recommendations: [] };
    const facts = principalFacts(input.enrichment.describePrincipal);
    for (const action of [...new Set(input.contain.flatMap(actionsOfTask))]) {
      await PLANNERS[action](input, facts, draft, ports);
      // Keys the compromised credentials created are deactivated too, each its own item.
      if (action === 'deactivateAccessKey') planCreatedKeys(input, draft);
    }
    draft.recommendations.push(...recommendationsFor(input.incident, facts), ...accountsToNotify(input));
    draft.items = uniqueById(draft.items);
    if (input.incident.sample)
      draft.items = draft.items.map((item) => ({ ...item, skip: drillReason(input.incident) }));
    const split = await splitInPlace(draft.items, input.previouslyApplied, facts, ports);
    // The whole plan carries what was found gone too, for the report and the status after the round.
    const lapsed = new Map(split.pending.filter((item) => item.lapsed).map((item) => [item.id, item]));
    const items = draft.items.map((item) => lapsed.get(item.id) ?? item);
    return { ...draft, items, ...split, count: split.pending.length };
  },
});

/** Enrichment errors that mean Macie will not run a job for us here. */
const MACIE_UNAVAILABLE = new Set(['AwsServiceDisabled', 'AwsAccessDenied']);

const macieJobPlanner: Planner = async ({ incident, incidentId, enrichment }, _facts, draft) => {
  const sensitivity = enrichment.assessSensitivity as { status?: string; reason?: string; error?: string } | undefined;
  if (incident.buckets.length === 0) {
    draft.notPlanned.push({ action: 'startMacieJob', reason: 'the finding names no bucket' });
    return;
  }
  // Enrichment already asked Macie: off, or refusing us, means the job would only be skipped.
  if (sensitivity?.status === 'unavailable' && MACIE_UNAVAILABLE.has(sensitivity.error ?? '')) {
    const why = sensitivity.error === 'AwsAccessDenied' ? 'access denied' : 'disabled';
    draft.notPlanned.push({
      action: 'startMacieJob',
      reason:
        sensitivity.error === 'AwsServiceDisabled'
          ? readableReason(sensitivity.reason, sensitivity.error, 'assessSensitivity')
          : `Macie is not available: ${sensitivity.reason ? readableReason(sensitivity.reason, sensitivity.error) : why}`,
    });
    return;
  }
  const buckets = [...incident.buckets].sort();
  const digest = createHash('sha256').update(buckets.join('\n')).digest('hex').slice(0, 16);
  draft.items.push({
    id: `startMacieJob:${incidentId}`,
    action: 'startMacieJob',
    target: `s3-exfil-responder-${incidentId}`,
    accountId: incident.accountId,
    region: incident.region,
    buckets,
    jobName: `s3-exfil-responder-${incidentId}`,
    clientToken: `${incidentId}-${digest}`,
    summary: `Start a one-time Macie classification job on ${buckets.join(', ')} (billed per GB scanned; not waited on)`,
  });
};

/** Two sessions of one role plan one revocation: the first item of an id stands. */
function uniqueById(items: PlanItem[]): PlanItem[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id) !== undefined);
}

function drillReason(incident: Incident): string {
  const placeholders = incident.placeholders?.length ? ` (placeholders: ${incident.placeholders.join(', ')})` : '';
  return `sample finding run as a drill: its identities and resources are GuardDuty placeholders${placeholders}`.slice(
    0,
    500,
  );
}

/**
 * The accounts to tell: callers in accounts this deployment does not manage are contained here by
 * resource policy only. Also says when an attack sequence named more actors than were planned.
 */
function accountsToNotify({ incident, settings }: PlanContainmentInput): string[] {
  const principals = incident.principals ?? [incident.principal];
  const foreign = new Map<string, string[]>();
  for (const principal of principals) {
    const accountId = principal.accountId ?? incident.accountId;
    if (isManagedAccount(settings, accountId, incident.accountId)) continue;
    const who = principal.arn ?? principal.sessionIssuer ?? principalOfType(principal.type);
    const named = foreign.get(accountId) ?? [];
    if (!named.includes(who)) foreign.set(accountId, [...named, who]);
  }
  const lines = [...foreign].map(
    ([accountId, who]) =>
      `Notify the owner of account ${accountId} (not managed by this deployment): ${firstFew(who)} acted on ${incident.buckets.join(', ') || 'our resources'}. Only they can deactivate its keys or revoke its sessions; here it is denied by bucket and endpoint policy.`,
  );
  if (incident.principalsOmitted) {
    lines.push(
      `The attack sequence names ${incident.principalsOmitted} more actor(s) than were planned: review them in the finding (service.detection.sequence.actors).`,
    );
  }
  return lines;
}

function firstFew(values: string[]): string {
  const shown = values.slice(0, 3).join(', ');
  return values.length > 3 ? `${shown} and ${values.length - 3} more` : shown;
}

const PLANNERS: Record<ActionId, Planner> = {
  ...credentialPlanners,
  startMacieJob: macieJobPlanner,
  ...policyPlanners,
};

function recommendationsFor(incident: Incident, facts: PrincipalFacts | undefined): string[] {
  const { principal } = incident;
  const user = principal.userName ?? 'the user';
  switch (principal.type) {
    case 'IAMUser':
      return [
        // Say only what applies: no password to reset when IAM says there is none.
        facts?.consoleAccess === false
          ? `${user} has no console password; review their MFA devices and make sure none was added by the attacker.`
          : `Reset the console password of ${user} and re-enroll MFA.`,
        'Scan the user’s repositories and CI secrets for the leaked key (credential-leak scan).',
        'Review keys, users and policies the attacker may have created (see the management events).',
      ];
    case 'AssumedRole':
      return [
        `Find how the session of ${principal.userName ?? 'the role'} was obtained (the source credentials or workload) and rotate them.`,
        'Review the role’s trust policy and who can assume it.',
      ];
    case 'Root':
      return [
        'Root credentials were used: sign in as root, change the password, delete any root access keys, and enable MFA.',
        'Review every change made with the root user (CloudTrail).',
      ];
    case 'Anonymous':
      return [
        'Unauthenticated access worked: turn on S3 Block Public Access for the bucket and the account, and review bucket policies and ACLs.',
      ];
    default:
      return ['The principal could not be identified: review the CloudTrail records of the activity by hand.'];
  }
}
