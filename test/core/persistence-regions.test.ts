import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectManagementEvents, lookupRegions } from '../../handlers/collect-management-events/core.js';
import { planContainment } from '../../handlers/plan-containment/core.js';
import { restrictVpcEndpoint } from '../../handlers/restrict-vpc-endpoint/core.js';
import { revokeRoleSessions } from '../../handlers/revoke-role-sessions/core.js';
import { rollbackIncident } from '../../handlers/rollback-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { statementSid } from '../../handlers/shared/ids.js';
import { endpointDenyStatements } from '../../handlers/shared/policy/statements.js';
import { buildDataEventQueries } from '../../handlers/shared/queries/data-events-sql.js';
import { rangeBytes, summarizeDataEvents } from '../../handlers/shared/queries/data-events-summary.js';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import type { Principal } from '../../handlers/shared/schemas/incident.js';
import { persistenceOf } from '../../handlers/shared/schemas/persistence.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { SimClock } from '../../local/clock.js';
import { parseScenario } from '../../local/scenario.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const ACCOUNT = '123456789012';
const STOLEN = 'AKIA3EXAMPLEJNE7WXYZ';
const OWNERS_OTHER_KEY = 'AKIA3EXAMPLEJNEOWN01';
const ATTACKER_IP = '198.51.100.23';
const NOW = '2026-02-23T04:20:00.000Z';
const INCIDENT_ID = '20260223-00000000a13b';

const jane = (accessKeyId: string) => ({
  type: 'IAMUser',
  principalId: 'AIDA3EXAMPLEJANE0001',
  arn: `arn:aws:iam::${ACCOUNT}:user/developer-jane`,
  accountId: ACCOUNT,
  accessKeyId,
  userName: 'developer-jane',
});

let sequence = 0;
/** A management event as CloudTrail writes it (fields and order of the CloudTrail user guide's IAM examples). */
function record(
  identity: ReturnType<typeof jane> | Record<string, unknown>,
  eventName: string,
  eventTime: string,
  awsRegion: string,
  requestParameters: Record<string, unknown> | null,
  extra: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  sequence += 1;
  const id = sequence.toString(16).padStart(12, '0');
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime,
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion,
    sourceIPAddress: ATTACKER_IP,
    userAgent: 'aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6',
    requestParameters,
    responseElements: null,
    requestID: `6f4c3e8a-0b1d-4e2f-9a7b-${id}`,
    eventID: `d2b1c0a9-8e7f-4a6b-9c5d-${id}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'iam.amazonaws.com',
    },
    ...extra,
  } as CloudTrailRecord;
}

/** `CreateAccessKey` as IAM records it: the new key (and its user) in `responseElements.accessKey`. */
function createAccessKey(
  signedWith: string,
  forUser: string | undefined,
  newKey: string,
  at: string,
  region = 'us-east-1',
) {
  return record(jane(signedWith), 'CreateAccessKey', at, region, forUser ? { userName: forUser } : null, {
    responseElements: {
      accessKey: {
        accessKeyId: newKey,
        status: 'Active',
        userName: forUser ?? 'developer-jane',
        createDate: 'Feb 23, 2026 2:52:48 AM',
      },
    },
  });
}

const janePrincipal: Principal = {
  type: 'IAMUser',
  userName: 'developer-jane',
  accessKeyId: STOLEN,
  arn: `arn:aws:iam::${ACCOUNT}:user/developer-jane`,
  principalId: 'AIDA3EXAMPLEJANE0001',
};

function incident(region: string, principal: Principal = janePrincipal) {
  return {
    source: 'guardduty' as const,
    findingId: 'f0c8a2b1d3e4f5a6b7c8d9e0f1a2b3c4',
    findingType: 'Exfiltration:S3/AnomalousBehavior',
    severity: 8,
    accountId: ACCOUNT,
    region,
    principal,
    buckets: ['customer-records'],
    sourceIps: [ATTACKER_IP],
    firstSeen: '2026-02-23T03:00:00Z',
    lastSeen: '2026-02-23T04:00:00Z',
    count: 1,
    partition: 'aws',
  };
}

function world(region: string, managementEvents: CloudTrailRecord[]) {
  return account(
    parseScenario({
      account: ACCOUNT,
      region,
      iam: {
        users: [
          {
            userName: 'developer-jane',
            arn: `arn:aws:iam::${ACCOUNT}:user/developer-jane`,
            accessKeys: [{ accessKeyId: STOLEN }, { accessKeyId: OWNERS_OTHER_KEY }],
          },
          {
            userName: 'svc-backup',
            arn: `arn:aws:iam::${ACCOUNT}:user/svc-backup`,
            accessKeys: [{ accessKeyId: 'AKIA3EXAMPLEBACKUP99' }],
          },
        ],
      },
      cloudtrail: { managementEvents },
      events: [{}],
    }),
  );
}

function timing() {
  const clock = new SimClock(new Date(NOW));
  return { clock, timer: { sleep: async (ms: number) => clock.advance(ms) } };
}

describe('management events across Regions', () => {
  it('an incident in eu-west-1 still finds the CreateAccessKey IAM recorded in us-east-1', async () => {
    const created = createAccessKey(STOLEN, 'svc-backup', 'AKIA3EXAMPLEBACKUP99', '2026-02-23T02:52:48Z');
    const { account: acct } = world('eu-west-1', [created]);

    const result = await runTask(
      collectManagementEvents,
      { incidentId: INCIDENT_ID, settings: testSettings(), incident: incident('eu-west-1') },
      { cloudtrail: acct.cloudtrail, ...timing() },
    );

    expect(result.notable.map((event) => event.eventName)).toEqual(['CreateAccessKey']);
    expect(result.persistence.createdKeys).toEqual([
      {
        userName: 'svc-backup',
        accessKeyId: 'AKIA3EXAMPLEBACKUP99',
        eventTime: '2026-02-23T02:52:48Z',
        sourceIp: ATTACKER_IP,
        eventId: created.eventID,
        createdWith: STOLEN,
      },
    ]);
    expect(result.lookups.map((lookup) => `${lookup.region}:${lookup.attribute}`)).toEqual([
      'eu-west-1:AccessKeyId',
      'eu-west-1:Username',
      'us-east-1:AccessKeyId',
      'us-east-1:Username',
    ]);
  });

  it('the in-memory event history answers only for the Region asked, as LookupEvents does', async () => {
    const inFrankfurt = record(jane(STOLEN), 'PutUserPolicy', '2026-02-23T02:00:00Z', 'eu-central-1', {
      userName: 'developer-jane',
      policyName: 'x',
    });
    const { account: acct } = world('eu-west-1', [inFrankfurt]);
    const ask = (region: string) =>
      acct.cloudtrail.lookupEvents({
        accountId: ACCOUNT,
        region,
        attribute: { key: 'AccessKeyId', value: STOLEN },
        startTime: '2026-02-20T00:00:00Z',
        endTime: NOW,
      });

    expect((await ask('eu-central-1')).records).toHaveLength(1);
    expect((await ask('us-east-1')).records).toHaveLength(0);
    expect((await ask('eu-west-1')).records).toHaveLength(0);
  });

  it('merges an event both Regions return once, by event id, and paces each Region at 2 requests a second', async () => {
    const created = createAccessKey(STOLEN, 'svc-backup', 'AKIA3EXAMPLEBACKUP99', '2026-02-23T02:52:48Z');
    const { clock, timer } = timing();
    const calls: { region?: string; at: number }[] = [];
    const port = {
      lookupEvents: async (args: { region?: string }) => {
        calls.push({ region: args.region, at: clock.now().getTime() });
        return { records: [created] };
      },
    };

    const result = await runTask(
      collectManagementEvents,
      { incidentId: INCIDENT_ID, settings: testSettings(), incident: incident('ap-southeast-2') },
      { cloudtrail: port, clock, timer },
    );

    expect(result.total).toBe(1);
    expect(result.persistence.createdKeys).toHaveLength(1);
    for (const region of ['ap-southeast-2', 'us-east-1']) {
      const times = calls.filter((call) => call.region === region).map((call) => call.at);
      expect(times).toHaveLength(2);
      expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(500);
    }
  });

  it('the global Region is the partition’s own', () => {
    expect(lookupRegions('us-east-1')).toEqual(['us-east-1']);
    expect(lookupRegions('eu-west-1')).toEqual(['eu-west-1', 'us-east-1']);
    expect(lookupRegions('cn-northwest-1')).toEqual(['cn-northwest-1', 'cn-north-1']);
    expect(lookupRegions('us-gov-east-1')).toEqual(['us-gov-east-1', 'us-gov-west-1']);
  });
});

describe('persistence left by the compromised credentials', () => {
  it('names created keys, console passwords and policy changes; a failed call left nothing', () => {
    const records = [
      createAccessKey(STOLEN, 'svc-backup', 'AKIA3EXAMPLEBACKUP99', '2026-02-23T02:52:48Z'),
      createAccessKey(STOLEN, undefined, 'AKIA3EXAMPLEJNENEW01', '2026-02-23T02:53:00Z'),
      record(
        jane(STOLEN),
        'CreateAccessKey',
        '2026-02-23T02:54:00Z',
        'us-east-1',
        { userName: 'root-ops' },
        {
          errorCode: 'LimitExceededException',
          errorMessage: 'Cannot exceed quota for AccessKeysPerUser: 2',
        },
      ),
      record(jane(STOLEN), 'CreateLoginProfile', '2026-02-23T02:55:00Z', 'us-east-1', {
        userName: 'svc-backup',
        passwordResetRequired: false,
      }),
      record(jane(STOLEN), 'AttachRolePolicy', '2026-02-23T02:56:00Z', 'us-east-1', {
        roleName: 'etl-pipeline',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    ];

    const found = persistenceOf(records);

    expect(found.createdKeys.map(({ userName, accessKeyId }) => `${userName}/${accessKeyId}`)).toEqual([
      'svc-backup/AKIA3EXAMPLEBACKUP99',
      'developer-jane/AKIA3EXAMPLEJNENEW01',
    ]);
    expect(found.changes).toEqual([
      expect.objectContaining({
        eventName: 'CreateLoginProfile',
        target: 'user/svc-backup',
        remedy: expect.stringContaining('DeleteLoginProfile'),
      }),
      expect.objectContaining({
        eventName: 'AttachRolePolicy',
        target: 'role/etl-pipeline',
        remedy: expect.stringContaining('Detach arn:aws:iam::aws:policy/AdministratorAccess from role etl-pipeline'),
      }),
    ]);
  });

  it('counts keys made with the stolen key or a key it made, not those the owner made with another key', async () => {
    const records = [
      createAccessKey(STOLEN, undefined, 'AKIA3EXAMPLEJNENEW01', '2026-02-23T02:50:00Z'),
      createAccessKey('AKIA3EXAMPLEJNENEW01', 'svc-backup', 'AKIA3EXAMPLEBACKUP99', '2026-02-23T02:52:48Z'),
      createAccessKey(OWNERS_OTHER_KEY, 'svc-build', 'AKIA3EXAMPLEBUILD001', '2026-02-23T03:10:00Z'),
    ];
    const { account: acct } = world('us-east-1', records);

    const result = await runTask(
      collectManagementEvents,
      { incidentId: INCIDENT_ID, settings: testSettings(), incident: incident('us-east-1') },
      { cloudtrail: acct.cloudtrail, ...timing() },
    );

    expect(result.notable).toHaveLength(3);
    expect(result.persistence.createdKeys.map((key) => key.accessKeyId)).toEqual([
      'AKIA3EXAMPLEJNENEW01',
      'AKIA3EXAMPLEBACKUP99',
    ]);
  });
});

describe('the identity the user-name lookup finds', () => {
  it('a same-named user of another account is someone else: none of our user’s events or keys are counted', async () => {
    const ours = createAccessKey(OWNERS_OTHER_KEY, 'svc-backup', 'AKIA3EXAMPLEBACKUP99', '2026-02-23T02:52:48Z');
    const { account: acct } = world('us-east-1', [ours]);
    const caller: Principal = {
      type: 'IAMUser',
      userName: 'developer-jane',
      accountId: '444455556666',
      arn: 'arn:aws:iam::444455556666:user/developer-jane',
    };

    const result = await runTask(
      collectManagementEvents,
      { incidentId: INCIDENT_ID, settings: testSettings(), incident: incident('us-east-1', caller) },
      { cloudtrail: acct.cloudtrail, ...timing() },
    );

    expect(result.notable).toEqual([]);
    expect(result.persistence.createdKeys).toEqual([]);
  });
});

describe('planning for a leaked long-term key', () => {
  const plan = (principal: Principal, createdKeys: unknown[] = []) =>
    runTask(
      planContainment,
      {
        incidentId: INCIDENT_ID,
        settings: testSettings(),
        incident: incident('us-east-1', principal),
        enrichment: { collectManagementEvents: { status: 'ok', persistence: { createdKeys, changes: [] } } },
        contain: ['deactivateAccessKey', 'revokeRoleSessions'],
      },
      { s3: world('us-east-1', []).account.s3, ec2: world('us-east-1', []).account.ec2 },
    );

  it('offers the key, the sessions minted from it and each key the credentials created, each its own item', async () => {
    const result = await plan(janePrincipal, [
      {
        userName: 'svc-backup',
        accessKeyId: 'AKIA3EXAMPLEBACKUP99',
        eventTime: '2026-02-23T02:52:48Z',
        sourceIp: ATTACKER_IP,
        createdWith: STOLEN,
      },
      { userName: 'developer-jane', accessKeyId: STOLEN, eventTime: '2026-02-23T02:00:00Z' },
    ]);

    expect(result.items.map((item) => item.id)).toEqual([
      `deactivateAccessKey:${STOLEN}`,
      'deactivateAccessKey:AKIA3EXAMPLEBACKUP99',
      'revokeUserSessions:user/developer-jane',
    ]);
    const created = result.items[1];
    expect(created).toMatchObject({
      action: 'deactivateAccessKey',
      userName: 'svc-backup',
      accessKeyId: 'AKIA3EXAMPLEBACKUP99',
    });
    expect(created?.summary).toContain(`2026-02-23T02:52:48Z from ${ATTACKER_IP}`);
    const sessions = result.items[2];
    expect(sessions).toMatchObject({
      principalKind: 'user',
      name: 'developer-jane',
      policyName: 'AWSRevokeOlderSessions',
      limit: 2048,
    });
    expect(sessions?.action === 'revokeUserSessions' && sessions.size).toBeLessThan(300);
    expect(sessions?.summary).toMatch(/GetSessionToken\/GetFederationToken/);
    expect(sessions?.summary.split('\n')).toHaveLength(1);
  });

  it('without the finding’s key, keys the user’s credentials created are named for review, not planned', async () => {
    const { accessKeyId: _key, ...keyless } = janePrincipal;

    const result = await plan(keyless, [
      {
        userName: 'svc-backup',
        accessKeyId: 'AKIA3EXAMPLEBACKUP99',
        eventTime: '2026-02-23T02:52:48Z',
        sourceIp: ATTACKER_IP,
        createdWith: OWNERS_OTHER_KEY,
      },
    ]);

    expect(result.items.map((item) => item.id)).not.toContain('deactivateAccessKey:AKIA3EXAMPLEBACKUP99');
    expect(result.notPlanned).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'deactivateAccessKey',
          target: 'AKIA3EXAMPLEBACKUP99',
          reason: expect.stringMatching(/review it$/),
        }),
      ]),
    );
  });

  it('offers no user-session revocation for a role session', async () => {
    const role: Principal = {
      type: 'AssumedRole',
      userName: 'etl-pipeline',
      accessKeyId: 'ASIA3EXAMPLESESSION1',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/etl-pipeline/i-0abc`,
      sessionIssuer: `arn:aws:iam::${ACCOUNT}:role/etl-pipeline`,
    };

    const result = await plan(role);

    expect(result.items.map((item) => item.action)).toEqual(['revokeRoleSessions']);
  });
});

describe('revokeUserSessions, applied by the revoke-sessions task', () => {
  let store: IncidentStore;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, stop } = await dynaliteStore());
  });
  afterAll(async () => stop());

  it('puts the Deny on the user once, and rollback deletes it', async () => {
    const { account: acct, clock } = world('us-east-1', []);
    const id = '20260223-0000000b13b1';
    await store.createIncident({
      incidentId: id,
      status: 'containing',
      createdAt: NOW,
      updatedAt: NOW,
      executionName: 'e',
      incident: incident('us-east-1'),
      findingIds: ['f0c8a2b1d3e4f5a6b7c8d9e0f1a2b3c4'],
    });
    const item = {
      id: 'revokeUserSessions:user/developer-jane',
      action: 'revokeUserSessions',
      target: 'user/developer-jane',
      accountId: ACCOUNT,
      region: 'us-east-1',
      summary: 's',
      principalKind: 'user',
      name: 'developer-jane',
      policyName: 'AWSRevokeOlderSessions',
      sid: `IR${id.replace('-', '')}RevokeOlderSessions`,
      size: 160,
      limit: 2048,
    };
    const ports = { iam: acct.iam, s3: acct.s3, ec2: acct.ec2, store, clock };

    const first = await runTask(revokeRoleSessions, { item, incidentId: id, settings: testSettings() }, ports);
    const second = await runTask(revokeRoleSessions, { item, incidentId: id, settings: testSettings() }, ports);
    const written = acct.userInline.get('developer-jane')?.get('AWSRevokeOlderSessions');
    const rollback = await runTask(rollbackIncident, { incidentId: id }, ports);

    expect([first.action, first.result, second.result]).toEqual(['revokeUserSessions', 'applied', 'already']);
    expect(JSON.parse(written ?? '{}').Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-02-23T04:20:00Z' } },
      }),
    ]);
    expect(rollback.steps.map((step) => step.result)).toEqual(['applied']);
    expect(acct.userInline.get('developer-jane')?.has('AWSRevokeOlderSessions')).toBe(false);
  });
});

describe('the approval message names the footholds', () => {
  it('names each created key with its user, time and source, and each other change with what to do', () => {
    const message = approvalMessage({
      incidentId: INCIDENT_ID,
      incident: incident('eu-west-1'),
      plan: { items: [], recommendations: [], notPlanned: [] },
      enrichment: {
        collectManagementEvents: {
          status: 'ok',
          total: 3,
          notable: [],
          persistence: {
            createdKeys: [
              {
                userName: 'svc-backup',
                accessKeyId: 'AKIA3EXAMPLEBACKUP99',
                eventTime: '2026-02-23T02:52:48Z',
                sourceIp: ATTACKER_IP,
              },
            ],
            changes: [
              {
                eventName: 'PutRolePolicy',
                eventTime: '2026-02-23T02:56:00Z',
                target: 'role/<!channel>',
                remedy: 'Delete inline policy x of role <!channel> (DeleteRolePolicy) unless expected',
              },
            ],
          },
        },
      },
      nonce: 'n',
      deadline: '2026-02-24T04:20:00Z',
      now: NOW,
    });

    const text = JSON.stringify(message.blocks);
    expect(text).toContain(
      `Key created with these credentials: AKIA...UP99 of IAM user svc-backup, 2026-02-23T02:52:48Z from ${ATTACKER_IP}`,
    );
    expect(text).toContain('PutRolePolicy on role/&lt;!channel&gt;, 2026-02-23T02:56:00Z');
    expect(text).not.toContain('<!channel>');
  });
});

describe('a VPC endpoint outside the scenario Region', () => {
  let store: IncidentStore;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, stop } = await dynaliteStore('endpoint-region'));
  });
  afterAll(async () => stop());

  it('is restricted in its own Region, and rollback removes our statements there', async () => {
    const endpoint = 'vpce-0a1b2c3d4e5f60718';
    const input = parseScenario({
      account: ACCOUNT,
      region: 'us-east-1',
      vpcEndpoints: [{ id: endpoint, serviceName: 'com.amazonaws.eu-west-1.s3', region: 'eu-west-1', policy: null }],
      events: [{}],
    });
    const { account: acct, clock } = account(input);
    const id = '20260223-0000000b13b2';
    await store.createIncident({
      incidentId: id,
      status: 'containing',
      createdAt: NOW,
      updatedAt: NOW,
      executionName: 'e',
      incident: incident('eu-west-1'),
      findingIds: ['f0c8a2b1d3e4f5a6b7c8d9e0f1a2b3c4'],
    });
    const settings = testSettings({ vpcEndpointIds: [endpoint] });
    const item = {
      id: `restrictVpcEndpoint:${endpoint}`,
      action: 'restrictVpcEndpoint',
      target: endpoint,
      accountId: ACCOUNT,
      region: 'eu-west-1',
      summary: 's',
      vpcEndpointId: endpoint,
      statements: endpointDenyStatements({
        sidPrefix: statementSid(id, 'Vpce'),
        principalArns: [`arn:aws:iam::${ACCOUNT}:user/developer-jane`],
        allowedAccounts: [ACCOUNT],
        exemptArns: [...settings.irRoleArns, ...settings.responderRoleArns],
      }),
      sizeBefore: 0,
      sizeAfter: 0,
      limit: 20480,
    };
    const ports = { iam: acct.iam, s3: acct.s3, ec2: acct.ec2, store, clock };
    const sids = () =>
      (JSON.parse(acct.endpointPolicies.get(endpoint) ?? '{}') as { Statement: { Sid?: string }[] }).Statement.map(
        (statement) => statement.Sid,
      );

    const applied = await runTask(restrictVpcEndpoint, { item, incidentId: id, settings }, ports);
    const during = sids();
    const rollback = await runTask(rollbackIncident, { incidentId: id }, ports);

    expect(applied.result).toBe('applied');
    expect(during.filter((sid) => sid?.startsWith('IR'))).toHaveLength(2);
    expect(rollback.steps.map((step) => step.result)).toEqual(['applied']);
    expect(sids().filter((sid) => sid?.startsWith('IR'))).toEqual([]);
    expect(
      await acct.ec2.describeVpcEndpoint({ accountId: ACCOUNT, region: 'us-east-1', vpcEndpointId: endpoint }),
    ).toBeUndefined();
  });
});

describe('a cross-account copy in the data-event summary', () => {
  /** `UploadPartCopy` or `CopyObject` into a bucket of account 999999999999, as S3 data events record it. */
  const copy = (eventName: string, n: number, extra: Record<string, unknown>) =>
    record(
      jane(STOLEN),
      eventName,
      `2026-02-23T03:1${n % 10}:00Z`,
      'us-east-1',
      {
        bucketName: 'attacker-drop',
        key: 'dump/customers.csv',
        Host: 'attacker-drop.s3.us-east-1.amazonaws.com',
        'x-amz-copy-source': 'customer-records/exports/customers.csv',
        ...extra,
      },
      {
        eventSource: 's3.amazonaws.com',
        managementEvent: false,
        eventCategory: 'Data',
        readOnly: false,
        resources: [
          { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::attacker-drop/dump/customers.csv' },
          { accountId: '999999999999', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::attacker-drop' },
          { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::customer-records/exports/customers.csv' },
          { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::customer-records' },
        ],
      },
    );

  it('counts a multipart copy as one object with the bytes of its part ranges, beside the calls', () => {
    const part = 8 * 1024 * 1024;
    const records = [
      ...Array.from({ length: 8 }, (_, index) =>
        copy('UploadPartCopy', index, {
          partNumber: String(index + 1),
          uploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA',
          'x-amz-copy-source-range': `bytes=${index * part}-${(index + 1) * part - 1}`,
        }),
      ),
      copy('CopyObject', 9, {}),
    ];

    const summary = summarizeDataEvents(records, {
      accessKeyId: STOLEN,
      buckets: ['customer-records'],
      startTime: '2026-02-23T00:00:00Z',
      endTime: NOW,
    });

    expect(summary.crossAccountCopies).toEqual([
      { destinationBucket: 'attacker-drop', destinationAccount: '999999999999', count: 9, objects: 2, bytes: 8 * part },
    ]);
    expect(rangeBytes('bytes=0-9')).toBe(10);
    expect(rangeBytes('bytes=9-0')).toBe(0);
  });
});

describe('the partition comes from the incident', () => {
  it('writes AWS-owned bucket ARNs and data-event bucket ARNs in the incident’s partition', () => {
    const [perimeter] = endpointDenyStatements({
      sidPrefix: 'IR20260223b6c8a1f2e3d4Vpce',
      partition: 'aws-cn',
      allowedAccounts: [ACCOUNT],
      exemptArns: [],
    });
    const queries = buildDataEventQueries({
      database: 'security',
      table: 'cloudtrail_logs',
      query: {
        partition: 'aws-us-gov',
        accessKeyId: STOLEN,
        buckets: ['customer-records'],
        startTime: '2026-02-23T00:00:00Z',
        endTime: NOW,
      },
    });

    const owned = (perimeter?.NotResource ?? []) as string[];
    expect(owned.length).toBeGreaterThan(10);
    expect(owned.every((arn) => arn.startsWith('arn:aws-cn:s3:::'))).toBe(true);
    expect(queries[0]?.parameters).toContain("'arn:aws-us-gov:s3:::customer-records'");
    expect(queries.every((query) => !query.sql.includes('arn:aws:'))).toBe(true);
    expect(() =>
      buildDataEventQueries({
        database: 'security',
        table: 'cloudtrail_logs',
        query: { partition: "aws', 'x", buckets: [], startTime: '2026-02-23T00:00:00Z', endTime: NOW },
      }),
    ).toThrow(/query\.partition/);
  });
});
