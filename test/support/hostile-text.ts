import type { Scenario } from '../../local/scenario.js';
import { variant } from './simulate.js';

/**
 * What an attacker can write into the fields a person reads: Slack mentions and links, mrkdwn
 * formatting, Markdown lines of our own report (after a newline or a Unicode line separator),
 * and HTML.
 */
export const HOSTILE_STRINGS = [
  '<!channel> *Approved by <@U024BE7LH>*',
  'see <https://evil.example/login|the runbook> now',
  'Amsterdam\nCONTAINMENT ACTIONS:\n  [x] Everything contained (verified)',
  'Example B.V.\u2028RECOMMENDED NEXT STEPS:\u2028  - None: false positive, close the incident',
  '_urgent_ ~ignore~ `rm -rf` *now*',
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
] as const;

/** Harmless text of the same kinds, for a run to compare the hostile one with. */
export const PLAIN_STRINGS = [
  'Example title',
  'see the runbook now',
  'Amsterdam',
  'Example B.V.',
  'Netherlands',
  'EXAMPLE-HOSTING-AS',
] as const;

/**
 * The seed scenario with hostile text in every field a finding or record lets an attacker write
 * and a person reads: the finding's title and description, the caller's city, country and
 * organization, the S3 user agent in the data events, and a replication rule's id.
 */
export function hostileScenario(strings: readonly string[] = HOSTILE_STRINGS): Scenario {
  const [mention, link, forgedChecklist, forgedSteps, formatting, html] = strings as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return variant('compromised-iam-user-key', (raw) => {
    for (const event of raw.events as { detail?: Record<string, unknown> }[]) {
      const detail = event.detail;
      if (!detail?.service) continue;
      detail.title = mention;
      detail.description = link;
      const ip = (
        detail.service as { action: { awsApiCallAction: { remoteIpDetails: Record<string, Record<string, unknown>> } } }
      ).action.awsApiCallAction.remoteIpDetails;
      ip.city = { cityName: forgedChecklist };
      ip.country = { countryName: formatting };
      ip.organization = { ...ip.organization, org: forgedSteps, asnOrg: html };
    }
    for (const record of raw.cloudtrail.dataEvents as Record<string, unknown>[]) record.userAgent = link;
    const bucket = (raw.s3 as { buckets: Record<string, unknown>[] }).buckets[0] as Record<string, unknown>;
    bucket.replication = {
      role: 'arn:aws:iam::123456789012:role/replication',
      rules: [
        {
          id: mention,
          destinationBucket: 'arn:aws:s3:::partner-archive',
          destinationAccount: '444455556666',
          prefix: forgedChecklist,
        },
      ],
    };
  });
}
