import { AwsServiceDisabled } from './errors.js';
import type { DataEventsPort } from './ports.js';

/**
 * The data-events port when no Athena table over the CloudTrail data events is configured: it says
 * so, and the evidence branch records the evidence as unavailable with this reason.
 */
export function unconfiguredDataEventsPort(): DataEventsPort {
  return {
    summarize: async () => {
      throw new AwsServiceDisabled(
        'S3 data-event evidence needs an Athena table over a trail with S3 data events (config.athena); none is configured',
      );
    },
  };
}
