import { describe, expect, it, vi } from 'vitest';
import { maskKey } from '../../handlers/shared/ids.js';
import type { PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { IncidentResult } from '../../local/simulate.js';
import { simulate } from '../../local/simulate.js';
import {
  baseScenario,
  brokenPromises,
  ENDPOINT,
  policyLosses,
  READ_AFTER_WRITE,
  runFaults,
  section,
} from './matrix.js';
import { tapFor } from './tap.js';

vi.mock('../../local/account.js', async (original) =>
  (await import('./tap.js')).tapAccounts(await original<typeof import('../../local/account.js')>()),
);

/**
 * The fault matrix's edges of policy writing, in whole local runs: post-write re-reads that are
 * stale (eventual consistency), IAM's inline policy quota, a statement someone else keeps under
 * our Sid, a policy without Version, and rollback beside a partner's look-alike Sid.
 */

const outcome = (incident: IncidentResult, item: PlanItem) =>
  incident.applied.find((entry) => entry.action === item.action && entry.target === item.target);
const lineOf = (incident: IncidentResult, target: string) =>
  section(incident.reportMarkdown, 'CONTAINMENT ACTIONS:').find(
    (line) => line.includes(target) || line.includes(maskKey(target)),
  );

describe.each(Object.entries(READ_AFTER_WRITE))('%s read back stale after the write', (call, role) => {
  it.each([
    { course: 'briefly', times: 2, visible: undefined },
    { course: 'past every backoff', times: 50, visible: false },
  ])('$course: the action ends applied, never failed or repeated', async ({ times, visible }) => {
    const run = await runFaults(role.base, [{ call, kind: 'stale', times }]);

    const { first, rerun } = run;
    expect(run.tap.fired.length).toBeGreaterThan(0);
    expect(new Set(run.tap.fired)).toEqual(new Set([call]));
    expect(first.status).toBe('contained');
    const item = first.plan.find((candidate) => candidate.action === role.action);
    if (!item) throw new Error(`no ${role.action} in the plan`);
    expect(outcome(first, item)).toMatchObject({ result: 'applied' });
    expect(outcome(first, item)?.visible).toBe(visible);
    const line = lineOf(first, item.target) ?? '';
    expect(line).toMatch(/^\[x\] /);
    if (visible === false) expect(line).toContain('applied, not yet visible');
    else expect(line).not.toContain('not yet visible');
    expect(await brokenPromises(role.base, run.scenario, first, run.afterFault)).toEqual([]);
    expect(policyLosses(run.before, run.afterFault, run.undo)).toEqual([]);
    expect(rerun.status).toBe('contained');
    expect(rerun.applied.every((entry) => entry.result === 'applied' || entry.result === 'already')).toBe(true);
    expect(policyLosses(run.before, run.final, run.undo)).toEqual([]);
  });
});

describe('IAM LimitExceeded on the revoke-sessions policy', () => {
  it('fails that action once as PolicyTooLarge with the 10,240-character limit: not retried, not throttling', async () => {
    const run = await runFaults('role', [{ call: 'iam:PutRolePolicy', error: 'LimitExceeded', times: 10 }]);

    const { first } = run;
    const item = first.plan.find((candidate) => candidate.action === 'revokeRoleSessions');
    if (!item) throw new Error('no revokeRoleSessions in the plan');
    expect(run.tap.fired).toEqual(['iam:PutRolePolicy']);
    expect(first.status).toBe('partially_contained');
    expect(outcome(first, item)).toMatchObject({ result: 'failed', error: 'PolicyTooLarge' });
    expect(lineOf(first, item.target)).toMatch(/^\[ \] .*failed: PolicyTooLarge.*10240-character limit/);
    expect(policyLosses(run.before, run.afterFault, run.undo)).toEqual([]);
    expect(run.rerun.status).toBe('contained');
  });
});

/** The Sid the seed's bucket Deny gets (the incident id is derived from the finding and execution). */
async function bucketDenySid(): Promise<{ sid: string; incidentId: string }> {
  const { first } = await runFaults('user', []);
  const deny = first.plan.find((item) => item.action === 'denyBucketAccess');
  const sid = deny && 'statements' in deny ? deny.statements[0]?.Sid : undefined;
  if (!sid || !first.incidentId) throw new Error('the seed plans no bucket Deny');
  return { sid, incidentId: first.incidentId };
}

const partner = (sid: string, resource: string) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: 's3:GetObject',
  Resource: resource,
});
type RawPolicy = { Version?: string; Statement: unknown[] };

/** The raw policy of a scenario's bucket or endpoint, to edit before the run. */
function rawPolicy(owner: { policy?: unknown } | undefined): RawPolicy {
  if (!owner?.policy) throw new Error('the seed has no such policy');
  return owner.policy as RawPolicy;
}

describe('statements that are not ours', () => {
  it('a statement someone else keeps under our exact Sid: SidConflict, the policy untouched, the report says what to do', async () => {
    const { sid } = await bucketDenySid();
    const run = await runFaults('user', [], (s) => {
      const policy = rawPolicy(s.s3.buckets.find((candidate) => candidate.name === 'customer-records'));
      policy.Statement.push(partner(sid, 'arn:aws:s3:::customer-records/shared/*'));
    });

    const { first } = run;
    const item = first.plan.find((candidate) => candidate.action === 'denyBucketAccess');
    if (!item) throw new Error('no bucket Deny planned');
    expect(first.status).toBe('partially_contained');
    expect(outcome(first, item)).toMatchObject({ result: 'failed', error: 'SidConflict' });
    expect(lineOf(first, item.target)).toContain('Rename or remove that statement, then re-run');
    expect(run.afterFault.buckets['customer-records']).toBe(run.before.buckets['customer-records']);
    expect(run.final.buckets['customer-records']).toBe(run.before.buckets['customer-records']);
    expect(policyLosses(run.before, run.final, run.undo)).toEqual([]);
  });

  it('a bucket policy without Version is contained and stays without Version', async () => {
    const run = await runFaults('user', [], (s) => {
      delete rawPolicy(s.s3.buckets.find((candidate) => candidate.name === 'customer-records')).Version;
    });

    expect(run.first.status).toBe('contained');
    expect(JSON.parse(run.final.buckets['customer-records'] ?? '{}')).not.toHaveProperty('Version');
    expect(policyLosses(run.before, run.final, run.undo)).toEqual([]);
  });

  it('rollback removes exactly the recorded Sids: a partner statement named like ours stays', async () => {
    const { incidentId } = await bucketDenySid();
    const lookalike = `IR${incidentId.replace(/-/g, '')}PartnerReadAccess`;
    const scenario = baseScenario('endpoint', (s) => {
      rawPolicy(s.s3.buckets.find((candidate) => candidate.name === 'customer-records')).Statement.push(
        partner(lookalike, 'arn:aws:s3:::customer-records/shared/*'),
      );
      rawPolicy(s.vpcEndpoints.find((candidate) => candidate.id === ENDPOINT)).Statement.push({
        ...partner(lookalike, '*'),
        Principal: '*',
      });
    });
    const bucketBefore = structuredClone(scenario.s3.buckets.find((b) => b.name === 'customer-records')?.policy);
    const endpointBefore = structuredClone(scenario.vpcEndpoints.find((e) => e.id === ENDPOINT)?.policy);

    const result = await simulate(scenario, { approve: { kind: 'all' }, rollback: { reactivateKeys: false } });

    expect(result.incidents[0]?.incidentId).toBe(incidentId);
    expect(result.incidents[0]?.status).toBe('contained');
    const steps = result.rollback?.[0]?.steps ?? [];
    expect(steps.filter((step) => step.kind === 'bucketPolicy' || step.kind === 'vpcEndpointPolicy')).toHaveLength(2);
    expect(steps.every((step) => step.result !== 'failed')).toBe(true);
    expect(result.account.bucketPolicies['customer-records']).toEqual(bucketBefore);
    expect(result.account.vpcEndpointPolicies[ENDPOINT]).toEqual(endpointBefore);
  });
});

describe('a lost update on the revoke-sessions policy', () => {
  it('an administrator’s console revoke written between our write and our re-read is kept beside ours, which takes the later cut-off; rollback leaves the administrator’s revoke in place', async () => {
    const scenario = baseScenario('role');
    const tap = tapFor(scenario);
    let ourWrite: string | undefined;
    let adminCutoff = '';
    let adminRevoke: { Version: string; Statement: Record<string, unknown>[] } | undefined;
    tap.interleave((call, account) => {
      const policies = account.roleInline.get('etl-pipeline');
      if (call === 'iam:PutRolePolicy' && !ourWrite) ourWrite = 'pending';
      else if (call === 'iam:GetRolePolicy' && ourWrite === 'pending' && policies) {
        // The console's "Revoke active sessions" replaces the whole document, a minute after ours.
        ourWrite = policies.get('AWSRevokeOlderSessions') ?? '';
        const ours = JSON.parse(ourWrite).Statement[0].Condition.DateLessThan['aws:TokenIssueTime'] as string;
        adminCutoff = new Date(Date.parse(ours) + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        adminRevoke = {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: ['*'],
              Resource: ['*'],
              Condition: { DateLessThan: { 'aws:TokenIssueTime': adminCutoff } },
            },
          ],
        };
        policies.set('AWSRevokeOlderSessions', JSON.stringify(adminRevoke));
      }
    });

    const result = await simulate(scenario, { approve: { kind: 'all' }, rollback: { reactivateKeys: false } });

    const [incident] = result.incidents;
    const item = incident?.plan.find((candidate) => candidate.action === 'revokeRoleSessions');
    if (!incident || !item || !adminRevoke) throw new Error('no revoke of the role was written');
    expect(incident.status).toBe('contained');
    expect(outcome(incident, item)).toMatchObject({ result: 'applied' });
    // Ours was re-merged with the administrator's later cut-off, as the report says.
    expect(incident.reportMarkdown).toContain(`aws:TokenIssueTime before ${adminCutoff}`);
    const step = result.rollback?.[0]?.steps.find((candidate) => candidate.kind === 'roleInlinePolicy');
    expect(step).toMatchObject({ result: 'applied' });
    expect(step?.detail).toContain('sid' in item ? item.sid : 'no sid');
    expect(result.account.roleInlinePolicies['etl-pipeline']?.AWSRevokeOlderSessions).toEqual(adminRevoke);
  });
});
