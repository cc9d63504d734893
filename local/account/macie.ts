import { AwsServiceDisabled } from '../../handlers/shared/errors.js';
import type { MaciePort } from '../../handlers/shared/ports.js';
import { summarizeSensitivity } from '../../handlers/shared/sensitivity.js';
import type { AccountState } from './state.js';

/** Macie of the in-memory account: the scenario's bucket metadata and findings, and one-time jobs. */
export function maciePort(state: AccountState): MaciePort {
  const { scenario } = state;
  return {
    bucketSensitivity: async (args) => {
      state.enter('macie2:DescribeBuckets', args);
      if (!scenario.macie.enabled) {
        throw new AwsServiceDisabled('macie2:DescribeBuckets failed: Macie is not enabled in this account');
      }
      state.enter('macie2:ListFindings', args);
      return args.buckets.map((name) => {
        const meta = scenario.s3.buckets.find((bucket) => bucket.name === name)?.macie;
        return summarizeSensitivity(name, meta, scenario.macie.findings);
      });
    },
    createClassificationJob: async (args) => {
      state.enter('macie2:CreateClassificationJob', args);
      if (!scenario.macie.enabled) {
        throw new AwsServiceDisabled('macie2:CreateClassificationJob failed: Macie is not enabled in this account');
      }
      const unknown = args.buckets.filter((bucket) => !state.bucketPolicies.has(bucket));
      if (unknown.length > 0) {
        throw new AwsServiceDisabled(
          `macie2:CreateClassificationJob failed: Macie cannot see ${unknown.join(', ')} from this account`,
        );
      }
      const existing = state.macieJobs.find((job) => job.clientToken === args.clientToken);
      if (existing) return { jobId: existing.jobId };
      const jobId = `${(state.macieJobs.length + 1).toString(16).padStart(4, '0')}${args.clientToken.replace(/[^0-9a-f]/g, '').slice(0, 28)}`;
      state.macieJobs.push({
        jobId,
        name: args.name,
        clientToken: args.clientToken,
        buckets: [...args.buckets],
        jobType: 'ONE_TIME',
      });
      state.writes.push({ call: 'macie2:CreateClassificationJob', target: jobId });
      return { jobId };
    },
  };
}
