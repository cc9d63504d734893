import { task } from '../shared/define-task.js';
import { RETRYABLE_ERRORS } from '../shared/errors.js';
import { taskPacer } from '../shared/pacer.js';
import type { Clock, CloudTrailPort, Timer } from '../shared/ports.js';
import { principalOfType } from '../shared/render/words.js';
import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import type { Principal } from '../shared/schemas/incident.js';
import type {
  LookupAttributeKey,
  LookupSummary,
  ManagementEvent,
  ManagementEvents,
} from '../shared/schemas/management-events.js';
import { PERSISTENCE_EVENTS, type Persistence, persistenceOf } from '../shared/schemas/persistence.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

/** Management events that matter after a credential leak: new keys, policy and logging changes. */
export const NOTABLE_EVENTS = new Set([
  ...PERSISTENCE_EVENTS,
  'CreateAccessKey',
  'UpdateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'CreateUser',
  'AttachUserPolicy',
  'PutUserPolicy',
  'AttachRolePolicy',
  'PutRolePolicy',
  'UpdateAssumeRolePolicy',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketAcl',
  'PutBucketReplication',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutBucketVersioning',
  'DeleteTrail',
  'StopLogging',
  'UpdateTrail',
  'PutEventSelectors',
  'DeleteDetector',
  'DisassociateFromMasterAccount',
]);

/** The window starts this long before the finding's first activity and ends now. */
export const LOOKBACK_HOURS = 72;
/** Pages of 50 read per lookup attribute at most; more is reported as `truncated`. */
export const MAX_PAGES_PER_LOOKUP = 10;
/** LookupEvents allows two requests a second per account and Region. */
export const LOOKUPS_PER_SECOND = 2;
/** LookupEvents keeps 90 days; a StartTime before that is InvalidTimeRangeException. */
const RETENTION_MS = 90 * 24 * 3600_000;
/** A margin inside the 90 days, so the start is still inside it when CloudTrail checks it. */
const RETENTION_MARGIN_MS = 3600_000;
/** At most this many notable events are returned (the state machine's payload is bounded). */
export const MAX_NOTABLE = 100;
const TOP_EVENT_NAMES = 25;

export type { LookupAttributeKey, LookupSummary, ManagementEvent, ManagementEvents };

interface Lookup {
  readonly key: LookupAttributeKey;
  readonly value: string;
}

/**
 * CloudTrail LookupEvents for the principal over [firstSeen − 72 h, now]: by the finding's access
 * key AND by the user name CloudTrail records, merged and deduplicated by eventID. Each lookup is
 * paginated up to MAX_PAGES_PER_LOOKUP pages of 50, and every call is paced at ≤ 2 a second with
 * the task's clock and timer. A lookup that fails degrades on its own; when every lookup fails the
 * task fails (and the flow marks the source unavailable); throttling and timeouts are rethrown so
 * the state machine retries the task.
 */
export const collectManagementEvents = task({
  name: 'collectManagementEvents',
  input: IncidentTaskInput,
  async run(
    { incident },
    ports: { cloudtrail: CloudTrailPort; clock: Clock; timer: Timer },
  ): Promise<ManagementEvents> {
    const now = ports.clock.now().getTime();
    const wanted = Date.parse(incident.firstSeen) - LOOKBACK_HOURS * 3600_000;
    const oldest = now - RETENTION_MS + RETENTION_MARGIN_MS;
    const window = {
      startTime: new Date(Math.max(wanted, oldest)).toISOString(),
      endTime: new Date(now).toISOString(),
    };
    const notes: string[] = [];
    if (wanted < oldest) notes.push(`CloudTrail event history keeps 90 days: the window starts at ${window.startTime}`);
    const lookups = lookupsFor(incident.principal);
    if (lookups.length === 0)
      notes.push(`no access key or user name to look up for ${principalOfType(incident.principal.type)}`);
    if (lookups.length === 0 || window.startTime >= window.endTime) {
      if (lookups.length > 0) notes.push('the window is empty (the activity is older than CloudTrail event history)');
      return empty(window, notes);
    }

    // The identity's own account: a same-named user or role of another account is someone else.
    const principalAccount = incident.principal.accountId ?? incident.accountId;
    const pace = taskPacer(ports, LOOKUPS_PER_SECOND);
    const summaries: LookupSummary[] = [];
    const found = new Map<string, { record: CloudTrailRecord; attributes: LookupAttributeKey[] }>();
    let duplicates = 0;
    let otherIdentities = 0;
    let firstFailure: Error | undefined;
    for (const region of lookupRegions(incident.region)) {
      for (const lookup of lookups) {
        let pages = 0;
        let records = 0;
        let nextToken: string | undefined;
        let failure: Error | undefined;
        try {
          do {
            await pace(region);
            const page = await ports.cloudtrail.lookupEvents({
              accountId: incident.accountId,
              region,
              attribute: lookup,
              startTime: window.startTime,
              endTime: window.endTime,
              nextToken,
            });
            pages += 1;
            records += page.records.length;
            for (const record of page.records) {
              if (lookup.key === 'Username' && !sameIdentity(record, incident.principal, principalAccount)) {
                otherIdentities += 1;
                continue;
              }
              const id = eventKey(record);
              const seen = found.get(id);
              if (!seen) found.set(id, { record, attributes: [lookup.key] });
              else if (!seen.attributes.includes(lookup.key)) {
                seen.attributes.push(lookup.key);
                duplicates += 1;
              }
            }
            nextToken = page.nextToken;
          } while (nextToken && pages < MAX_PAGES_PER_LOOKUP);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        const base = { attribute: lookup.key, value: lookup.value, region, pages, records };
        if (failure) {
          // Transient: the state machine retries the whole task (every lookup is a read).
          if ((RETRYABLE_ERRORS as readonly string[]).includes(failure.name)) throw failure;
          firstFailure ??= failure;
          summaries.push({ ...base, status: 'unavailable', reason: failure.message, error: failure.name });
          notes.push(`the ${lookup.key} lookup in ${region} failed after ${pages} page(s): ${failure.message}`);
        } else {
          summaries.push({ ...base, status: 'ok', truncated: Boolean(nextToken) });
        }
      }
    }
    // Nothing at all could be read: fail, so the flow reports the source as unavailable and why.
    if (firstFailure && found.size === 0 && summaries.every((summary) => summary.status === 'unavailable')) {
      throw firstFailure;
    }

    const events = [...found.values()].sort((a, b) => a.record.eventTime.localeCompare(b.record.eventTime));
    const counts = new Map<string, number>();
    for (const { record } of events) counts.set(record.eventName, (counts.get(record.eventName) ?? 0) + 1);
    const notable = events
      .filter(({ record }) => NOTABLE_EVENTS.has(record.eventName))
      .map(({ record, attributes }) => toEvent(record, attributes, incident.principal.accessKeyId));
    if (otherIdentities > 0) {
      notes.push(
        `${otherIdentities} event(s) recorded under the same user name by another identity were left out (review them in CloudTrail)`,
      );
    }
    const truncated = summaries.some((summary) => summary.status === 'ok' && summary.truncated);
    if (truncated) notes.push(`a lookup stopped after ${MAX_PAGES_PER_LOOKUP} pages with more events left`);
    return {
      status: 'ok',
      window,
      lookups: summaries,
      total: events.length,
      duplicates,
      otherIdentities,
      truncated,
      byEventName: [...counts.entries()]
        .map(([eventName, count]) => ({ eventName, count }))
        .sort((a, b) => b.count - a.count || a.eventName.localeCompare(b.eventName))
        .slice(0, TOP_EVENT_NAMES),
      notable: notable.slice(0, MAX_NOTABLE),
      notableOmitted: Math.max(0, notable.length - MAX_NOTABLE),
      persistence: attackerFootholds(events, incident.principal.accessKeyId, notes),
      notes,
    };
  },
});

/**
 * The Regions whose event history holds the incident's management events: its own, and the one
 * where the partition's global services (IAM, STS's global endpoint, CloudFront) record theirs
 * (us-east-1 since 2021-11-22; the first Region of the China and GovCloud partitions).
 */
export function lookupRegions(region: string): string[] {
  const global = region.startsWith('cn-') ? 'cn-north-1' : region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1';
  return region === global ? [region] : [region, global];
}

/**
 * The footholds among the principal's events that the compromised credentials made: calls signed
 * with the finding's key, or with a key those calls created (followed in time order). Without a key
 * in the finding, every event of the principal counts. Other credentials of the same identity are
 * left to the report's event list: their owner may be innocent.
 */
function attackerFootholds(
  events: readonly { record: CloudTrailRecord }[],
  findingKey: string | undefined,
  notes: string[],
): Persistence {
  const attackerKeys = new Set(findingKey ? [findingKey] : []);
  const records: CloudTrailRecord[] = [];
  for (const { record } of events) {
    const key = record.userIdentity?.accessKeyId;
    if (findingKey && !(key && attackerKeys.has(key))) continue;
    records.push(record);
    const created = persistenceOf([record]).createdKeys[0];
    if (created) attackerKeys.add(created.accessKeyId);
  }
  const { omitted, ...persistence } = persistenceOf(records);
  if (omitted > 0) notes.push(`${omitted} more foothold(s) left out of the list (review them in CloudTrail)`);
  return persistence;
}

/**
 * The lookups for a principal: its access key, and the name CloudTrail records as the event's user
 * name. For an IAM user that is the user name. For an assumed role CloudTrail's `Username` is the
 * role SESSION name (event history shows `my-session-name` for `assumed-role/my-role/my-session-name`),
 * not the role name, so the session name is looked up: it finds the session's other credentials
 * (an instance's rotated keys, a renewed SSO session) that the key alone would miss. Looking up the
 * role name would match only identities that happen to be called that.
 */
export function lookupsFor(principal: Principal): Lookup[] {
  const lookups: Lookup[] = [];
  if (principal.accessKeyId) lookups.push({ key: 'AccessKeyId', value: principal.accessKeyId });
  const username =
    principal.type === 'AssumedRole'
      ? (principal.sessionName ?? sessionNameOf(principal.arn))
      : principal.type === 'IAMUser' || principal.type === 'FederatedUser'
        ? principal.userName
        : undefined;
  if (username) lookups.push({ key: 'Username', value: username });
  return lookups;
}

const sessionNameOf = (arn: string | undefined) =>
  arn && /:assumed-role\/[^/]+\/[^/]+$/.test(arn) ? arn.split('/').at(-1) : undefined;

/**
 * Whether a record the user-name lookup found was made by the principal itself: same account (when
 * the record names one), and the same user, role or federated user.
 */
function sameIdentity(record: CloudTrailRecord, principal: Principal, accountId: string): boolean {
  const identity = record.userIdentity;
  if (!identity) return false;
  if (identity.accountId !== undefined && identity.accountId !== accountId) return false;
  if (principal.accessKeyId && identity.accessKeyId === principal.accessKeyId) return true;
  if (principal.type === 'IAMUser') return identity.type === 'IAMUser' && identity.userName === principal.userName;
  if (principal.type === 'AssumedRole') {
    const issuer = identity.sessionContext?.sessionIssuer;
    const role = issuer?.userName ?? issuer?.arn?.split('/').at(-1);
    return identity.type === 'AssumedRole' && role !== undefined && role === principal.userName;
  }
  if (principal.type === 'FederatedUser') {
    return (
      identity.type === 'FederatedUser' && identity.arn?.endsWith(`:federated-user/${principal.userName}`) === true
    );
  }
  return true;
}

/** The event's identity: its eventID, or (for a record without one) what identifies the call. */
function eventKey(record: CloudTrailRecord): string {
  return record.eventID ?? [record.eventSource, record.eventName, record.eventTime, record.requestID ?? ''].join('|');
}

const TARGET_FIELDS = ['userName', 'roleName', 'bucketName', 'name', 'trailName', 'detectorId'] as const;

function toEvent(
  record: CloudTrailRecord,
  attributes: LookupAttributeKey[],
  findingKey: string | undefined,
): ManagementEvent {
  const parameters = record.requestParameters ?? {};
  const target = TARGET_FIELDS.map((field) => parameters[field]).find((value) => typeof value === 'string');
  const accessKeyId = record.userIdentity?.accessKeyId || undefined;
  return {
    eventTime: record.eventTime,
    eventName: record.eventName,
    eventSource: record.eventSource,
    sourceIp: record.sourceIPAddress,
    userAgent: record.userAgent,
    errorCode: record.errorCode,
    eventId: record.eventID,
    accessKeyId,
    byAccessKey: findingKey !== undefined && accessKeyId === findingKey,
    attributes: [...attributes],
    target: target as string | undefined,
  };
}

function empty(window: ManagementEvents['window'], notes: string[]): ManagementEvents {
  return {
    status: 'ok',
    window,
    lookups: [],
    total: 0,
    duplicates: 0,
    otherIdentities: 0,
    truncated: false,
    byEventName: [],
    notable: [],
    notableOmitted: 0,
    persistence: { createdKeys: [], changes: [] },
    notes,
  };
}
