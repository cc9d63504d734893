import { planContainment } from '../../handlers/plan-containment/core.js';
import type { PlanContainmentInput } from '../../handlers/plan-containment/schema.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import type { Plan } from '../../handlers/shared/schemas/plan.js';
import type { Settings } from '../../handlers/shared/schemas/settings.js';
import type { InMemoryAccount } from '../../local/account.js';
import { scenario } from './fixtures.js';
import { account } from './ports.js';
import { testSettings } from './settings.js';

/**
 * The plan of `contain` for `incident` without enrichment (the principal's IAM lookup failed or did
 * not run), against `on` (by default a fresh copy of the seed scenario's account).
 */
export async function planFor(
  incident: Incident,
  contain: PlanContainmentInput['contain'],
  {
    settings = testSettings({ homeAccountId: '123456789012' }),
    incidentId = '20260223-c4e6a8b0d2f4',
    on = account(scenario('compromised-iam-user-key')).account,
  }: { settings?: Settings; incidentId?: string; on?: InMemoryAccount } = {},
): Promise<Plan> {
  return (await runTask(
    planContainment,
    { incidentId, incident, settings, enrichment: {}, contain, previouslyApplied: [] },
    { s3: on.s3, ec2: on.ec2 },
  )) as Plan;
}

/** The plan of the bucket Deny alone for `incident`, against the seed scenario's account (home 123456789012). */
export function planBucketDeny(incident: Incident, incidentId = '20260223-c4e6a8b0d2f4'): Promise<Plan> {
  return planFor(incident, ['denyBucketAccess'], { incidentId });
}
