import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import {
  accountOrUndefined,
  bucketAccount,
  bucketOrUndefined,
  type DetectConfig,
  type Detection,
  findingIdFor,
  parameter,
  recordAccount,
  recordKey,
  succeeded,
  toIncident,
} from './detection.js';
import { principalFromIdentity } from './identity.js';

/** Object copies and replication set-ups: the calls that move data to another bucket (T1537). */
export const COPY_EVENTS = ['CopyObject', 'UploadPartCopy'] as const;
export const REPLICATION_EVENTS = ['PutBucketReplication', 'PutBucketReplicationConfiguration'] as const;
export const CROSS_ACCOUNT_COPY_EVENTS = [...COPY_EVENTS, ...REPLICATION_EVENTS] as const;

const SEVERITY = 8;
/** A destination we cannot attribute to an account is reported, at medium severity, not dropped. */
const SEVERITY_UNKNOWN_ACCOUNT = 5;
const TECHNIQUE = 'T1537';

interface Destination {
  readonly bucket?: string;
  /** The destination's account; undefined when the record does not say. */
  readonly account?: string;
}

/** `source-bucket/key?versionId=…` (optionally URL-encoded, optionally with a leading `/`) → the bucket. */
export function copySourceBucket(copySource: string | undefined): string | undefined {
  if (!copySource) return undefined;
  let text = copySource;
  try {
    text = decodeURIComponent(copySource);
  } catch {
    // Not URL-encoded: read it as it is.
  }
  return bucketOrUndefined(text.replace(/^\//, '').split('/')[0]);
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/** Each replication rule's destination (`Destination.Account`, else unknown: bucket ARNs carry no account). */
function replicationDestinations(record: CloudTrailRecord): Destination[] {
  const configuration = record.requestParameters?.ReplicationConfiguration as { Rule?: unknown } | undefined;
  return asArray(configuration?.Rule).map((rule) => {
    const destination = (rule as { Destination?: { Bucket?: unknown; Account?: unknown } } | null)?.Destination;
    const arn = typeof destination?.Bucket === 'string' ? destination.Bucket : undefined;
    return {
      bucket: bucketOrUndefined(arn?.replace(/^arn:aws[a-z-]*:s3:::/, '')),
      account: accountOrUndefined(destination?.Account),
    };
  });
}

/** The copy's destination: `bucketName`, with its owner from `resources[]`; without a name, any foreign bucket. */
function copyDestinations(record: CloudTrailRecord, home: string): Destination[] {
  const bucket = bucketOrUndefined(parameter(record, 'bucketName'));
  if (bucket) return [{ bucket, account: bucketAccount(record, bucket) }];
  const foreign = (record.resources ?? []).filter(
    (entry) => entry.type === 'AWS::S3::Bucket' && accountOrUndefined(entry.accountId) !== home,
  );
  return foreign.map((entry) => ({
    bucket: bucketOrUndefined(entry.ARN?.replace(/^arn:aws[a-z-]*:s3:::/, '')),
    account: accountOrUndefined(entry.accountId),
  }));
}

function describe(record: CloudTrailRecord, destination: Destination, source: string | undefined): string {
  const target = destination.bucket ? `bucket ${destination.bucket}` : 'a bucket';
  const owner = destination.account
    ? `in untrusted account ${destination.account}`
    : '(destination account unknown: the record names no owner)';
  const what = record.eventName.startsWith('PutBucketReplication')
    ? `${record.eventName} set ${source ?? 'a bucket'} to replicate to`
    : `${record.eventName} copied ${source ? `from ${source} ` : ''}to`;
  return `${TECHNIQUE} Transfer Data to Cloud Account: ${what} ${target} ${owner}`;
}

/**
 * Cross-account copy (MITRE T1537, seed 001): a successful CopyObject, UploadPartCopy or
 * PutBucketReplication whose destination account is neither the record's account
 * (`recipientAccountId`) nor a trusted one. The destination account comes from `resources[]`
 * (copies) or each rule's `Destination.Account` (replication). A destination whose account the
 * record does not give fires at medium severity with that said in the title, rather than being
 * dropped. All parts of one multipart copy share a finding id (the `uploadId`), so they make one
 * incident.
 */
export function crossAccountCopy(record: CloudTrailRecord, config: DetectConfig): Detection | undefined {
  if (record.eventSource !== 's3.amazonaws.com' || !succeeded(record)) return undefined;
  const replication = (REPLICATION_EVENTS as readonly string[]).includes(record.eventName);
  if (!replication && !(COPY_EVENTS as readonly string[]).includes(record.eventName)) return undefined;
  const home = recordAccount(record);
  const source = replication
    ? bucketOrUndefined(parameter(record, 'bucketName'))
    : copySourceBucket(parameter(record, 'x-amz-copy-source'));
  const destinations = replication ? replicationDestinations(record) : copyDestinations(record, home ?? '');
  const outside = destinations.filter(
    (destination) =>
      destination.account === undefined ||
      (destination.account !== home && !config.trustedAccounts.includes(destination.account)),
  );
  if (outside.length === 0) return undefined;
  // In-place copies (same bucket) never leave the account, whatever the record says about owners.
  const leaving = outside.filter((destination) => !(destination.bucket && destination.bucket === source));
  const destination = leaving.find((entry) => entry.account !== undefined) ?? leaving[0];
  if (!destination) return undefined;
  const uploadId = record.eventName === 'UploadPartCopy' ? parameter(record, 'uploadId') : undefined;
  return {
    rule: 'cross-account-copy',
    incident: toIncident({
      rule: 'cross-account-copy',
      findingId: findingIdFor('cross-account-copy', uploadId ? `upload:${uploadId}` : recordKey(record)),
      severity: destination.account ? SEVERITY : SEVERITY_UNKNOWN_ACCOUNT,
      accountId: home,
      region: record.awsRegion,
      principal: principalFromIdentity(record),
      buckets: [source],
      sourceIps: [record.sourceIPAddress],
      firstSeen: record.eventTime,
      title: describe(record, destination, source),
    }),
  };
}
