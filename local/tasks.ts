import type { ZodType } from 'zod';
import { assessSensitivity } from '../handlers/assess-sensitivity/core.js';
import { collectManagementEvents } from '../handlers/collect-management-events/core.js';
import { deactivateAccessKey } from '../handlers/deactivate-access-key/core.js';
import { denyBucketAccess } from '../handlers/deny-bucket-access/core.js';
import { describeBuckets } from '../handlers/describe-buckets/core.js';
import { describePrincipal } from '../handlers/describe-principal/core.js';
import { planContainment } from '../handlers/plan-containment/core.js';
import { queryDataEvents } from '../handlers/query-data-events/core.js';
import { registerIncident } from '../handlers/register-incident/core.js';
import { requestApproval } from '../handlers/request-approval/core.js';
import { restrictVpcEndpoint } from '../handlers/restrict-vpc-endpoint/core.js';
import { revokeRoleSessions } from '../handlers/revoke-role-sessions/core.js';
import { rollbackIncident } from '../handlers/rollback-incident/core.js';
import type { Ports, Task } from '../handlers/shared/define-task.js';
import type { TaskName } from '../handlers/shared/task-names.js';
import { startMacieJob } from '../handlers/start-macie-job/core.js';
import { writeReport } from '../handlers/write-report/core.js';

type AnyTask = Task<ZodType, Partial<Ports>, unknown>;

/** Every task's core, by name: what the local runtime binds Task states to (the code AWS runs). */
export const TASKS: Record<TaskName, AnyTask> = {
  registerIncident,
  describePrincipal,
  describeBuckets,
  assessSensitivity,
  collectManagementEvents,
  queryDataEvents,
  planContainment,
  requestApproval,
  deactivateAccessKey,
  revokeRoleSessions,
  startMacieJob,
  denyBucketAccess,
  restrictVpcEndpoint,
  writeReport,
  rollbackIncident,
};
