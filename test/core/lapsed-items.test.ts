import { describe, expect, it } from 'vitest';
import { describePrincipal } from '../../handlers/describe-principal/core.js';
import { planContainment } from '../../handlers/plan-containment/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { planItemLines } from '../../handlers/shared/render/plan-lines.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { ActionResult, PlanItem } from '../../handlers/shared/schemas/plan.js';
import { guardDutyEvent, scenario } from '../support/fixtures.js';
import { account } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const INCIDENT_ID = '20260223-c4e6a8b0d2f4';
const settings = testSettings({ homeAccountId: '123456789012' });
type Account = ReturnType<typeof account>['account'];

/** A later round's plan of the key and the bucket Deny, against the account as it is now. */
async function planRound(acct: Account, incident: Incident, previouslyApplied: ActionResult[]) {
  const facts = await runTask(describePrincipal, { incidentId: INCIDENT_ID, incident, settings }, { iam: acct.iam });
  return runTask(
    planContainment,
    {
      incidentId: INCIDENT_ID,
      incident,
      settings,
      enrichment: { describePrincipal: facts },
      contain: ['deactivateAccessKey', 'denyBucketAccess'],
      previouslyApplied,
    },
    { s3: acct.s3, ec2: acct.ec2 },
  );
}

/** The first round applied as planned: the key deactivated, each Deny merged into its bucket policy. */
async function containedFirstRound() {
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  const first = await planRound(acct, incident, []);
  const applied: ActionResult[] = [];
  const original = new Map(acct.bucketPolicies);
  for (const item of first.items) {
    if (item.action === 'deactivateAccessKey') {
      await acct.iam.updateAccessKey({
        accountId: item.accountId,
        userName: item.userName,
        accessKeyId: item.accessKeyId,
        status: 'Inactive',
      });
    } else if (item.action === 'denyBucketAccess') {
      const current = JSON.parse(acct.bucketPolicies.get(item.bucket) ?? '{"Version":"2012-10-17","Statement":[]}');
      acct.bucketPolicies.set(
        item.bucket,
        JSON.stringify({ ...current, Statement: [...current.Statement, ...item.statements] }),
      );
    } else continue;
    applied.push({ action: item.action, target: item.target, result: 'applied', at: '2026-02-23T04:30:00.000Z' });
  }
  const deny = first.items.find((item) => item.action === 'denyBucketAccess') as PlanItem & {
    action: 'denyBucketAccess';
  };
  const key = first.items.find((item) => item.action === 'deactivateAccessKey') as PlanItem & {
    action: 'deactivateAccessKey';
  };
  return { acct, incident, applied, deny, key, original };
}

describe('an earlier round’s item whose effect is gone', () => {
  it('a Deny removed from the bucket policy by hand is asked again and marked as removed since', async () => {
    const { acct, incident, applied, deny, original } = await containedFirstRound();
    acct.bucketPolicies.set(deny.bucket, original.get(deny.bucket));

    const plan = await planRound(acct, incident, applied);

    const asked = plan.pending.find((item) => item.id === deny.id);
    expect(asked?.lapsed).toMatch(/^applied by an earlier round, no longer in the bucket policy/);
    expect(plan.items.find((item) => item.id === deny.id)?.lapsed).toBe(asked?.lapsed);
    expect(plan.inPlace.map((item) => item.id)).not.toContain(deny.id);
    expect(planItemLines(asked as PlanItem).lines[0]).toBe(`⚠ ${asked?.lapsed}`);
  });

  it('a key reactivated since its deactivation is asked again and marked as active again', async () => {
    const { acct, incident, applied, key } = await containedFirstRound();
    await acct.iam.updateAccessKey({
      accountId: key.accountId,
      userName: key.userName,
      accessKeyId: key.accessKeyId,
      status: 'Active',
    });

    const plan = await planRound(acct, incident, applied);

    expect(plan.pending.find((item) => item.id === key.id)?.lapsed).toMatch(/active again/);
  });

  it('what is still in effect is confirmed without asking, and nothing is marked', async () => {
    const { acct, incident, applied } = await containedFirstRound();

    const plan = await planRound(acct, incident, applied);

    expect(plan.pending).toEqual([]);
    expect(plan.inPlace.map((item) => item.action)).toEqual(
      expect.arrayContaining(['deactivateAccessKey', 'denyBucketAccess']),
    );
    expect(plan.items.filter((item) => item.lapsed !== undefined)).toEqual([]);
  });

  it('our statement still there in another form (a Deny this round would write otherwise) is asked, not marked', async () => {
    const { acct, incident, applied, deny } = await containedFirstRound();
    const policy = JSON.parse(acct.bucketPolicies.get(deny.bucket) as string);
    const ours = new Set(deny.statements.map((statement) => statement.Sid));
    policy.Statement = policy.Statement.map((statement: { Sid?: string; Action: unknown }) =>
      ours.has(statement.Sid ?? '') ? { ...statement, Action: ['s3:GetObject'] } : statement,
    );
    acct.bucketPolicies.set(deny.bucket, JSON.stringify(policy));

    const plan = await planRound(acct, incident, applied);

    const asked = plan.pending.find((item) => item.id === deny.id);
    expect(asked).toBeDefined();
    expect(asked?.lapsed).toBeUndefined();
  });

  it('our statement turned into an Allow by hand is asked again and marked as no longer a Deny', async () => {
    const { acct, incident, applied, deny } = await containedFirstRound();
    const policy = JSON.parse(acct.bucketPolicies.get(deny.bucket) as string);
    const ours = new Set(deny.statements.map((statement) => statement.Sid));
    policy.Statement = policy.Statement.map((statement: { Sid?: string; Effect: string }) =>
      ours.has(statement.Sid ?? '') ? { ...statement, Effect: 'Allow' } : statement,
    );
    acct.bucketPolicies.set(deny.bucket, JSON.stringify(policy));

    const plan = await planRound(acct, incident, applied);

    const asked = plan.pending.find((item) => item.id === deny.id);
    expect(asked?.lapsed).toMatch(/^applied by an earlier round, no longer a Deny in the bucket policy/);
    expect(plan.inPlace.map((item) => item.id)).not.toContain(deny.id);
  });

  it('our statement turned into an Allow by hand is asked again with the sizes of the policy it rewrites', async () => {
    const { acct, incident, applied, deny } = await containedFirstRound();
    const policy = JSON.parse(acct.bucketPolicies.get(deny.bucket) as string);
    const ours = new Set(deny.statements.map((statement) => statement.Sid));
    policy.Statement = policy.Statement.map((statement: { Sid?: string; Effect: string }) =>
      ours.has(statement.Sid ?? '') ? { ...statement, Effect: 'Allow' } : statement,
    );
    const text = JSON.stringify(policy);
    acct.bucketPolicies.set(deny.bucket, text);

    const plan = await planRound(acct, incident, applied);

    const asked = plan.pending.find((item) => item.id === deny.id) as PlanItem & { action: 'denyBucketAccess' };
    expect(asked.sizeBefore).toBe(Buffer.byteLength(text));
    expect(asked.summary).not.toContain('unreadable');
  });
});

describe('an endpoint policy holding our statement in another form', () => {
  it('is planned with the sizes of the policy it rewrites, not as unreadable', async () => {
    const { account: acct } = account(scenario('compromised-iam-user-key'));
    const endpoint = 'vpce-0a1b2c3d4e5f60718';
    acct.endpointPolicies.set(
      endpoint,
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }),
    );
    acct.endpointRegions.set(endpoint, 'us-east-1');
    acct.endpointServices.set(endpoint, 'com.amazonaws.us-east-1.s3');
    const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
    const withEndpoint = testSettings({ homeAccountId: '123456789012', vpcEndpointIds: [endpoint] });
    const plan = () =>
      runTask(
        planContainment,
        {
          incidentId: INCIDENT_ID,
          incident,
          settings: withEndpoint,
          enrichment: {},
          contain: ['restrictVpcEndpoint'],
          previouslyApplied: [],
        },
        { s3: acct.s3, ec2: acct.ec2 },
      );
    const first = (await plan()).items[0] as PlanItem & { action: 'restrictVpcEndpoint' };
    const changed = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
        ...first.statements.map((statement) => ({ ...statement, Effect: 'Allow' })),
      ],
    });
    acct.endpointPolicies.set(endpoint, changed);

    const again = (await plan()).items[0] as PlanItem & { action: 'restrictVpcEndpoint' };

    expect(again.summary).not.toContain('unreadable');
    expect(again.sizeBefore).toBe(changed.length);
    expect(again.sizeAfter).toBeGreaterThan(0);
  });
});
