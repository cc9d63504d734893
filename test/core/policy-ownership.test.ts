import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deactivateAccessKey } from '../../handlers/deactivate-access-key/core.js';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { revokeRoleSessions } from '../../handlers/revoke-role-sessions/core.js';
import { rollbackIncident } from '../../handlers/rollback-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { statementSid } from '../../handlers/shared/ids.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import type { Fault } from '../../local/scenario.js';
import { guardDutyEvent, scenario } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

/**
 * Which statements are ours (the Sids this incident recorded writing into a target), what
 * rollback removes (exactly those), and the post-write checks under eventual consistency.
 */

let store: IncidentStore;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('ownership-test'));
});
afterAll(async () => stop());

const settings = testSettings();
const exempt = [...settings.irRoleArns, ...settings.responderRoleArns];
const JANE = 'arn:aws:iam::123456789012:user/engineering/developer-jane';
let counter = 0;

async function newIncident(): Promise<string> {
  counter += 1;
  const incidentId = `20260302-${counter.toString(16).padStart(12, '0')}`;
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

function world(faults: Fault[] = []) {
  const { account: acct, clock } = account(scenario('compromised-iam-user-key'), faults);
  return { acct, clock, ports: { s3: acct.s3, ec2: acct.ec2, iam: acct.iam, store, clock, timer: clock } };
}

function denyItem(id: string, principals: string[] = [JANE]) {
  const statement = bucketDenyStatement({
    sid: statementSid(id, 'DenyPrincipal'),
    bucket: 'customer-records',
    partition: 'aws',
    principalArns: principals,
    exemptArns: exempt,
  });
  return {
    id: 'denyBucketAccess:customer-records',
    action: 'denyBucketAccess',
    target: 'customer-records',
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 'deny',
    bucket: 'customer-records',
    statements: [statement],
    sizeBefore: 0,
    sizeAfter: 0,
    limit: 20480,
  };
}

type Doc = { Version?: string; Statement: { Sid?: string; [field: string]: unknown }[] };
const policyOf = (acct: ReturnType<typeof world>['acct']) =>
  JSON.parse(acct.bucketPolicies.get('customer-records') ?? '{"Statement":[]}') as Doc;
const partnerStatement = (sid: string) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::customer-records/shared/*',
});

describe('statements under our Sids', () => {
  it('refuses a statement someone else put under our exact Sid: SidConflict, no write, no backup', async () => {
    const { acct, ports } = world();
    const id = await newIncident();
    const before = policyOf(acct);
    const squatter = partnerStatement(statementSid(id, 'DenyPrincipal'));
    acct.bucketPolicies.set(
      'customer-records',
      JSON.stringify({ ...before, Statement: [...before.Statement, squatter] }),
    );
    const stored = acct.bucketPolicies.get('customer-records');

    const run = runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);

    await expect(run).rejects.toMatchObject({ name: 'SidConflict' });
    await expect(run).rejects.toThrow(/Rename or remove that statement, then re-run/);
    expect(acct.writes).toEqual([]);
    expect(acct.bucketPolicies.get('customer-records')).toBe(stored);
    expect(await store.listUndo(id)).toEqual([]);
  });

  it('records the Sids it writes and rewrites its own statement in place on a later, wider run', async () => {
    const { acct, ports } = world();
    const id = await newIncident();
    const wider = [JANE, 'arn:aws:iam::123456789012:user/ci-deployer'];

    await runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);
    const second = await runTask(denyBucketAccess, { item: denyItem(id, wider), incidentId: id, settings }, ports);

    const ours = policyOf(acct).Statement.filter((statement) => statement.Sid === statementSid(id, 'DenyPrincipal'));
    expect(second.result).toBe('applied');
    expect(ours).toHaveLength(1);
    expect(ours[0]?.Condition).toMatchObject({ ArnEquals: { 'aws:PrincipalArn': wider } });
    expect(new Set((await store.listUndo(id))[0]?.sids)).toEqual(new Set([statementSid(id, 'DenyPrincipal')]));
  });

  it('keeps a policy without Version without one', async () => {
    const { acct, ports } = world();
    const id = await newIncident();
    const { Version: _dropped, ...unversioned } = policyOf(acct);
    acct.bucketPolicies.set('customer-records', JSON.stringify(unversioned));

    await runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);

    expect(policyOf(acct)).not.toHaveProperty('Version');
    expect(policyOf(acct).Statement).toHaveLength(unversioned.Statement.length + 1);
  });
});

describe('rollback removes exactly the recorded Sids', () => {
  it('keeps a partner statement whose Sid starts like ours, and removes ours', async () => {
    const { acct, ports } = world();
    const id = await newIncident();
    await runTask(denyBucketAccess, { item: denyItem(id), incidentId: id, settings }, ports);
    const partner = partnerStatement(statementSid(id, 'PartnerReadAccess'));
    const contained = policyOf(acct);
    acct.bucketPolicies.set(
      'customer-records',
      JSON.stringify({ ...contained, Statement: [...contained.Statement, partner] }),
    );

    const result = await runTask(rollbackIncident, { incidentId: id }, ports);

    const sids = policyOf(acct).Statement.map((statement) => statement.Sid);
    expect(result.steps.map((step) => step.result)).toEqual(['applied']);
    expect(sids).toContain(partner.Sid);
    expect(sids).not.toContain(statementSid(id, 'DenyPrincipal'));
    expect(result.steps[0]?.detail).toMatch(new RegExp(`^removed ${statementSid(id, 'DenyPrincipal')};`));
  });
});

describe('post-write checks under eventual consistency', () => {
  const keyItem = {
    id: 'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
    action: 'deactivateAccessKey',
    target: 'AKIA3EXAMPLEJNE7WXYZ',
    accountId: '123456789012',
    region: 'us-east-1',
    summary: 's',
    userName: 'developer-jane',
    accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
  };

  it('waits out a key that still reads Active for a moment, then reports it applied', async () => {
    const { acct, clock, ports } = world([{ call: 'iam:ListAccessKeys', kind: 'stale', times: 2 }]);
    const id = await newIncident();
    const started = clock.now().getTime();

    const result = await runTask(deactivateAccessKey, { item: keyItem, incidentId: id, settings }, ports);

    expect(result).toMatchObject({ result: 'applied' });
    expect(result).not.toHaveProperty('visible');
    expect(acct.writes.filter((write) => write.call === 'iam:UpdateAccessKey')).toHaveLength(1);
    expect(clock.now().getTime() - started).toBeGreaterThan(0);
  });

  it('reports a key that keeps reading Active as "applied, not yet visible", after a bounded wait', async () => {
    const { acct, clock, ports } = world([{ call: 'iam:ListAccessKeys', kind: 'stale', times: 50 }]);
    const id = await newIncident();
    const started = clock.now().getTime();

    const result = await runTask(deactivateAccessKey, { item: keyItem, incidentId: id, settings }, ports);

    expect(result).toMatchObject({
      result: 'applied',
      visible: false,
      detail: expect.stringMatching(/not yet visible/),
    });
    expect(acct.snapshot().accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Inactive');
    expect(clock.now().getTime() - started).toBeLessThan(10_000);
  });

  it('reports the revoke-sessions policy "applied, not yet visible" when GetUserPolicy keeps answering the prior', async () => {
    const { acct, ports } = world([{ call: 'iam:GetUserPolicy', kind: 'stale', times: 50 }]);
    const id = await newIncident();
    const item = {
      id: 'revokeRoleSessions:developer-jane',
      action: 'revokeRoleSessions',
      target: 'developer-jane',
      accountId: '123456789012',
      region: 'us-east-1',
      summary: 's',
      principalKind: 'user',
      name: 'developer-jane',
      policyName: 'AWSRevokeOlderSessions',
      sid: statementSid(id, 'RevokeOlderSessions'),
    };

    const result = await runTask(revokeRoleSessions, { item, incidentId: id, settings }, ports);

    expect(result).toMatchObject({ result: 'applied', visible: false });
    expect(acct.writes.filter((write) => write.call === 'iam:PutUserPolicy')).toHaveLength(1);
    expect((await store.listUndo(id))[0]).toMatchObject({ kind: 'userInlinePolicy', sids: [item.sid] });
  });

  it('refuses a revoke-sessions policy over the user inline quota as PolicyTooLarge with the 2,048 limit', async () => {
    const { acct, ports } = world();
    const id = await newIncident();
    acct.userInline.get('developer-jane')?.set('Bulky', JSON.stringify({ Statement: [{ Sid: 'x'.repeat(2_000) }] }));
    const item = {
      id: 'revokeRoleSessions:developer-jane',
      action: 'revokeRoleSessions',
      target: 'developer-jane',
      accountId: '123456789012',
      region: 'us-east-1',
      summary: 's',
      principalKind: 'user',
      name: 'developer-jane',
      policyName: 'AWSRevokeOlderSessions',
      sid: statementSid(id, 'RevokeOlderSessions'),
    };

    const run = runTask(revokeRoleSessions, { item, incidentId: id, settings }, ports);

    await expect(run).rejects.toMatchObject({ name: 'PolicyTooLarge', limit: 2_048 });
    expect(acct.writes).toEqual([]);
  });
});
