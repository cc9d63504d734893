import { planContainment } from '../../handlers/plan-containment/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import type { Plan } from '../../handlers/shared/schemas/plan.js';
import { scenario } from './fixtures.js';
import { account } from './ports.js';
import { testSettings } from './settings.js';

/** The plan of the bucket Deny alone for `incident`, against the seed scenario's account (home 123456789012). */
export function planBucketDeny(incident: Incident, incidentId = '20260223-c4e6a8b0d2f4'): Promise<Plan> {
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  return runTask(
    planContainment,
    {
      incidentId,
      incident,
      settings: testSettings({ homeAccountId: '123456789012' }),
      enrichment: {},
      contain: ['denyBucketAccess'],
      previouslyApplied: [],
    },
    { s3: acct.s3, ec2: acct.ec2 },
  );
}
