import type { Persistence } from './persistence.js';
import type { Unavailable } from './task-input.js';

/** What collect-management-events returns: the principal's CloudTrail management events around the incident. */

export type LookupAttributeKey = 'AccessKeyId' | 'Username';

/** A notable management event of the principal. The report reads eventTime, eventName, sourceIp, errorCode. */
export interface ManagementEvent {
  readonly eventTime: string;
  readonly eventName: string;
  readonly eventSource?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly eventId?: string;
  /** The access key the call was signed with. */
  readonly accessKeyId?: string;
  /** Signed with the finding's access key (not another key or session of the same identity). */
  readonly byAccessKey: boolean;
  /** Which lookups returned it (both when the key and the user name found it). */
  readonly attributes: LookupAttributeKey[];
  /** What it acted on, from its request parameters: a user, role, bucket, trail or detector. */
  readonly target?: string;
}

/** One lookup attribute's pages in one Region: how many were read, and whether the bound cut it short. */
export type LookupSummary = {
  readonly attribute: LookupAttributeKey;
  readonly value: string;
  readonly region: string;
  readonly pages: number;
  readonly records: number;
} & ({ readonly status: 'ok'; readonly truncated: boolean } | Unavailable);

export interface ManagementEvents {
  readonly status: 'ok';
  readonly window: { startTime: string; endTime: string };
  readonly lookups: LookupSummary[];
  /** Distinct events of the principal (after merging the lookups). */
  readonly total: number;
  /** Events both lookups returned, counted once in `total`. */
  readonly duplicates: number;
  /** Events the user-name lookup returned that another identity of the same name made; left out. */
  readonly otherIdentities: number;
  /** A lookup stopped at MAX_PAGES_PER_LOOKUP with more pages left. */
  readonly truncated: boolean;
  /** The principal's events by name, most frequent first (at most 25 names). */
  readonly byEventName: { eventName: string; count: number }[];
  /** Notable events, oldest first (at most MAX_NOTABLE; `notableOmitted` counts the rest). */
  readonly notable: ManagementEvent[];
  readonly notableOmitted: number;
  /**
   * The footholds the compromised credentials left: keys they created (each its own plan item to
   * deactivate) and console passwords, users, roles and policy changes (named with what to do).
   */
  readonly persistence: Persistence;
  readonly notes: string[];
}
