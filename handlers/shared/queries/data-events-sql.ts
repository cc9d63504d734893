import { InvalidTaskInput } from '../errors.js';
import type { DataEventsQuery } from '../ports.js';
import { AccessKeyId, BucketName, IpAddress, PrincipalArn } from '../schemas/primitives.js';

/**
 * The Athena queries over the standard CloudTrail table that compute what `summarizeDataEvents`
 * computes in memory. Every value that comes from a finding (ARNs, key ids, bucket names, IPs,
 * timestamps, partition days) is a `?` placeholder whose value is in `parameters`, in order (Athena
 * `ExecutionParameters`); only validated identifiers and constants are part of the SQL text.
 */
export interface DataEventsSql {
  readonly name: DataEventsQueryName;
  readonly sql: string;
  /** Values for the `?` placeholders, in order, each an Athena string literal (`'…'`, `'` doubled). */
  readonly parameters: string[];
}

export type DataEventsQueryName =
  | 'totals'
  | 'byBucket'
  | 'byEventName'
  | 'sourceIps'
  | 'userAgents'
  | 'crossAccountCopies';

const TASK = 'queryDataEvents';
const TOP = 10;
const IDENTIFIER = /^[a-z0-9_]{1,255}$/;
// Quotes, backslashes, control characters (C0, DEL, C1) and the Unicode line separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /['"\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** An Athena string literal: single quotes around the value, each `'` inside doubled. */
export function athenaString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function invalid(path: string, detail: string): never {
  throw new InvalidTaskInput(TASK, path, detail);
}

function identifier(path: string, value: string): string {
  if (!IDENTIFIER.test(value)) invalid(path, 'must match ^[a-z0-9_]{1,255}$');
  return `"${value}"`;
}

function safe(path: string, value: string, check: (value: string) => boolean, what: string): string {
  if (UNSAFE.test(value)) invalid(path, 'must not contain quotes, backslashes or control characters');
  if (!check(value)) invalid(path, `must be ${what}`);
  return value;
}

function timestamp(path: string, value: string): Date {
  safe(path, value, (v) => ISO_TIME.test(v) && Number.isFinite(Date.parse(v)), 'an ISO 8601 timestamp');
  return new Date(Date.parse(value));
}

/** The `timestamp` partition value ('yyyy/MM/dd', UTC) of an instant. */
export function partitionDay(at: Date): string {
  return at.toISOString().slice(0, 10).replaceAll('-', '/');
}

/**
 * The partition days to scan for [start, end]: from the day of `start` to the day after the day of
 * `end`, both UTC. CloudTrail files a log under the day it delivers it, minutes after the events, so
 * events from just before midnight at the end of the window sit in the next day's prefix.
 */
export function partitionRange(start: Date, end: Date): { first: string; last: string } {
  return { first: partitionDay(start), last: partitionDay(new Date(end.getTime() + DAY_MS)) };
}

interface Where {
  readonly sql: string;
  readonly parameters: string[];
}

const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');

const ANONYMOUS = `(useridentity.principalid = 'ANONYMOUS_PRINCIPAL' OR (useridentity.type = 'AWSAccount' AND (useridentity.accountid = 'anonymous' OR useridentity.principalid = 'anonymous')))`;
const BUCKET_NAME = `json_extract_scalar(requestparameters, '$.bucketName')`;
const NO_ERROR = `coalesce(errorcode, '') = ''`;
const BYTES_OUT = `coalesce(try_cast(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double), 0)`;
const OBJECT_READ = `eventname = 'GetObject' AND ${NO_ERROR}`;

/** The validated WHERE clause shared by every query: partitions, window, principal and buckets. */
function whereClause(query: DataEventsQuery, accountPartition?: string): Where {
  const start = timestamp('query.startTime', query.startTime);
  const end = timestamp('query.endTime', query.endTime);
  if (start.getTime() > end.getTime()) invalid('query.endTime', 'must not be before query.startTime');
  const days = partitionRange(start, end);
  const parameters: string[] = [days.first, days.last, start.toISOString(), end.toISOString()];

  const principal: string[] = [];
  if (query.principalArn) {
    const arn = safe(
      'query.principalArn',
      query.principalArn,
      (v) => PrincipalArn.safeParse(v).success,
      'an IAM/STS principal ARN',
    );
    principal.push('useridentity.arn = ?', 'useridentity.sessioncontext.sessionissuer.arn = ?');
    parameters.push(arn, arn);
  }
  if (query.accessKeyId) {
    const key = safe(
      'query.accessKeyId',
      query.accessKeyId,
      (v) => AccessKeyId.safeParse(v).success,
      'an access key id',
    );
    principal.push('useridentity.accesskeyid = ?');
    parameters.push(key);
  }
  if (query.sourceIps?.length) {
    const ips = query.sourceIps.map((ip, index) =>
      safe(`query.sourceIps.${index}`, ip, (v) => !v.includes('%') && IpAddress.safeParse(v).success, 'an IP address'),
    );
    principal.push(`(${ANONYMOUS} AND sourceipaddress IN (${placeholders(ips.length)}))`);
    parameters.push(...ips);
  }

  const buckets = query.buckets.map((bucket, index) =>
    safe(`query.buckets.${index}`, bucket, (v) => BucketName.safeParse(v).success, 'an S3 bucket name'),
  );
  const conditions = [
    `"timestamp" BETWEEN ? AND ?`,
    `eventsource = 's3.amazonaws.com'`,
    'from_iso8601_timestamp(eventtime) BETWEEN from_iso8601_timestamp(?) AND from_iso8601_timestamp(?)',
    // No principal to match: like the in-memory summary, nothing is selected.
    principal.length > 0 ? `(${principal.join(' OR ')})` : 'FALSE',
  ];
  if (buckets.length > 0) {
    // A resource ARN names the bucket when it is the bucket's ARN or starts with it and '/'.
    conditions.push(
      `(${BUCKET_NAME} IN (${placeholders(buckets.length)}) OR coalesce(arrays_overlap(transform(resources, r -> split_part(r.arn, '/', 1)), ARRAY[${placeholders(buckets.length)}]), false))`,
    );
    const partition = partitionOf(query);
    parameters.push(...buckets, ...buckets.map((bucket) => `arn:${partition}:s3:::${bucket}`));
  }
  if (accountPartition !== undefined) {
    conditions.unshift('account = ?');
    parameters.unshift(safe('accountPartition', accountPartition, (v) => /^\d{12}$/.test(v), 'an AWS account id'));
  }
  return { sql: `WHERE ${conditions.join('\n  AND ')}`, parameters: parameters.map(athenaString) };
}

/** True when the query names no principal: no event can match, so there is nothing to run. */
/** The query's partition, checked to be one (it is written into the SQL text). */
function partitionOf(query: DataEventsQuery): string {
  return safe('query.partition', query.partition ?? 'aws', (v) => /^aws(-[a-z]+)*$/.test(v), 'an AWS partition');
}

export function selectsNothing(query: DataEventsQuery): boolean {
  return !query.principalArn && !query.accessKeyId && !query.sourceIps?.length;
}

/**
 * The six queries (totals, per bucket, per event name, top source IPs, top user agents, copies into
 * other accounts) for the principal and buckets over the window. Throws InvalidTaskInput for an
 * identifier or value that does not validate.
 */
export function buildDataEventQueries(args: {
  database: string;
  table: string;
  query: DataEventsQuery;
  /**
   * The table's `account` partition value to read (the stack's table projects one per account):
   * an organization trail then scans only the finding's account. Unset: no such partition.
   */
  accountPartition?: string;
}): DataEventsSql[] {
  const from = `${identifier('database', args.database)}.${identifier('table', args.table)}`;
  const where = whereClause(args.query, args.accountPartition);
  const q = (name: DataEventsQueryName, sql: string): DataEventsSql => ({
    name,
    sql,
    parameters: [...where.parameters],
  });
  const top = (name: DataEventsQueryName, column: string, alias: string) =>
    q(
      name,
      `SELECT ${column} AS ${alias}, count(*) AS event_count
FROM ${from}
${where.sql}
  AND coalesce(${column}, '') <> ''
GROUP BY ${column}
ORDER BY event_count DESC, ${alias}
LIMIT ${TOP}`,
    );
  return [
    q(
      'totals',
      `SELECT count(*) AS requests,
  min(eventtime) AS first_event_time,
  max(eventtime) AS last_event_time,
  count_if(${OBJECT_READ}) AS objects_read,
  coalesce(sum(CASE WHEN ${OBJECT_READ} THEN ${BYTES_OUT} END), 0) AS bytes_out
FROM ${from}
${where.sql}`,
    ),
    q(
      'byBucket',
      `SELECT coalesce(${BUCKET_NAME}, 'unknown') AS bucket, count(*) AS objects, coalesce(sum(${BYTES_OUT}), 0) AS bytes
FROM ${from}
${where.sql}
  AND ${OBJECT_READ}
GROUP BY coalesce(${BUCKET_NAME}, 'unknown')
ORDER BY objects DESC, bucket`,
    ),
    q(
      'byEventName',
      `SELECT eventname AS event_name, count(*) AS event_count
FROM ${from}
${where.sql}
GROUP BY eventname
ORDER BY event_count DESC, event_name
LIMIT ${TOP}`,
    ),
    top('sourceIps', 'sourceipaddress', 'source_ip'),
    top('userAgents', 'useragent', 'user_agent'),
    q(
      'crossAccountCopies',
      `WITH copies AS (
  SELECT ${BUCKET_NAME} AS destination_bucket, recipientaccountid, resources, eventname, eventid,
    json_extract_scalar(requestparameters, '$.uploadId') AS upload_id,
    regexp_extract(json_extract_scalar(requestparameters, '$["x-amz-copy-source-range"]'), '^bytes=(\\d+)-(\\d+)$') AS copy_range
  FROM ${from}
  ${where.sql}
    AND eventname IN ('CopyObject', 'UploadPartCopy')
    AND ${NO_ERROR}
), resolved AS (
  SELECT destination_bucket, recipientaccountid,
    CASE WHEN eventname = 'UploadPartCopy' THEN coalesce(upload_id, eventid) ELSE eventid END AS copied_object,
    coalesce(try(CAST(regexp_extract(copy_range, '(\\d+)$', 1) AS BIGINT) - CAST(regexp_extract(copy_range, '=(\\d+)', 1) AS BIGINT) + 1), 0) AS range_bytes,
    element_at(filter(resources, r -> r.type = 'AWS::S3::Bucket' AND r.arn = concat('arn:${partitionOf(args.query)}:s3:::', destination_bucket)), 1).accountid AS destination_account
  FROM copies
  WHERE coalesce(destination_bucket, '') <> ''
)
SELECT destination_bucket, min(destination_account) AS destination_account, count(*) AS event_count,
  count(DISTINCT copied_object) AS objects, sum(range_bytes) AS bytes
FROM resolved
WHERE coalesce(destination_account, '') <> '' AND destination_account IS DISTINCT FROM recipientaccountid
GROUP BY destination_bucket
ORDER BY event_count DESC, destination_bucket`,
    ),
  ];
}
