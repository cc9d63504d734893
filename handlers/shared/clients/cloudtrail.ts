import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { log } from '../log.js';
import { type PacerTiming, rateLimiter } from '../pacer.js';
import type { AccountScope, CloudTrailPort } from '../ports.js';
import { CloudTrailRecord } from '../schemas/cloudtrail.js';
import { callAws, clientFor } from './accounts.js';

/** LookupEvents allows two requests a second per account and Region, and returns 50 events a page. */
export const LOOKUP_EVENTS_PER_SECOND = 2;
const PAGE_SIZE = 50;

/** How the limiter waits and tells the time; tests pass fakes so nothing really waits. */
export type LimiterTiming = PacerTiming;

const realTiming: LimiterTiming = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

function parseRecord(text: string | undefined): CloudTrailRecord | undefined {
  if (!text) return undefined;
  try {
    const parsed = CloudTrailRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const cloudTrailIn = (scope: AccountScope) => clientFor('cloudtrail', (config) => new CloudTrailClient(config), scope);

/**
 * The CloudTrail port against AWS: one LookupEvents page (management events only, newest first,
 * 50 a page) for one lookup attribute over [startTime, endTime], in the incident's account and
 * Region. Each event's `CloudTrailEvent` JSON is parsed as a CloudTrailRecord; an event that does
 * not parse is skipped and counted in a warning, never thrown. Calls through one port are held to
 * LookupEvents' 2 requests a second per account and Region (across invocations of a warm Lambda
 * container; the task paces its own calls too); the SDK retries any throttling that other callers
 * cause, and a ThrottlingException that outlasts those retries is AwsThrottling, which the state
 * machine retries. The other errors LookupEvents names (InvalidLookupAttributesException,
 * InvalidTimeRangeException, InvalidNextTokenException…) are AwsServiceError, not retried.
 */
export function awsCloudTrailPort(timing: LimiterTiming = realTiming): CloudTrailPort {
  const limit = rateLimiter(LOOKUP_EVENTS_PER_SECOND, timing);
  return {
    lookupEvents: async ({ attribute, startTime, endTime, nextToken, ...scope }) => {
      await limit(`${scope.accountId}|${scope.region ?? ''}`);
      const page = await callAws('cloudtrail:LookupEvents', () =>
        cloudTrailIn(scope).send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: attribute.key, AttributeValue: attribute.value }],
            StartTime: new Date(startTime),
            EndTime: new Date(endTime),
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
        ),
      );
      const events = page.Events ?? [];
      const records = events
        .map((event) => parseRecord(event.CloudTrailEvent))
        .filter((record) => record !== undefined);
      const skipped = events.length - records.length;
      if (skipped > 0) log.warn('skipped CloudTrail events that do not parse', { skipped, accountId: scope.accountId });
      return { records, nextToken: page.NextToken || undefined };
    },
  };
}
