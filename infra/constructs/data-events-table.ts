import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { AthenaConfig } from '../config.js';
import { CLOUDTRAIL_COLUMNS, CLOUDTRAIL_FORMAT } from './cloudtrail-columns.js';
import type { Evidence } from './evidence.js';

/** Where the created workgroup writes query results, in the evidence bucket. */
export const RESULTS_PREFIX = 'athena-results/';
export const DEFAULT_PROJECTION_START = '2020/01/01';

export interface DataEventsTableProps {
  readonly config: AthenaConfig;
  readonly evidence: Evidence;
  /** The accounts projected when `config.accounts` is unset: this account and the member accounts. */
  readonly accounts: readonly string[];
}

/** What the evidence task is told and granted: the same names, created or adopted. */
export interface DataEventsTarget {
  readonly database: string;
  readonly table: string;
  readonly workgroup: string;
  readonly cloudTrailBucket: string;
  /** Key patterns (IAM resource syntax) of the trail's log objects the table reads. */
  readonly trailKeys: readonly string[];
  readonly maxBytesScanned: number;
  /** The trail's SSE-KMS key, when its log files use one. */
  readonly cloudTrailKmsKeyArn?: string;
  /** Key pattern of the results the created workgroup writes to the evidence bucket; unset when adopted. */
  readonly resultKeys?: string;
}

/** The trail's `S3KeyPrefix` as a key prefix: `''`, or ending in `/`. */
export function trailPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * The CloudTrail table the evidence branch queries, with the workgroup it runs in. With
 * `create: true` it creates the Glue database and table over
 * `s3://<bucket>/<prefix>AWSLogs/[<organizationId>/]<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/`
 * with partition projection over `account`, `region` and `timestamp` (no crawler, no partitions to
 * add), and the Athena workgroup: engine 3, configuration enforced, per-query scan cutoff
 * `maxBytesScanned`, results under `athena-results/` of the evidence bucket encrypted with the
 * evidence key, CloudWatch metrics on. With `create: false` it creates nothing and names the
 * existing database, table and workgroup.
 */
export class DataEventsTable extends Construct {
  readonly target: DataEventsTarget;
  readonly table?: glue.CfnTable;
  readonly workgroup?: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: DataEventsTableProps) {
    super(scope, id);
    const { config, evidence } = props;
    const names = {
      database: config.database,
      table: config.table,
      workgroup: config.workgroup,
      cloudTrailBucket: config.cloudTrailBucket,
      maxBytesScanned: config.maxBytesScanned,
      cloudTrailKmsKeyArn: config.cloudTrailKmsKeyArn,
    };
    if (!config.create) {
      // The table's layout is not ours to know: the whole configured prefix, as before.
      this.target = { ...names, trailKeys: [`${config.cloudTrailPrefix}*`] };
      return;
    }

    const stack = Stack.of(this);
    const accounts = [...new Set(config.accounts ?? props.accounts)];
    const regions = [...new Set(config.regions ?? [stack.region])];
    const logs = `${trailPrefix(config.cloudTrailPrefix)}AWSLogs/${config.organizationId ? `${config.organizationId}/` : ''}`;
    const root = `s3://${config.cloudTrailBucket}/${logs}`;

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: config.database, description: 's3-exfil-responder: CloudTrail events for Athena' },
    });
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: config.database,
      tableInput: {
        name: config.table,
        description: 'CloudTrail events, partition projection over account, region and day (s3-exfil-responder)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: ['account', 'region', 'timestamp'].map((name) => ({ name, type: 'string' })),
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'cloudtrail',
          'projection.enabled': 'true',
          'projection.account.type': 'enum',
          'projection.account.values': accounts.join(','),
          'projection.region.type': 'enum',
          'projection.region.values': regions.join(','),
          'projection.timestamp.type': 'date',
          'projection.timestamp.format': 'yyyy/MM/dd',
          'projection.timestamp.range': `${config.projectionStart ?? DEFAULT_PROJECTION_START},NOW`,
          'projection.timestamp.interval': '1',
          'projection.timestamp.interval.unit': 'DAYS',
          'storage.location.template': `${root}\${account}/CloudTrail/\${region}/\${timestamp}/`,
        },
        storageDescriptor: { columns: CLOUDTRAIL_COLUMNS, location: root, ...CLOUDTRAIL_FORMAT },
      },
    });
    this.table.addResourceDependency(database);

    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: config.workgroup,
      description: 's3-exfil-responder: data-event evidence queries, scan cutoff enforced',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.maxBytesScanned,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: evidence.bucket.s3UrlForObject(RESULTS_PREFIX),
          expectedBucketOwner: stack.account,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: evidence.key.keyArn },
        },
      },
    });

    this.target = {
      ...names,
      trailKeys: accounts.map((account) => `${logs}${account}/CloudTrail/*`),
      resultKeys: `${RESULTS_PREFIX}*`,
    };
  }
}
