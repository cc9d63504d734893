import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  alarmStateChange,
  apiCallEvent,
  type CopySpec,
  copyEvent,
  replicationEvent,
} from '../../examples/src/detection-records.js';
import { type Identity, random, s3DataEvent } from '../../examples/src/records.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import type { startDynalite } from '../../local/dynalite.js';

export const HOME = '123456789012';
export const ATTACKER = '444455556666';
export const PARTNER = '210987654321';
export const REGION = 'us-east-1';
export const CLI = '[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/command#s3.cp]';

export const jane: Identity = {
  type: 'IAMUser',
  account: HOME,
  principalId: 'AIDA3EXAMPLEJANE0001',
  arn: `arn:aws:iam::${HOME}:user/engineering/developer-jane`,
  accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
  userName: 'developer-jane',
};
export const etl: Identity = {
  type: 'AssumedRole',
  account: HOME,
  principalId: 'AROA3EXAMPLEETLROLE1:i-0f1e2d3c4b5a69788',
  arn: `arn:aws:sts::${HOME}:assumed-role/etl-pipeline/i-0f1e2d3c4b5a69788`,
  accessKeyId: 'ASIA3EXAMPLESESSN123',
  roleArn: `arn:aws:iam::${HOME}:role/service-role/etl-pipeline`,
  roleName: 'etl-pipeline',
  sessionCreated: '2026-03-01T11:02:00Z',
};
export const anonymous: Identity = { type: 'AWSAccount', account: HOME, principalId: 'anonymous' };

const next = random(8);

/** A cross-account CopyObject by jane from customer-records to the attacker's bucket (overridable). */
/** The bucket and start of the simulated anonymous floods. */
export const FLOOD_BUCKET = 'customer-records';
export const FLOOD_T0 = Date.parse('2026-02-23T04:15:31Z');

/** A bucket policy as the flood tests read it: each statement's Sid and source addresses. */
export type FloodPolicy = { Statement: { Sid?: string; Condition?: { IpAddress?: { 'aws:SourceIp': string[] } } }[] };

/** An anonymous GetObject on the flood's bucket from `ip`, `seconds` after its start, as EventBridge delivers the CloudTrail record. */
export function anonymousGet(ip: string, seconds: number, next: () => number): Record<string, unknown> {
  const record = s3DataEvent(
    {
      identity: anonymous,
      eventName: 'GetObject',
      eventTime: new Date(FLOOD_T0 + seconds * 1000).toISOString().replace('.000Z', 'Z'),
      bucket: FLOOD_BUCKET,
      key: `exports/customers-${String(seconds).padStart(5, '0')}.csv.gz`,
      sourceIp: ip,
      userAgent: '[python-requests/2.31.0]',
      region: REGION,
      bytesOut: 52_000,
    },
    next,
  );
  return apiCallEvent(record, next);
}

export function copy(overrides: Partial<CopySpec> = {}): CloudTrailRecord {
  return copyEvent(
    {
      identity: jane,
      eventTime: '2026-03-04T02:10:00Z',
      source: { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME },
      destination: { bucket: 'exfil-drop-4444', key: 'customers-0001.csv.gz', account: ATTACKER },
      sourceIp: '198.51.100.23',
      userAgent: CLI,
      region: REGION,
      ...overrides,
    },
    next,
  ) as CloudTrailRecord;
}

export function replication(destinationAccount?: string): CloudTrailRecord {
  return replicationEvent(
    {
      identity: jane,
      eventTime: '2026-03-04T02:00:00Z',
      bucket: 'customer-records',
      destinationBucket: 'partner-intake',
      destinationAccount,
      sourceIp: '198.51.100.23',
      region: REGION,
    },
    next,
  ) as CloudTrailRecord;
}

/** An S3 data event (GetObject by default) by `identity` from `ip` at `eventTime`. */
export function dataEvent(
  spec: { identity?: Identity; eventName?: string; ip?: string; eventTime?: string; key?: string } = {},
): CloudTrailRecord {
  const eventName = spec.eventName ?? 'GetObject';
  return s3DataEvent(
    {
      identity: spec.identity ?? anonymous,
      eventName,
      eventTime: spec.eventTime ?? '2026-03-04T02:10:00Z',
      bucket: 'public-assets',
      key: eventName.startsWith('List') ? undefined : (spec.key ?? 'reports/q1.pdf'),
      sourceIp: spec.ip ?? '203.0.113.50',
      userAgent: '[python-requests/2.31.0]',
      region: REGION,
      bytesOut: 52_000,
    },
    next,
  ) as CloudTrailRecord;
}

export function bulkAlarm(overrides: Partial<Parameters<typeof alarmStateChange>[0]> = {}): Record<string, unknown> {
  return alarmStateChange({
    account: HOME,
    region: REGION,
    alarmName: 'S3ExfilResponder-BulkDownload-S3ExfilResponder',
    namespace: 'S3ExfilResponder',
    metricName: 'GetObjectRequests',
    value: 'ALARM',
    timestamp: '2026-03-04T03:05:12.431Z',
    datapoint: 1532,
    threshold: 1000,
    eventId: 'c4e5d6f7-1a2b-4c3d-9e8f-0a1b2c3d4e5f',
    ...overrides,
  });
}

/** Creates the new-terms table as the stack defines it (key `pk`, on demand). */
export async function createNewTermsTable(
  dynamo: Awaited<ReturnType<typeof startDynalite>>,
  tableName: string,
): Promise<void> {
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
