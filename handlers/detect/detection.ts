import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidFinding } from '../shared/errors.js';
import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import { type DetectionRule, FINDING_TYPES } from '../shared/schemas/detection.js';
import { Incident, type Principal } from '../shared/schemas/incident.js';
import { AccountId, BucketName, firstIssue } from '../shared/schemas/primitives.js';

export { type Detection, DetectionRule, FINDING_TYPES } from '../shared/schemas/detection.js';

/** What the detectors need to know about the deployment. */
export interface DetectConfig {
  /** Accounts data may legitimately move to, or whose KMS keys may encrypt our objects. */
  readonly trustedAccounts: readonly string[];
  /** Alarms whose name starts with this are bulk-download alarms. */
  readonly bulkDownloadAlarmPrefix?: string;
}

export const DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX = 'S3ExfilResponder-BulkDownload';

/** A 12-digit account id, or undefined (`anonymous`, a 10-digit example id, absent). */
export function accountOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && AccountId.safeParse(value).success ? value : undefined;
}

/** A valid bucket name, or undefined. */
export function bucketOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && BucketName.safeParse(value).success ? value : undefined;
}

/** The owner account `resources[]` gives for a bucket (`AWS::S3::Bucket` with that ARN). */
export function bucketAccount(record: CloudTrailRecord, bucket: string): string | undefined {
  const resource = (record.resources ?? []).find(
    (entry) => entry.type === 'AWS::S3::Bucket' && entry.ARN?.replace(/^arn:aws[a-z-]*:s3:::/, '') === bucket,
  );
  return accountOrUndefined(resource?.accountId);
}

/** A string request parameter, or undefined. */
export function parameter(record: CloudTrailRecord, name: string): string | undefined {
  const value = record.requestParameters?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The account a record happened in: `recipientAccountId`, else the caller's account. */
export function recordAccount(record: CloudTrailRecord): string | undefined {
  return accountOrUndefined(record.recipientAccountId) ?? accountOrUndefined(record.userIdentity?.accountId);
}

/** True when the call succeeded (CloudTrail sets `errorCode` on a refused or failed call). */
export function succeeded(record: CloudTrailRecord): boolean {
  return record.errorCode === undefined || record.errorCode === '';
}

/**
 * A finding id that is the same every time the same record (or alarm transition) is delivered, so
 * registration dedupes redelivery: `<rule>:<eventID>`, or `<rule>:<sha256 of the key>` when the key
 * is not a plain id.
 */
export function findingIdFor(rule: DetectionRule, key: string): string {
  if (/^[\w-]{1,200}$/.test(key)) return `${rule}:${key}`;
  return `${rule}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** The id key of a record: its `eventID`, else a digest of what identifies the call. */
export function recordKey(record: CloudTrailRecord): string {
  if (record.eventID) return record.eventID;
  const { eventTime, eventName, requestID, sourceIPAddress, requestParameters } = record;
  return JSON.stringify([eventTime, eventName, requestID, sourceIPAddress, requestParameters]);
}

export interface IncidentFields {
  readonly rule: DetectionRule;
  readonly findingId: string;
  readonly severity: number;
  readonly accountId: string | undefined;
  readonly region: string | undefined;
  readonly principal: Principal;
  readonly buckets: readonly (string | undefined)[];
  readonly sourceIps: readonly (string | undefined)[];
  readonly firstSeen: string;
  readonly lastSeen?: string;
  readonly count?: number;
  readonly title: string;
}

function iso(value: string, field: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidFinding(field, 'must be an ISO 8601 timestamp');
  return date.toISOString();
}

/** The incident schema's bound on `title`, in UTF-16 code units. */
const MAX_TITLE = 1024;

/**
 * A title on one line, cut to `MAX_TITLE` code units on a character boundary: it carries an object
 * key the caller chose (up to 1,024 bytes of any UTF-8), and a cut inside a surrogate pair would
 * leave text that is not well-formed for the store, Step Functions and Slack.
 */
function titleLine(title: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const line = title.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  const cut = line.slice(0, MAX_TITLE);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The normalized incident of a detection, validated against the contract. Invalid bucket names and
 * non-IP source addresses (`s3.amazonaws.com` for a service call) are left out; a record that still
 * cannot make a valid incident (no account, no Region) throws `InvalidFinding` naming the field.
 */
export function toIncident(fields: IncidentFields): Incident {
  if (!fields.accountId) throw new InvalidFinding('recipientAccountId', 'is required (a 12-digit account id)');
  if (!fields.region) throw new InvalidFinding('awsRegion', 'is required');
  const firstSeen = iso(fields.firstSeen, 'eventTime');
  const candidate = {
    source: 'detection' as const,
    findingId: fields.findingId,
    findingType: FINDING_TYPES[fields.rule],
    severity: fields.severity,
    accountId: fields.accountId,
    region: fields.region,
    principal: fields.principal,
    buckets: [...new Set(fields.buckets.flatMap((bucket) => (bucket ? [bucket] : [])))],
    sourceIps: [...new Set(fields.sourceIps.flatMap((ip) => (ip && isIP(ip) !== 0 ? [ip] : [])))],
    firstSeen,
    lastSeen: fields.lastSeen ? iso(fields.lastSeen, 'eventTime') : firstSeen,
    count: fields.count ?? 1,
    title: titleLine(fields.title),
  };
  const checked = Incident.safeParse(candidate);
  if (!checked.success) {
    const { path, message } = firstIssue(checked.error);
    throw new InvalidFinding(`(normalized ${path})`, message);
  }
  return checked.data;
}
