import { isIP } from 'node:net';
import { isAnonymous } from '../shared/queries/data-events-summary.js';
import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import {
  bucketOrUndefined,
  type Detection,
  findingIdFor,
  parameter,
  recordAccount,
  recordKey,
  succeeded,
  toIncident,
} from './detection.js';
import type { NewTermsStore } from './new-terms.js';

/** The calls seed 003 watches (`ListObjectsV2` is how CloudTrail names most bucket listings). */
export const ANONYMOUS_EVENTS = [
  'GetObject',
  'PutObject',
  'ListObjects',
  'ListObjectsV2',
  'DeleteObject',
  'ListBucket',
] as const;

const SEVERITY = 5;
/** MITRE technique per call (seed 003): reading, listing, deleting. */
const TECHNIQUES: Record<string, string> = {
  GetObject: 'T1530 Data from Cloud Storage',
  PutObject: 'T1530 Data from Cloud Storage',
  ListObjects: 'T1619 Cloud Storage Object Discovery',
  ListObjectsV2: 'T1619 Cloud Storage Object Discovery',
  ListBucket: 'T1619 Cloud Storage Object Discovery',
  DeleteObject: 'T1485 Data Destruction',
};

/** The new-terms key: one term per account, call and source address (seed 003: "for that API"). */
export function anonymousTermKey(record: CloudTrailRecord): string | undefined {
  const ip = record.sourceIPAddress;
  if (!ip || isIP(ip) === 0) return undefined;
  return `anonymous#${recordAccount(record) ?? 'unknown'}#${record.eventName}#${ip}`;
}

/** A successful anonymous call of one of the watched kinds on S3: what the rule looks at further. */
export function anonymousCall(record: CloudTrailRecord): boolean {
  if (record.eventSource !== 's3.amazonaws.com' || !succeeded(record)) return false;
  return (ANONYMOUS_EVENTS as readonly string[]).includes(record.eventName) && isAnonymous(record);
}

/**
 * Unauthenticated access by a rare source (seed 003, a new-terms rule): an anonymous principal
 * (`AWSAccount`/`anonymous`, or `ANONYMOUS_PRINCIPAL`) successfully calls GetObject, PutObject,
 * ListObjects(V2), DeleteObject or ListBucket from an address not seen making that call in the last
 * seven days. `newTerms` holds the addresses seen; it fires once per address, call and window.
 */
export async function anonymousRareSource(
  record: CloudTrailRecord,
  newTerms: NewTermsStore,
): Promise<Detection | undefined> {
  if (!anonymousCall(record)) return undefined;
  const key = anonymousTermKey(record);
  const at = new Date(record.eventTime);
  if (!key || Number.isNaN(at.getTime())) return undefined;
  const claim = recordKey(record);
  if (!(await newTerms.seen(key, at, claim))) return undefined;
  const bucket = bucketOrUndefined(parameter(record, 'bucketName'));
  const objectKey = parameter(record, 'key');
  const target = bucket ? `${bucket}${objectKey ? `/${objectKey}` : ''}` : 'a bucket';
  return {
    rule: 'anonymous-rare-source',
    incident: toIncident({
      rule: 'anonymous-rare-source',
      findingId: findingIdFor('anonymous-rare-source', claim),
      severity: SEVERITY,
      accountId: recordAccount(record),
      region: record.awsRegion,
      principal: { type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' },
      buckets: [bucket],
      sourceIps: [record.sourceIPAddress],
      firstSeen: record.eventTime,
      title: `${TECHNIQUES[record.eventName]}: unauthenticated ${record.eventName} on ${target} from ${record.sourceIPAddress}, not seen in the last 7 days`,
    }),
  };
}
