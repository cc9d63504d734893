import { task } from '../shared/define-task.js';
import type { BucketSensitivity, MaciePort } from '../shared/ports.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

/** Macie's sensitivity for the affected buckets. Macie off or no access: the task fails and the flow records it unavailable. */
export const assessSensitivity = task({
  name: 'assessSensitivity',
  input: IncidentTaskInput,
  async run({ incident }, ports: { macie: MaciePort }): Promise<{ status: 'ok'; buckets: BucketSensitivity[] }> {
    if (incident.buckets.length === 0) return { status: 'ok', buckets: [] };
    const buckets = await ports.macie.bucketSensitivity({
      accountId: incident.accountId,
      region: incident.region,
      buckets: incident.buckets,
    });
    return { status: 'ok', buckets };
  },
});
