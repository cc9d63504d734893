/**
 * Builders for the records our detections read, in the shapes AWS documents: S3 copy data events
 * (seed 001's `resources[]` with both buckets' accounts), PutBucketReplication management events,
 * the EventBridge "AWS API Call via CloudTrail" wrapper, and "CloudWatch Alarm State Change" events.
 */
import { type Identity, random, s3DataEvent, userIdentity, uuid } from './records.js';

export interface CopySpec {
  readonly identity: Identity;
  readonly eventName?: 'CopyObject' | 'UploadPartCopy';
  readonly eventTime: string;
  readonly source: { readonly bucket: string; readonly key: string; readonly account?: string };
  readonly destination: { readonly bucket: string; readonly key: string; readonly account?: string };
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly region: string;
  /** The account whose trail recorded the call. Default: the identity's. */
  readonly recipientAccountId?: string;
  readonly kmsKeyId?: string;
  readonly uploadId?: string;
  readonly partNumber?: number;
  readonly errorCode?: string;
}

/** A CopyObject or UploadPartCopy data event: `bucketName` is the destination, `x-amz-copy-source` the source. */
export function copyEvent(spec: CopySpec, next: () => number): Record<string, unknown> {
  const base = s3DataEvent(
    {
      identity: spec.identity,
      eventName: spec.eventName ?? 'CopyObject',
      eventTime: spec.eventTime,
      bucket: spec.destination.bucket,
      key: spec.destination.key,
      sourceIp: spec.sourceIp,
      userAgent: spec.userAgent,
      region: spec.region,
      errorCode: spec.errorCode,
    },
    next,
  );
  const host = `${spec.destination.bucket}.s3.${spec.region}.amazonaws.com`;
  const requestParameters: Record<string, unknown> = {
    bucketName: spec.destination.bucket,
    Host: host,
    'x-amz-copy-source': `${spec.source.bucket}/${spec.source.key}`,
    key: spec.destination.key,
  };
  if (spec.kmsKeyId) {
    requestParameters['x-amz-server-side-encryption'] = 'aws:kms';
    requestParameters['x-amz-server-side-encryption-aws-kms-key-id'] = spec.kmsKeyId;
  }
  if (spec.uploadId) requestParameters.uploadId = spec.uploadId;
  if (spec.partNumber !== undefined) requestParameters.partNumber = String(spec.partNumber);
  const bucketResource = (bucket: string, account?: string) =>
    account
      ? { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }
      : { type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` };
  return {
    ...base,
    requestParameters,
    responseElements: spec.errorCode
      ? null
      : spec.kmsKeyId
        ? { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': spec.kmsKeyId }
        : { 'x-amz-server-side-encryption': 'AES256' },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.destination.bucket}/${spec.destination.key}` },
      bucketResource(spec.destination.bucket, spec.destination.account),
      bucketResource(spec.source.bucket, spec.source.account),
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.source.bucket}/${spec.source.key}` },
    ],
    recipientAccountId: spec.recipientAccountId ?? spec.identity.account,
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
}

/** A PutBucketReplication management event with one rule to `destinationBucket` (and `Account`, when given). */
export function replicationEvent(
  spec: {
    identity: Identity;
    eventTime: string;
    bucket: string;
    destinationBucket: string;
    destinationAccount?: string;
    sourceIp: string;
    region: string;
  },
  next: () => number,
): Record<string, unknown> {
  const destination: Record<string, unknown> = { Bucket: `arn:aws:s3:::${spec.destinationBucket}` };
  if (spec.destinationAccount) {
    destination.Account = spec.destinationAccount;
    destination.AccessControlTranslation = { Owner: 'Destination' };
  }
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(spec.identity),
    eventTime: spec.eventTime,
    eventSource: 's3.amazonaws.com',
    eventName: 'PutBucketReplication',
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: '[aws-cli/2.15.30 md/command#s3api.put-bucket-replication]',
    requestParameters: {
      replication: '',
      bucketName: spec.bucket,
      Host: `${spec.bucket}.s3.${spec.region}.amazonaws.com`,
      ReplicationConfiguration: {
        xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
        Role: `arn:aws:iam::${spec.identity.account}:role/s3-replication`,
        Rule: {
          ID: 'replicate-all',
          Status: 'Enabled',
          Priority: 1,
          Filter: { Prefix: '' },
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: destination,
        },
      },
    },
    responseElements: null,
    additionalEventData: { SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader', bytesTransferredIn: 0 },
    requestID: uuid(next).replace(/-/g, '').slice(0, 16).toUpperCase(),
    eventID: uuid(next),
    readOnly: false,
    resources: [{ accountId: spec.identity.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${spec.bucket}` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.identity.account,
    eventCategory: 'Management',
  };
}

/** A CloudTrail record as EventBridge delivers it ("AWS API Call via CloudTrail"). */
export function apiCallEvent(record: Record<string, unknown>, next: () => number): Record<string, unknown> {
  return {
    version: '0',
    id: uuid(next),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** A "CloudWatch Alarm State Change" event for an alarm on one metric, as EventBridge delivers it. */
export function alarmStateChange(spec: {
  account: string;
  region: string;
  alarmName: string;
  namespace: string;
  metricName: string;
  dimensions?: Record<string, string>;
  value: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  timestamp: string;
  datapoint: number;
  threshold: number;
  eventId: string;
}): Record<string, unknown> {
  const start = new Date(Date.parse(spec.timestamp) - 3_600_000).toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: spec.eventId,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: spec.account,
    time: spec.timestamp.replace(/\.\d+Z$/, 'Z'),
    region: spec.region,
    resources: [`arn:aws:cloudwatch:${spec.region}:${spec.account}:alarm:${spec.alarmName}`],
    detail: {
      alarmName: spec.alarmName,
      state: {
        value: spec.value,
        reason: `Threshold Crossed: 1 datapoint [${spec.datapoint}.0] was greater than the threshold (${spec.threshold}.0).`,
        reasonData: JSON.stringify({
          version: '1.0',
          queryDate: spec.timestamp.replace('Z', '+0000'),
          startDate: start,
          statistic: 'Sum',
          period: 3600,
          recentDatapoints: [spec.datapoint],
          threshold: spec.threshold,
          evaluatedDatapoints: [{ timestamp: start, sampleCount: spec.datapoint, value: spec.datapoint }],
        }),
        timestamp: spec.timestamp.replace('Z', '+0000'),
      },
      previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: start },
      configuration: {
        description: 'GetObject data events per hour (s3-exfil-responder bulk download)',
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: spec.namespace, name: spec.metricName, dimensions: spec.dimensions ?? {} },
              period: 3600,
              stat: 'Sum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/**
 * `count` real-shaped S3 records, mostly ordinary reads, with a known set of detections among
 * them: every 1000th record a cross-account copy (and one to a trusted account, which must not
 * fire), every 1000th an in-place re-encryption with another account's key, and every 100th an
 * anonymous read from one of 20 addresses (only each address's first read fires). For the `detect`
 * scale test and `npm run bench`.
 */
export function mixedDetectionRecords(
  count: number,
  seed = 20260304,
): { records: Record<string, unknown>[]; trustedAccounts: string[]; expected: Record<string, number> } {
  const next = random(seed);
  const home = '123456789012';
  const trusted = '210987654321';
  const reader: Identity = {
    type: 'IAMUser',
    account: home,
    principalId: 'AIDA3EXAMPLEREADER01',
    arn: `arn:aws:iam::${home}:user/report-reader`,
    accessKeyId: 'AKIA3EXAMPLEREADER01',
    userName: 'report-reader',
  };
  const anonymous: Identity = { type: 'AWSAccount', account: home, principalId: 'anonymous' };
  const time = (index: number) => new Date(Date.UTC(2026, 2, 4) + index * 1000).toISOString().replace('.000Z', 'Z');
  const base = { sourceIp: '10.20.4.17', userAgent: '[Boto3/1.34.69]', region: 'us-east-1' };
  const copyTo = (index: number, account: string, kmsKeyId?: string) =>
    copyEvent(
      {
        ...base,
        identity: reader,
        eventTime: time(index),
        source: { bucket: 'customer-records', key: `exports/part-${index}.csv`, account: home },
        destination: kmsKeyId
          ? { bucket: 'customer-records', key: `exports/part-${index}.csv`, account: home }
          : { bucket: `copy-target-${account}`, key: `part-${index}.csv`, account },
        kmsKeyId,
      },
      next,
    );
  const records: Record<string, unknown>[] = [];
  const expected = { 'cross-account-copy': 0, 'external-kms-copy': 0, 'anonymous-rare-source': 0 };
  const seen = new Set<string>();
  for (let index = 0; index < count; index += 1) {
    if (index % 1000 === 0) {
      records.push(copyTo(index, '444455556666'));
      expected['cross-account-copy'] += 1;
    } else if (index % 1000 === 250) {
      records.push(copyTo(index, trusted));
    } else if (index % 1000 === 500) {
      records.push(copyTo(index, home, 'arn:aws:kms:us-east-1:444455556666:key/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f'));
      expected['external-kms-copy'] += 1;
    } else if (index % 100 === 7) {
      const ip = `203.0.113.${Math.floor(index / 100) % 20}`;
      const spec = { ...base, identity: anonymous, eventName: 'GetObject', eventTime: time(index), sourceIp: ip };
      records.push(s3DataEvent({ ...spec, bucket: 'public-assets', key: `docs/${index}.pdf` }, next));
      if (!seen.has(ip)) expected['anonymous-rare-source'] += 1;
      seen.add(ip);
    } else {
      const spec = { ...base, identity: reader, eventName: 'GetObject', eventTime: time(index), bytesOut: 4096 };
      records.push(s3DataEvent({ ...spec, bucket: 'customer-records', key: `exports/part-${index}.csv` }, next));
    }
  }
  return { records, trustedAccounts: [trusted], expected };
}
