import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossAccountCopy as detectCrossAccountCopy } from '../../handlers/detect/cross-account-copy.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import { apiCallEvent, copyEvent } from './detection-records.js';
import { guardDutyEvent, type Identity, managementEvent, random, s3DataEvent } from './records.js';

/**
 * Writes the bundled scenarios (`examples/*.json`) from real-shaped events. Deterministic: the
 * same script writes the same files. Run with `npx tsx examples/src/build-scenarios.ts`.
 */
const out = join(dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The customer-managed KMS key of customer-records (same account): GuardDuty and GetBucketEncryption report it. */
const CUSTOMER_RECORDS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const CLI =
  'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#s3.sync';
const BOTO =
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69';

const baseConfig = {
  trustedAccounts: [],
  irRoleArns: [`arn:aws:iam::${ACCOUNT}:role/IncidentResponder`],
  breakGlassRoleArns: [`arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`],
  vpcEndpointIds: [],
  approvers: ['U024BE7LH'],
  slackChannel: 'C0SECOPS01',
};

const at = (iso: string, seconds: number) =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString().replace('.000Z', 'Z');

function write(name: string, scenario: unknown): void {
  writeFileSync(join(out, name), `${JSON.stringify(scenario, null, 2)}\n`);
}

function compromisedUserKey(): void {
  const next = random(20260223);
  const jane: Identity = {
    type: 'IAMUser',
    account: ACCOUNT,
    principalId: 'AIDA3EXAMPLEJANE0001',
    arn: `arn:aws:iam::${ACCOUNT}:user/engineering/developer-jane`,
    accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
    userName: 'developer-jane',
  };
  const analytics: Identity = {
    type: 'AssumedRole',
    account: ACCOUNT,
    principalId: 'AROA3EXAMPLEANALYTIC:airflow-worker-7',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/analytics-reader/airflow-worker-7`,
    accessKeyId: 'ASIA3EXAMPLEANALYT01',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/analytics-reader`,
    roleName: 'analytics-reader',
    sessionCreated: '2026-02-23T01:00:00Z',
  };
  const attackerIp = '198.51.100.23';
  const start = '2026-02-23T02:47:12Z';
  const end = '2026-02-23T04:12:40Z';
  const span = (Date.parse(end) - Date.parse(start)) / 1000;
  const dataEvents: Record<string, unknown>[] = [];
  const reads = 150;
  for (let index = 0; index < reads; index += 1) {
    const offset = index === reads - 1 ? span : Math.floor((span * index) / reads);
    dataEvents.push(
      s3DataEvent(
        {
          identity: jane,
          eventName: 'GetObject',
          eventTime: at(start, offset),
          bucket: 'customer-records',
          key: `exports/2026/01/customers-${String(index + 1).padStart(4, '0')}.csv.gz`,
          sourceIp: attackerIp,
          userAgent: `[${CLI}]`,
          region: REGION,
          bytesOut: 2_000_000 + Math.floor(next() * 60_000_000),
        },
        next,
      ),
    );
  }
  for (const [index, offset] of [30, 1900, 4100].entries()) {
    dataEvents.push(
      s3DataEvent(
        {
          identity: jane,
          eventName: 'ListObjects',
          eventTime: at(start, offset - 20 - index),
          bucket: 'customer-records',
          sourceIp: attackerIp,
          userAgent: `[${CLI}]`,
          region: REGION,
        },
        next,
      ),
    );
  }
  for (const offset of [600, 2400]) {
    dataEvents.push(
      s3DataEvent(
        {
          identity: jane,
          eventName: 'GetObject',
          eventTime: at(start, offset + 7),
          bucket: 'customer-records',
          key: 'restricted/payroll-2025.xlsx',
          sourceIp: attackerIp,
          userAgent: `[${CLI}]`,
          region: REGION,
          errorCode: 'AccessDenied',
        },
        next,
      ),
    );
  }
  for (let index = 0; index < 20; index += 1) {
    dataEvents.push(
      s3DataEvent(
        {
          identity: analytics,
          eventName: 'GetObject',
          eventTime: at('2026-02-23T01:30:00Z', index * 240),
          bucket: 'customer-records',
          key: `curated/daily/part-${index}.parquet`,
          sourceIp: '10.20.4.17',
          userAgent: `[${BOTO}]`,
          region: REGION,
          bytesOut: 5_000_000,
        },
        next,
      ),
    );
  }
  for (let index = 0; index < 5; index += 1) {
    dataEvents.push(
      s3DataEvent(
        {
          identity: jane,
          eventName: 'GetObject',
          eventTime: at('2026-02-17T15:10:00Z', index * 60),
          bucket: 'customer-records',
          key: `samples/sample-${index}.csv`,
          sourceIp: '203.0.113.10',
          userAgent: `[${CLI}]`,
          region: REGION,
          bytesOut: 20_000,
        },
        next,
      ),
    );
  }
  dataEvents.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));

  const managementEvents = [
    managementEvent(
      {
        identity: jane,
        eventName: 'GetCallerIdentity',
        eventSource: 'sts.amazonaws.com',
        eventTime: '2026-02-23T02:41:05Z',
        sourceIp: attackerIp,
        userAgent: CLI,
        region: REGION,
        requestParameters: null,
        readOnly: true,
      },
      next,
    ),
    managementEvent(
      {
        identity: jane,
        eventName: 'ListBuckets',
        eventSource: 's3.amazonaws.com',
        eventTime: '2026-02-23T02:44:31Z',
        sourceIp: attackerIp,
        userAgent: `[${CLI}]`,
        region: REGION,
        requestParameters: { Host: 's3.us-east-1.amazonaws.com' },
        readOnly: true,
      },
      next,
    ),
    managementEvent(
      {
        identity: jane,
        eventName: 'CreateAccessKey',
        eventSource: 'iam.amazonaws.com',
        eventTime: '2026-02-23T02:52:48Z',
        sourceIp: attackerIp,
        userAgent: CLI,
        region: REGION,
        requestParameters: { userName: 'svc-backup' },
        responseElements: {
          accessKey: {
            accessKeyId: 'AKIA3EXAMPLEBACKUP99',
            status: 'Active',
            userName: 'svc-backup',
            createDate: 'Feb 23, 2026 2:52:48 AM',
          },
        },
      },
      next,
    ),
    managementEvent(
      {
        identity: jane,
        eventName: 'GetBucketPolicy',
        eventSource: 's3.amazonaws.com',
        eventTime: '2026-02-22T16:02:11Z',
        sourceIp: '203.0.113.10',
        userAgent: `[${CLI}]`,
        region: REGION,
        requestParameters: {
          bucketName: 'customer-records',
          Host: 'customer-records.s3.us-east-1.amazonaws.com',
          policy: '',
        },
        readOnly: true,
      },
      next,
    ),
  ];

  const finding = {
    id: 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b',
    type: 'Exfiltration:S3/AnomalousBehavior',
    account: ACCOUNT,
    region: REGION,
    detectorId: '12abc34d567e8fa901bc2d34e56789f0',
    severity: 8,
    title: 'Anomalous S3 data-plane API invocations by IAM user developer-jane',
    description:
      'An IAM entity invoked S3 APIs in a suspicious way: GetObject was invoked by developer-jane from a remote IP address with an unusual request volume and data transfer.',
    count: 1,
    accessKey: {
      accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
      principalId: 'AIDA3EXAMPLEJANE0001',
      userName: 'developer-jane',
      userType: 'IAMUser',
    },
    buckets: [
      {
        name: 'customer-records',
        kmsKeyArn: CUSTOMER_RECORDS_KEY,
        tags: { 'data-classification': 'confidential', owner: 'customer-data-platform' },
        createdAt: 1623353712,
      },
    ],
    api: 'GetObject',
    remoteIp: {
      ip: attackerIp,
      country: 'Netherlands',
      city: 'Amsterdam',
      asn: '64500',
      asnOrg: 'EXAMPLE-HOSTING-AS',
      isp: 'Example Hosting B.V.',
      lat: 52.37,
      lon: 4.89,
    },
    firstSeen: start,
    lastSeen: end,
  };
  const first = guardDutyEvent({
    ...finding,
    eventId: '7bf73129-1428-4cd3-a780-95db273d1602',
    createdAt: '2026-02-23T04:15:31.102Z',
    updatedAt: '2026-02-23T04:15:31.102Z',
  });
  const update = guardDutyEvent({
    ...finding,
    count: 5,
    lastSeen: '2026-02-23T09:58:02Z',
    eventId: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    createdAt: '2026-02-23T04:15:31.102Z',
    updatedAt: '2026-02-23T10:15:31.488Z',
  });

  const seed = {
    name: 'compromised-iam-user-key',
    description:
      "Seed 000's scenario: developer-jane's access key downloads customer-records at 3 AM from a foreign IP. GuardDuty reports it, then reports it again six hours later (same finding id, higher count).",
    account: ACCOUNT,
    region: REGION,
    config: baseConfig,
    iam: {
      users: [
        {
          userName: 'developer-jane',
          arn: jane.arn,
          createDate: '2023-05-02T09:14:00Z',
          mfaDevices: 1,
          loginProfile: { createDate: '2023-05-02T09:20:00Z' },
          accessKeys: [
            {
              accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
              status: 'Active',
              createDate: '2025-03-11T10:02:00Z',
              lastUsedDate: '2026-02-23T04:12:00Z',
              lastUsedService: 's3',
            },
            {
              accessKeyId: 'AKIA3EXAMPLEJNECI001',
              status: 'Active',
              createDate: '2025-09-30T08:00:00Z',
              lastUsedDate: '2026-02-22T18:40:00Z',
              lastUsedService: 'ecr',
            },
          ],
        },
        {
          userName: 'svc-backup',
          arn: `arn:aws:iam::${ACCOUNT}:user/svc-backup`,
          accessKeys: [{ accessKeyId: 'AKIA3EXAMPLEBACKUP99', status: 'Active', createDate: '2026-02-23T02:52:48Z' }],
        },
      ],
      roles: [
        { roleName: 'IncidentResponder', arn: baseConfig.irRoleArns[0] },
        { roleName: 'BreakGlassAdmin', arn: baseConfig.breakGlassRoleArns[0] },
        { roleName: 'analytics-reader', arn: analytics.roleArn },
      ],
    },
    s3: {
      buckets: [
        {
          name: 'customer-records',
          policy: {
            Version: '2012-10-17',
            Id: 'customer-records-policy',
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: ['arn:aws:s3:::customer-records', 'arn:aws:s3:::customer-records/*'],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
              {
                Sid: 'AllowAnalyticsRead',
                Effect: 'Allow',
                Principal: { AWS: analytics.roleArn },
                Action: ['s3:GetObject', 's3:ListBucket'],
                Resource: ['arn:aws:s3:::customer-records', 'arn:aws:s3:::customer-records/*'],
              },
            ],
          },
          publicAccessBlock: {
            blockPublicAcls: true,
            ignorePublicAcls: true,
            blockPublicPolicy: true,
            restrictPublicBuckets: true,
          },
          versioning: { status: 'Enabled' },
          encryption: { algorithm: 'aws:kms', kmsKeyId: CUSTOMER_RECORDS_KEY, bucketKeyEnabled: true },
          tags: { 'data-classification': 'confidential', owner: 'customer-data-platform' },
          macie: { sensitivityScore: 87, classifiableObjectCount: 48210, sensitiveDataTypes: [] },
        },
        { name: 'app-logs-123456789012', policy: null },
      ],
    },
    vpcEndpoints: [],
    cloudtrail: { managementEvents, dataEvents },
    macie: {
      enabled: true,
      findings: [
        macieFinding(
          'customer-records',
          'SensitiveData:S3Object/Personal',
          'High',
          'PERSONAL_INFORMATION',
          ['USA_SOCIAL_SECURITY_NUMBER', 'EMAIL_ADDRESS'],
          'exports/2026/01/customers-0001.csv.gz',
          next,
        ),
        macieFinding(
          'customer-records',
          'SensitiveData:S3Object/Financial',
          'High',
          'FINANCIAL_INFORMATION',
          ['CREDIT_CARD_NUMBER'],
          'exports/2026/01/customers-0042.csv.gz',
          next,
        ),
      ],
    },
    guardduty: { detectorId: finding.detectorId, findings: [] },
    events: [first, update],
    faults: [],
  };
  write('compromised-iam-user-key.json', seed);

  // The same key on another bucket three minutes later, while the first approval is still pending:
  // queued on the incident and asked in its thread right after the first decision.
  const otherBucket = guardDutyEvent({
    ...finding,
    id: 'c7d9b2a3f4e55f6a0b1c2d3e4f5a6b7c',
    title: 'Anomalous S3 data-plane API invocations by IAM user developer-jane',
    buckets: [{ name: 'app-logs-123456789012', tags: {}, createdAt: 1623353712 }],
    eventId: '5d2e8f41-9a3b-4c7d-8e1f-2a3b4c5d6e7f',
    createdAt: '2026-02-23T04:18:31.102Z',
    updatedAt: '2026-02-23T04:18:31.102Z',
  });
  write('bucket-while-pending.json', {
    ...seed,
    name: 'bucket-while-pending',
    description:
      "developer-jane's key on customer-records, then, while that approval is pending, on app-logs-123456789012: the second bucket is queued on the incident and asked for in the same Slack thread right after the first decision.",
    // A sample of the data events keeps this file small; the seed scenario has them all.
    cloudtrail: { ...seed.cloudtrail, dataEvents: seed.cloudtrail.dataEvents.slice(0, 20) },
    events: [first, otherBucket],
    approvalDelayMinutes: 10,
  });
}

function macieFinding(
  bucket: string,
  type: string,
  severity: string,
  category: string,
  types: string[],
  key: string,
  next: () => number,
) {
  return {
    schemaVersion: '1.0',
    id: `${Math.floor(next() * 1e9).toString(16)}a1b2c3d4e5f6`,
    accountId: ACCOUNT,
    partition: 'aws',
    region: REGION,
    type,
    title: `The S3 object contains ${category === 'FINANCIAL_INFORMATION' ? 'financial' : 'personal'} information.`,
    category: 'CLASSIFICATION',
    severity: { description: severity, score: severity === 'High' ? 3 : 2 },
    createdAt: '2026-02-10T06:21:44.512Z',
    updatedAt: '2026-02-10T06:21:44.512Z',
    count: 1,
    archived: false,
    sample: false,
    resourcesAffected: {
      s3Bucket: {
        name: bucket,
        arn: `arn:aws:s3:::${bucket}`,
        owner: { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      },
      s3Object: {
        bucketArn: `arn:aws:s3:::${bucket}`,
        key,
        path: `${bucket}/${key}`,
        extension: 'gz',
        size: 31457280,
        storageClass: 'STANDARD',
      },
    },
    classificationDetails: {
      jobId: '3e0c7f8a1b2c4d5e6f708192a3b4c5d6',
      originType: 'SENSITIVE_DATA_DISCOVERY_JOB',
      result: {
        status: { code: 'COMPLETE' },
        sizeClassified: 31457280,
        mimeType: 'application/gzip',
        sensitiveData: [
          { category, totalCount: 1200, detections: types.map((detection) => ({ type: detection, count: 400 })) },
        ],
      },
    },
  };
}

function assumedRole(): void {
  const next = random(20260301);
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/service-role/etl-pipeline`;
  const session = 'i-0f1e2d3c4b5a69788';
  const stolen: Identity = {
    type: 'AssumedRole',
    account: ACCOUNT,
    principalId: `AROA3EXAMPLEETLROLE1:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/etl-pipeline/${session}`,
    accessKeyId: 'ASIA3EXAMPLESESSN123',
    roleArn,
    roleName: 'etl-pipeline',
    sessionCreated: '2026-03-01T11:02:00Z',
  };
  const attackerIp = '203.0.113.77';
  const start = '2026-03-01T13:05:00Z';
  const dataEvents = Array.from({ length: 80 }, (_, index) =>
    s3DataEvent(
      {
        identity: stolen,
        eventName: 'GetObject',
        eventTime: at(start, index * 45),
        bucket: 'analytics-lake',
        key: `raw/events/2026/02/part-${String(index).padStart(5, '0')}.parquet`,
        sourceIp: attackerIp,
        userAgent: `[${CLI}]`,
        region: REGION,
        bytesOut: 40_000_000 + Math.floor(next() * 20_000_000),
      },
      next,
    ),
  );
  const event = guardDutyEvent({
    id: 'c4f1e2d3a4b54c6d8e9f0a1b2c3d4e5f',
    type: 'Exfiltration:S3/MaliciousIPCaller',
    account: ACCOUNT,
    region: REGION,
    detectorId: '12abc34d567e8fa901bc2d34e56789f0',
    severity: 8,
    title: 'S3 API GetObject invoked from a known malicious IP address',
    description:
      'An API commonly used to collect data from an AWS environment was invoked from an IP address on a threat list, with credentials of the EC2 instance role etl-pipeline.',
    createdAt: '2026-03-01T14:02:10.640Z',
    updatedAt: '2026-03-01T14:02:10.640Z',
    firstSeen: start,
    lastSeen: at(start, 79 * 45),
    count: 1,
    accessKey: {
      accessKeyId: 'ASIA3EXAMPLESESSN123',
      principalId: `AROA3EXAMPLEETLROLE1:${session}`,
      userName: 'etl-pipeline',
      userType: 'AssumedRole',
    },
    buckets: [{ name: 'analytics-lake', createdAt: 1650000000, tags: { 'data-classification': 'internal' } }],
    api: 'GetObject',
    remoteIp: {
      ip: attackerIp,
      country: 'Brazil',
      city: 'Sao Paulo',
      asn: '64511',
      asnOrg: 'EXAMPLE-VPS',
      isp: 'Example VPS Ltda',
      lat: -23.55,
      lon: -46.63,
    },
    eventId: 'a3f5c2e1-7d4b-4e8a-9c1f-2b3d4e5f6a7b',
  });
  write('assumed-role-exfiltration.json', {
    name: 'assumed-role-exfiltration',
    description:
      'Stolen EC2 instance-role session credentials (ASIA…) of etl-pipeline download analytics-lake from a threat-listed IP.',
    account: ACCOUNT,
    region: REGION,
    config: baseConfig,
    iam: {
      users: [],
      roles: [
        { roleName: 'IncidentResponder', arn: baseConfig.irRoleArns[0] },
        { roleName: 'BreakGlassAdmin', arn: baseConfig.breakGlassRoleArns[0] },
        { roleName: 'etl-pipeline', arn: roleArn, path: '/service-role/' },
      ],
    },
    s3: {
      buckets: [
        {
          name: 'analytics-lake',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AllowEtlReadWrite',
                Effect: 'Allow',
                Principal: { AWS: roleArn },
                Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
                Resource: ['arn:aws:s3:::analytics-lake', 'arn:aws:s3:::analytics-lake/*'],
              },
            ],
          },
          publicAccessBlock: {
            blockPublicAcls: true,
            ignorePublicAcls: true,
            blockPublicPolicy: true,
            restrictPublicBuckets: true,
          },
          versioning: { status: 'Enabled' },
          encryption: { algorithm: 'AES256', bucketKeyEnabled: false },
          tags: { 'data-classification': 'internal' },
          // A rule that copies the raw events to another account: an exfiltration path of its own.
          replication: {
            role: `arn:aws:iam::${ACCOUNT}:role/service-role/s3-replication-analytics-lake`,
            rules: [
              {
                id: 'share-raw-events',
                status: 'Enabled',
                priority: 1,
                prefix: 'raw/events/',
                destinationBucket: 'arn:aws:s3:::partner-analytics-intake',
                destinationAccount: '444455556666',
              },
            ],
          },
          macie: { sensitivityScore: 34, classifiableObjectCount: 912004, sensitiveDataTypes: [] },
        },
      ],
    },
    vpcEndpoints: [],
    cloudtrail: { managementEvents: [], dataEvents },
    macie: { enabled: true, findings: [] },
    guardduty: { detectorId: '12abc34d567e8fa901bc2d34e56789f0', findings: [] },
    events: [event],
    faults: [],
  });
}

/**
 * Seed 001 (T1537): a leaked key of raj copies customer-records into a bucket of an account we do
 * not know, object by object and with a multipart copy. A copy into the trusted backup account the
 * same night is normal. The events are the raw CloudTrail records as EventBridge delivers them: the
 * stack's detection rule sends the copies through the detection handler, which starts the playbook.
 */
function crossAccountCopyScenario(): void {
  const next = random(20260304);
  const raj: Identity = {
    type: 'IAMUser',
    account: ACCOUNT,
    principalId: 'AIDA3EXAMPLERAJ00001',
    arn: `arn:aws:iam::${ACCOUNT}:user/data/data-engineer-raj`,
    accessKeyId: 'AKIA3EXAMPLERAJ4COPY',
    userName: 'data-engineer-raj',
  };
  const backup: Identity = {
    type: 'AssumedRole',
    account: ACCOUNT,
    principalId: 'AROA3EXAMPLEBACKUP01:nightly-backup',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/backup-replicator/nightly-backup`,
    accessKeyId: 'ASIA3EXAMPLEBACKUP01',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/backup-replicator`,
    roleName: 'backup-replicator',
    sessionCreated: '2026-03-04T01:00:00Z',
  };
  const trusted = '210987654321';
  const attacker = '444455556666';
  const attackerIp = '198.51.100.77';
  const start = '2026-03-04T02:10:00Z';
  const source = (key: string) => ({ bucket: 'customer-records', key, account: ACCOUNT });
  const dataEvents: Record<string, unknown>[] = [
    copyEvent(
      {
        identity: backup,
        eventTime: '2026-03-04T01:30:00Z',
        source: source('exports/2026/02/customers-daily.csv.gz'),
        destination: {
          bucket: 'dr-backup-210987654321',
          key: 'customer-records/customers-daily.csv.gz',
          account: trusted,
        },
        sourceIp: '10.20.4.31',
        userAgent: `[${BOTO}]`,
        region: REGION,
      },
      next,
    ),
    s3DataEvent(
      {
        identity: raj,
        eventName: 'ListObjects',
        eventTime: at(start, -40),
        bucket: 'customer-records',
        sourceIp: attackerIp,
        userAgent: `[${CLI}]`,
        region: REGION,
      },
      next,
    ),
  ];
  for (let index = 0; index < 5; index += 1) {
    const key = `exports/2026/02/customers-${String(index + 1).padStart(4, '0')}.csv.gz`;
    dataEvents.push(
      copyEvent(
        {
          identity: raj,
          eventTime: at(start, index * 3),
          source: source(key),
          destination: { bucket: 'ext-archive-7731', key, account: attacker },
          sourceIp: attackerIp,
          userAgent: `[${CLI}]`,
          region: REGION,
        },
        next,
      ),
    );
  }
  for (let part = 1; part <= 3; part += 1) {
    dataEvents.push(
      copyEvent(
        {
          identity: raj,
          eventName: 'UploadPartCopy',
          eventTime: at(start, 20 + part),
          source: source('exports/2026/02/customers-full.parquet'),
          destination: { bucket: 'ext-archive-7731', key: 'exports/2026/02/customers-full.parquet', account: attacker },
          sourceIp: attackerIp,
          userAgent: `[${CLI}]`,
          region: REGION,
          uploadId: 'Xk2n9rT0aW5cP8sLq3vB7yHcD1fG4jM6uE0iO2zA',
          partNumber: part,
        },
        next,
      ),
    );
  }
  const first = detectCrossAccountCopy(dataEvents[2] as CloudTrailRecord, { trustedAccounts: [trusted] });
  if (!first) throw new Error('the first cross-account copy must be detected');
  const eventIds = random(20260305);
  write('cross-account-copy.json', {
    name: 'cross-account-copy',
    description:
      "Seed 001 (T1537): data-engineer-raj's leaked key copies customer-records into bucket ext-archive-7731 of untrusted account 444455556666. The events are the raw CloudTrail records as EventBridge delivers them: the cross-account-copy rule sends the copies through our detection, which starts the playbook once and folds the later copies into the open incident; the copy to the trusted backup account fires nothing, and the listing matches no rule.",
    account: ACCOUNT,
    region: REGION,
    config: { ...baseConfig, trustedAccounts: [trusted] },
    iam: {
      users: [
        {
          userName: 'data-engineer-raj',
          arn: raj.arn,
          createDate: '2024-01-15T09:00:00Z',
          mfaDevices: 1,
          accessKeys: [
            {
              accessKeyId: 'AKIA3EXAMPLERAJ4COPY',
              status: 'Active',
              createDate: '2025-06-01T10:00:00Z',
              lastUsedDate: '2026-03-04T02:10:00Z',
              lastUsedService: 's3',
            },
          ],
        },
      ],
      roles: [
        { roleName: 'IncidentResponder', arn: baseConfig.irRoleArns[0] },
        { roleName: 'BreakGlassAdmin', arn: baseConfig.breakGlassRoleArns[0] },
        { roleName: 'backup-replicator', arn: backup.roleArn },
      ],
    },
    s3: {
      buckets: [
        {
          name: 'customer-records',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: ['arn:aws:s3:::customer-records', 'arn:aws:s3:::customer-records/*'],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
          publicAccessBlock: {
            blockPublicAcls: true,
            ignorePublicAcls: true,
            blockPublicPolicy: true,
            restrictPublicBuckets: true,
          },
          versioning: { status: 'Enabled' },
          encryption: { algorithm: 'aws:kms', kmsKeyId: CUSTOMER_RECORDS_KEY, bucketKeyEnabled: true },
          tags: { 'data-classification': 'confidential' },
          macie: {
            sensitivityScore: 87,
            classifiableObjectCount: 48210,
            sensitiveDataTypes: ['USA_SOCIAL_SECURITY_NUMBER'],
          },
        },
      ],
    },
    vpcEndpoints: [],
    cloudtrail: { managementEvents: [], dataEvents },
    macie: { enabled: true, findings: [] },
    guardduty: { findings: [] },
    events: dataEvents.map((record) => apiCallEvent(record, eventIds)),
    faults: [],
  });
}

compromisedUserKey();
assumedRole();
crossAccountCopyScenario();
