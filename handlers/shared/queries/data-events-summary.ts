import type { DataEventsQuery, DataEventsSummary } from '../ports.js';
import type { CloudTrailRecord } from '../schemas/cloudtrail.js';

const TOP = 10;
const COPY_EVENTS = new Set(['CopyObject', 'UploadPartCopy']);

/** True for an unauthenticated caller as CloudTrail records one. */
export function isAnonymous(record: CloudTrailRecord): boolean {
  const identity = record.userIdentity;
  return (
    identity?.principalId === 'ANONYMOUS_PRINCIPAL' ||
    (identity?.type === 'AWSAccount' && (identity.accountId === 'anonymous' || identity.principalId === 'anonymous'))
  );
}

function matchesPrincipal(record: CloudTrailRecord, query: DataEventsQuery): boolean {
  const identity = record.userIdentity;
  if (
    query.principalArn &&
    (identity?.arn === query.principalArn || identity?.sessionContext?.sessionIssuer?.arn === query.principalArn)
  ) {
    return true;
  }
  if (query.accessKeyId && identity?.accessKeyId === query.accessKeyId) return true;
  if (query.sourceIps?.length && isAnonymous(record)) return query.sourceIps.includes(record.sourceIPAddress ?? '');
  return false;
}

function bucketOf(record: CloudTrailRecord): string | undefined {
  const name = record.requestParameters?.bucketName;
  return typeof name === 'string' ? name : undefined;
}

function touchesBuckets(record: CloudTrailRecord, buckets: readonly string[]): boolean {
  if (buckets.length === 0) return true;
  const bucket = bucketOf(record);
  if (bucket && buckets.includes(bucket)) return true;
  return (record.resources ?? []).some((resource) => buckets.some((name) => s3ArnBucket(resource.ARN) === name));
}

/** The length of a `bytes=first-last` copy range; 0 when there is none or it does not parse. */
export function rangeBytes(range: unknown): number {
  const match = typeof range === 'string' ? /^bytes=(\d+)-(\d+)$/.exec(range.trim()) : null;
  if (!match) return 0;
  const length = Number(match[2]) - Number(match[1]) + 1;
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

/** The bucket of an S3 bucket or object ARN in any partition (`arn:aws-cn:s3:::name/key` → `name`). */
function s3ArnBucket(arn: string | undefined): string | undefined {
  return arn ? /^arn:[a-z-]+:s3:::([^/]+)(?:\/|$)/.exec(arn)?.[1] : undefined;
}

function number(value: unknown): number {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0;
  return Number.isFinite(parsed) ? parsed : 0;
}

function top(counts: Map<string, number>): { key: string; count: number }[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP)
    .map(([key, count]) => ({ key, count }));
}

const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/**
 * What the principal did to the buckets, from S3 data events: the same figures the Athena queries
 * compute in AWS (requests, successful GetObjects, bytes out, time window, top source IPs and user
 * agents, copies into other accounts).
 */
export function summarizeDataEvents(records: readonly CloudTrailRecord[], query: DataEventsQuery): DataEventsSummary {
  const start = Date.parse(query.startTime);
  const end = Date.parse(query.endTime);
  const selected = records.filter((record) => {
    const at = Date.parse(record.eventTime);
    return (
      record.eventSource === 's3.amazonaws.com' &&
      at >= start &&
      at <= end &&
      matchesPrincipal(record, query) &&
      touchesBuckets(record, query.buckets)
    );
  });
  const byBucket = new Map<string, { objects: number; bytes: number }>();
  const byEvent = new Map<string, number>();
  const ips = new Map<string, number>();
  const agents = new Map<string, number>();
  const copies = new Map<
    string,
    { destinationBucket: string; destinationAccount?: string; count: number; objects: number; bytes: number }
  >();
  const uploads = new Set<string>();
  let objectsRead = 0;
  let bytesOut = 0;
  let first: string | undefined;
  let last: string | undefined;
  for (const record of selected) {
    bump(byEvent, record.eventName);
    if (record.sourceIPAddress) bump(ips, record.sourceIPAddress);
    if (record.userAgent) bump(agents, record.userAgent);
    if (!first || record.eventTime < first) first = record.eventTime;
    if (!last || record.eventTime > last) last = record.eventTime;
    if (record.errorCode) continue;
    const bucket = bucketOf(record) ?? 'unknown';
    const bytes = number(record.additionalEventData?.bytesTransferredOut);
    const entry = byBucket.get(bucket) ?? { objects: 0, bytes: 0 };
    if (record.eventName === 'GetObject') {
      objectsRead += 1;
      bytesOut += bytes;
      entry.objects += 1;
      entry.bytes += bytes;
      byBucket.set(bucket, entry);
    }
    if (COPY_EVENTS.has(record.eventName)) {
      const destination = bucketOf(record);
      const account = (record.resources ?? []).find(
        (resource) => resource.type === 'AWS::S3::Bucket' && s3ArnBucket(resource.ARN) === destination,
      )?.accountId;
      if (destination && account && account !== record.recipientAccountId) {
        const copy = copies.get(destination) ?? {
          destinationBucket: destination,
          destinationAccount: account,
          count: 0,
          objects: 0,
          bytes: 0,
        };
        copy.count += 1;
        // A multipart copy is one object however many parts; its bytes are the parts' ranges.
        const uploadId = record.requestParameters?.uploadId;
        const upload = `${destination}|${typeof uploadId === 'string' ? uploadId : record.eventID}`;
        if (record.eventName === 'CopyObject' || !uploads.has(upload)) copy.objects += 1;
        if (record.eventName === 'UploadPartCopy') uploads.add(upload);
        copy.bytes += rangeBytes(record.requestParameters?.['x-amz-copy-source-range']);
        copies.set(destination, copy);
      }
    }
  }
  return {
    requests: selected.length,
    objectsRead,
    bytesOut,
    firstEventTime: first,
    lastEventTime: last,
    byBucket: [...byBucket.entries()]
      .map(([bucket, entry]) => ({ bucket, ...entry }))
      .sort((a, b) => b.objects - a.objects),
    byEventName: top(byEvent).map(({ key, count }) => ({ eventName: key, count })),
    sourceIps: top(ips).map(({ key, count }) => ({ ip: key, count })),
    userAgents: top(agents).map(({ key, count }) => ({ userAgent: key, count })),
    crossAccountCopies: [...copies.values()],
  };
}
