import { task } from '../shared/define-task.js';
import { AwsAccessDenied, AwsServiceDisabled } from '../shared/errors.js';
import type { Clock, MaciePort } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, StartMacieJobItem } from '../shared/schemas/plan.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * Starts a ONE_TIME Macie classification job on the affected buckets and does not wait for it.
 * The client token comes from the incident and the buckets, so a re-run gets the same job back.
 * Macie off, unable to see the buckets from this account, or refusing us (AccessDenied: Macie
 * is then not ours to use here) is `skipped` with the reason: the service will not let us take
 * the action, which is not a containment failure.
 */
export const startMacieJob = task({
  name: 'startMacieJob',
  input: actionInput(StartMacieJobItem),
  async run(
    { item, incidentId },
    ports: { macie: MaciePort; store: IncidentStore; clock: Clock },
  ): Promise<ActionResult> {
    const base = { action: 'startMacieJob' as const, target: item.target };
    const label = `Macie classification job ${item.jobName} on ${item.buckets.join(', ')} started`;
    const previous = (await ports.store.listActions(incidentId)).find(
      (result) =>
        result.action === 'startMacieJob' &&
        result.target === item.target &&
        result.result !== 'failed' &&
        result.result !== 'skipped',
    );
    try {
      const job = await ports.macie.createClassificationJob({
        accountId: item.accountId,
        region: item.region,
        name: item.jobName,
        clientToken: item.clientToken,
        buckets: item.buckets,
        description: `s3-exfil-responder incident ${incidentId}: classify the buckets the principal accessed`,
      });
      const detail = `job ${job.jobId}`;
      return recordAction(ports, incidentId, { ...base, result: previous ? 'already' : 'applied', detail }, label);
    } catch (error) {
      if (error instanceof AwsServiceDisabled) {
        return recordAction(ports, incidentId, { ...base, result: 'skipped', detail: error.message }, label);
      }
      if (error instanceof AwsAccessDenied) {
        const detail = `Macie refused the job (AccessDenied): ${error.message}`;
        return recordAction(ports, incidentId, { ...base, result: 'skipped', detail }, label);
      }
      throw error;
    }
  },
});
