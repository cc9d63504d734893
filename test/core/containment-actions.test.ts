import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { restrictVpcEndpoint } from '../../handlers/restrict-vpc-endpoint/core.js';
import { revokeRoleSessions } from '../../handlers/revoke-role-sessions/core.js';
import { rollbackIncident } from '../../handlers/rollback-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { statementSid } from '../../handlers/shared/ids.js';
import { bucketDenyStatement, endpointDenyStatements } from '../../handlers/shared/policy/statements.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { startMacieJob } from '../../handlers/start-macie-job/core.js';
import { guardDutyEvent, scenario } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: IncidentStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('actions-test'));
});
afterAll(async () => stop());

const ENDPOINT = 'vpce-0a1b2c3d4e5f60718';
const settings = testSettings({ vpcEndpointIds: [ENDPOINT] });
const exempt = [...settings.irRoleArns, ...settings.responderRoleArns];
let counter = 0;

async function newIncident(): Promise<string> {
  counter += 1;
  const incidentId = `20260301-${counter.toString(16).padStart(12, '0')}`;
  const incident = normalizeFinding(guardDutyEvent()).incident;
  if (!incident) throw new Error('fixture');
  await store.createIncident({
    incidentId,
    status: 'containing',
    createdAt: 't',
    updatedAt: 't',
    executionName: 'e',
    incident,
    findingIds: [incident.findingId],
  });
  return incidentId;
}

function world() {
  const input = structuredClone(scenario('assumed-role-exfiltration'));
  input.vpcEndpoints = [{ id: ENDPOINT, serviceName: 'com.amazonaws.us-east-1.s3', policy: null }];
  return account(input);
}

const base = { accountId: '123456789012', region: 'us-east-1', summary: 's' };
const revokeItem = (id: string) => ({
  ...base,
  id: 'revokeRoleSessions:etl-pipeline',
  action: 'revokeRoleSessions',
  target: 'etl-pipeline',
  principalKind: 'role',
  name: 'etl-pipeline',
  policyName: 'AWSRevokeOlderSessions',
  sid: statementSid(id, 'RevokeOlderSessions'),
});

describe('revokeRoleSessions', () => {
  it('writes the policy once, backs up "none", and the second run is "already"', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const ports = { iam: acct.iam, store, clock };

    const first = await runTask(revokeRoleSessions, { item: revokeItem(id), incidentId: id, settings }, ports);
    const second = await runTask(revokeRoleSessions, { item: revokeItem(id), incidentId: id, settings }, ports);

    expect([first.result, second.result]).toEqual(['applied', 'already']);
    expect(acct.writes.filter((write) => write.call === 'iam:PutRolePolicy')).toHaveLength(1);
    expect(JSON.parse(acct.roleInline.get('etl-pipeline')?.get('AWSRevokeOlderSessions') ?? '{}')).toMatchObject({
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-02-23T04:20:00Z' } },
        },
      ],
    });
    expect(await store.listUndo(id)).toEqual([
      expect.objectContaining({ kind: 'roleInlinePolicy', target: 'etl-pipeline/AWSRevokeOlderSessions', prior: null }),
    ]);
  });

  it('after a lost update keeps an administrator’s console revoke beside ours with the later cut-off, and rollback removes only our Sid', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    // The console's "Revoke active sessions", written between our write and our re-read: it
    // replaces the whole AWSRevokeOlderSessions document, with a later cut-off than ours.
    const adminRevoke = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-02-23T05:00:00Z' } },
        },
      ],
    };
    let writes = 0;
    const iam = Object.create(acct.iam) as typeof acct.iam;
    iam.putInlinePolicy = async (args) => {
      writes += 1;
      await acct.iam.putInlinePolicy(args);
      if (writes === 1) await acct.iam.putInlinePolicy({ ...args, document: JSON.stringify(adminRevoke) });
    };
    const ports = { iam, store, clock, timer: { sleep: async () => {} } };

    const result = await runTask(revokeRoleSessions, { item: revokeItem(id), incidentId: id, settings }, ports);
    const contained = JSON.parse(acct.roleInline.get('etl-pipeline')?.get('AWSRevokeOlderSessions') ?? '{}');
    const rollback = await runTask(
      rollbackIncident,
      { incidentId: id },
      { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock },
    );

    expect(result.result).toBe('applied');
    expect(writes).toBe(2);
    expect(contained.Statement).toEqual([
      adminRevoke.Statement[0],
      { ...adminRevoke.Statement[0], Sid: statementSid(id, 'RevokeOlderSessions') },
    ]);
    expect(rollback.steps.find((step) => step.kind === 'roleInlinePolicy')?.result).toBe('applied');
    expect(JSON.parse(acct.roleInline.get('etl-pipeline')?.get('AWSRevokeOlderSessions') ?? '{}')).toEqual(adminRevoke);
  });

  it('a renewal for a new credential of the user moves the cut-off forward in place, a retry of it is "already", and rollback removes the statement', async () => {
    const acct = account(structuredClone(scenario('compromised-iam-user-key')));
    const { clock } = acct;
    const id = await newIncident();
    const ports = { iam: acct.account.iam, store, clock };
    const userItem = {
      ...base,
      id: 'revokeUserSessions:user/developer-jane',
      action: 'revokeUserSessions',
      target: 'user/developer-jane',
      principalKind: 'user',
      name: 'developer-jane',
      policyName: 'AWSRevokeOlderSessions',
      sid: statementSid(id, 'RevokeOlderSessions'),
      size: 150,
      limit: 2048,
    };
    const statements = () =>
      JSON.parse(acct.account.userInline.get('developer-jane')?.get('AWSRevokeOlderSessions') ?? '{}').Statement;

    const first = await runTask(revokeRoleSessions, { item: userItem, incidentId: id, settings }, ports);
    clock.advance(30 * 60_000);
    const renewItem = { ...userItem, renew: { after: first.at, cutoff: '2026-02-23T04:20:00Z' } };
    const renewed = await runTask(revokeRoleSessions, { item: renewItem, incidentId: id, settings }, ports);
    const afterRenewal = statements();
    clock.advance(60_000);
    const retried = await runTask(revokeRoleSessions, { item: renewItem, incidentId: id, settings }, ports);
    const rollback = await runTask(
      rollbackIncident,
      { incidentId: id },
      { s3: acct.account.s3, ec2: acct.account.ec2, iam: acct.account.iam, store, clock },
    );

    expect([first.result, renewed.result, retried.result]).toEqual(['applied', 'applied', 'already']);
    expect(renewed.detail).toBe(
      'aws:TokenIssueTime before 2026-02-23T04:50:00Z (moved forward from 2026-02-23T04:20:00Z)',
    );
    expect(afterRenewal).toEqual([
      {
        Sid: statementSid(id, 'RevokeOlderSessions'),
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-02-23T04:50:00Z' } },
      },
    ]);
    expect(acct.account.writes.filter((write) => write.call === 'iam:PutUserPolicy')).toHaveLength(2);
    // The prior saved is the one before our first change (no policy), not the first round's document.
    expect(await store.listUndo(id)).toEqual([
      expect.objectContaining({
        kind: 'userInlinePolicy',
        target: 'developer-jane/AWSRevokeOlderSessions',
        prior: null,
      }),
    ]);
    expect(rollback.steps.find((step) => step.kind === 'userInlinePolicy')?.result).toBe('applied');
    expect(acct.account.userInline.get('developer-jane')?.has('AWSRevokeOlderSessions') ?? false).toBe(false);
  });

  it('refuses a service-linked role (ActionNotApplicable) and writes nothing', async () => {
    const { account: acct, clock } = world();
    acct.roles.set('etl-pipeline', {
      arn: 'arn:aws:iam::123456789012:role/aws-service-role/x/etl-pipeline',
      path: '/aws-service-role/x/',
    });
    const id = await newIncident();

    await expect(
      runTask(revokeRoleSessions, { item: revokeItem(id), incidentId: id, settings }, { iam: acct.iam, store, clock }),
    ).rejects.toMatchObject({
      name: 'ActionNotApplicable',
    });
    expect(acct.writes).toEqual([]);
  });
});

describe('startMacieJob', () => {
  const item = (id: string) => ({
    ...base,
    id: `startMacieJob:${id}`,
    action: 'startMacieJob',
    target: `s3-exfil-responder-${id}`,
    buckets: ['analytics-lake'],
    jobName: `s3-exfil-responder-${id}`,
    clientToken: `${id}-abc`,
  });

  it('creates one job; a re-run gets the same job back and says "already"', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const ports = { macie: acct.macie, store, clock };

    const first = await runTask(startMacieJob, { item: item(id), incidentId: id, settings }, ports);
    const second = await runTask(startMacieJob, { item: item(id), incidentId: id, settings }, ports);

    expect([first.result, second.result]).toEqual(['applied', 'already']);
    expect(first.detail).toBe(second.detail);
    expect(acct.macieJobs).toHaveLength(1);
  });

  it('is skipped with the reason when Macie is off', async () => {
    const input = structuredClone(scenario('assumed-role-exfiltration'));
    input.macie.enabled = false;
    const { account: acct, clock } = account(input);
    const id = await newIncident();

    const result = await runTask(
      startMacieJob,
      { item: item(id), incidentId: id, settings },
      { macie: acct.macie, store, clock },
    );

    expect(result).toMatchObject({ result: 'skipped', detail: expect.stringContaining('Macie is not enabled') });
  });
});

describe('restrictVpcEndpoint', () => {
  const item = (id: string) => {
    const statements = endpointDenyStatements({
      sidPrefix: statementSid(id, 'Vpce'),
      principalArns: ['arn:aws:iam::123456789012:role/service-role/etl-pipeline'],
      allowedAccounts: ['123456789012'],
      exemptArns: exempt,
    });
    return {
      ...base,
      id: `restrictVpcEndpoint:${ENDPOINT}`,
      action: 'restrictVpcEndpoint',
      target: ENDPOINT,
      vpcEndpointId: ENDPOINT,
      statements,
      sizeBefore: 0,
      sizeAfter: 0,
      limit: 20480,
    };
  };

  it('keeps the full-access Allow, adds two statements once, and backs up the prior policy', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const prior = acct.endpointPolicies.get(ENDPOINT);
    const ports = { ec2: acct.ec2, store, clock };

    const first = await runTask(restrictVpcEndpoint, { item: item(id), incidentId: id, settings }, ports);
    const second = await runTask(restrictVpcEndpoint, { item: item(id), incidentId: id, settings }, ports);

    const policy = JSON.parse(acct.endpointPolicies.get(ENDPOINT) ?? '{}') as { Statement: { Effect: string }[] };
    expect([first.result, second.result]).toEqual(['applied', 'already']);
    expect(policy.Statement.map((statement) => statement.Effect)).toEqual(['Allow', 'Deny', 'Deny']);
    expect(await store.listUndo(id)).toEqual([
      expect.objectContaining({ kind: 'vpcEndpointPolicy', target: ENDPOINT, prior }),
    ]);
  });

  it('rollback leaves an endpoint policy holding only our statements as it is, and says so, instead of restoring the stale prior', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const ports = { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock };
    await runTask(restrictVpcEndpoint, { item: item(id), incidentId: id, settings }, ports);
    // Someone removed the full-access Allow since containment.
    const contained = JSON.parse(acct.endpointPolicies.get(ENDPOINT) ?? '{}') as { Statement: { Effect: string }[] };
    const edited = JSON.stringify({
      ...contained,
      Statement: contained.Statement.filter((statement) => statement.Effect === 'Deny'),
    });
    acct.endpointPolicies.set(ENDPOINT, edited);

    const rollback = await runTask(rollbackIncident, { incidentId: id }, ports);

    const step = rollback.steps.find((candidate) => candidate.kind === 'vpcEndpointPolicy');
    expect(step).toMatchObject({
      result: 'failed',
      detail: expect.stringMatching(/changed since containment.*by hand/),
    });
    expect(acct.endpointPolicies.get(ENDPOINT)).toBe(edited);
  });

  it('refuses to leave an endpoint with deny-only statements (UnsafePolicy)', async () => {
    const { account: acct, clock } = world();
    acct.endpointPolicies.set(
      ENDPOINT,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'Locked', Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: '*' }],
      }),
    );
    const id = await newIncident();

    await expect(
      runTask(restrictVpcEndpoint, { item: item(id), incidentId: id, settings }, { ec2: acct.ec2, store, clock }),
    ).rejects.toMatchObject({
      name: 'UnsafePolicy',
    });
    expect(acct.writes).toEqual([]);
  });
});

/** The plan item of a Deny on analytics-lake naming the ETL role, for incident `id`. */
function lakeDenyItem(id: string) {
  const deny = bucketDenyStatement({
    sid: statementSid(id, 'DenyPrincipal'),
    bucket: 'analytics-lake',
    partition: 'aws',
    principalArns: ['arn:aws:iam::123456789012:role/service-role/etl-pipeline'],
    exemptArns: exempt,
  });
  return {
    ...base,
    id: 'denyBucketAccess:analytics-lake',
    action: 'denyBucketAccess',
    target: 'analytics-lake',
    bucket: 'analytics-lake',
    statements: [deny],
    sizeBefore: 0,
    sizeAfter: 0,
    limit: 20480,
  };
}

describe('rollbackIncident', () => {
  it('re-reads the bucket policy right before writing: a statement added meanwhile is kept, Version kept as found', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const item = lakeDenyItem(id);
    const original = JSON.parse(acct.bucketPolicies.get('analytics-lake') ?? '{}') as Record<string, unknown>;
    delete original.Version;
    acct.bucketPolicies.set('analytics-lake', JSON.stringify(original));
    const ports = { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock };
    await runTask(denyBucketAccess, { item, incidentId: id, settings }, ports);
    const later = {
      Sid: 'AddedDuringRollback',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/reporting' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::analytics-lake/*',
    };
    let reads = 0;
    const s3 = Object.create(acct.s3) as typeof acct.s3;
    s3.getBucketPolicy = async (args) => {
      reads += 1;
      const text = await acct.s3.getBucketPolicy(args);
      if (reads === 1 && text) {
        // A platform change lands between the rollback's first read and its write.
        const policy = JSON.parse(text) as { Statement: unknown[] };
        acct.bucketPolicies.set(
          'analytics-lake',
          JSON.stringify({ ...policy, Statement: [...policy.Statement, later] }),
        );
      }
      return text;
    };

    const rollback = await runTask(rollbackIncident, { incidentId: id }, { ...ports, s3 });

    const policy = JSON.parse(acct.bucketPolicies.get('analytics-lake') ?? '{}') as { Statement: { Sid?: string }[] };
    expect(rollback.steps.map((step) => step.result)).toEqual(['applied']);
    expect(policy.Statement.map((statement) => statement.Sid)).toEqual(['AllowEtlReadWrite', 'AddedDuringRollback']);
    expect(policy).not.toHaveProperty('Version');
  });

  it('records a failed undo on the timeline as one readable line of bounded length, whatever the service answered', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const item = lakeDenyItem(id);
    const ports = { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock };
    await runTask(denyBucketAccess, { item, incidentId: id, settings }, ports);
    const s3 = Object.create(acct.s3) as typeof acct.s3;
    s3.putBucketPolicy = async () => {
      const error = new Error(`Access Denied\n*forged line* ${'x'.repeat(5000)}`);
      error.name = 'AccessDenied';
      throw error;
    };

    const rollback = await runTask(rollbackIncident, { incidentId: id }, { ...ports, s3 });

    const lines = (await store.listEvents(id)).filter((event) => event.kind === 'rollback').map((event) => event.text);
    expect(rollback.steps.map((step) => step.result)).toEqual(['failed']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Rollback of bucketPolicy analytics-lake: failed \(AccessDenied: Access Denied/);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]?.length).toBeLessThan(500);
  });

  it('keeps a third-party edit made after containment, and a second rollback finds nothing to do', async () => {
    const { account: acct, clock } = world();
    const id = await newIncident();
    const item = lakeDenyItem(id);
    const ports = { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock };
    await runTask(denyBucketAccess, { item, incidentId: id, settings }, ports);
    const contained = JSON.parse(acct.bucketPolicies.get('analytics-lake') ?? '{}') as { Statement: unknown[] };
    const later = {
      Sid: 'AddedByPlatformTeam',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/reporting' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::analytics-lake/*',
    };
    acct.bucketPolicies.set(
      'analytics-lake',
      JSON.stringify({ ...contained, Statement: [...contained.Statement, later] }),
    );

    const first = await runTask(rollbackIncident, { incidentId: id }, ports);
    const second = await runTask(rollbackIncident, { incidentId: id }, ports);

    const policy = JSON.parse(acct.bucketPolicies.get('analytics-lake') ?? '{}') as { Statement: { Sid?: string }[] };
    expect(policy.Statement.map((statement) => statement.Sid)).toEqual(['AllowEtlReadWrite', 'AddedByPlatformTeam']);
    expect(first.steps.map((step) => step.result)).toEqual(['applied']);
    expect(second.steps.map((step) => step.result)).toEqual(['already']);
    expect((await store.getIncident(id))?.status).toBe('rolled_back');
  });
});
