import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import { scenario } from '../support/fixtures.js';
import { run, variant } from '../support/simulate.js';

const KEY = 'AKIA3EXAMPLEJNE7WXYZ';
const BUCKET = 'customer-records';
const ORIGINAL_STATEMENTS = scenario('compromised-iam-user-key').s3.buckets[0]?.policy as { Statement: unknown[] };

/** The account as the scenario describes it, before anything ran. */
async function untouched() {
  const result = await simulate(
    variant('compromised-iam-user-key', (s) => {
      s.events = [{ hello: 'not a finding' }];
    }),
    { approve: { kind: 'none' } },
  );
  return result.account;
}

describe('every path of the s3-exfiltration playbook, executed locally', () => {
  it('approve all: contained, the finding key and the key it created deactivated, its sessions revoked, one IR deny added', async () => {
    const result = await run(scenario('compromised-iam-user-key'));

    const [first, second] = result.incidents;
    expect(first?.status).toBe('contained');
    expect(first?.applied.map((entry) => [entry.action, entry.target, entry.result])).toEqual([
      ['deactivateAccessKey', KEY, 'applied'],
      ['deactivateAccessKey', 'AKIA3EXAMPLEBACKUP99', 'applied'],
      ['revokeUserSessions', 'user/developer-jane', 'applied'],
      ['startMacieJob', expect.any(String), 'applied'],
      ['denyBucketAccess', BUCKET, 'applied'],
    ]);
    expect(Object.keys(result.account.userInlinePolicies['developer-jane'] ?? {})).toContain('AWSRevokeOlderSessions');
    expect(first?.reportMarkdown).toMatch(
      /Access key AKIA\.\.\.UP99 of IAM user svc-backup was created with these credentials at 2026-02-23T02:52:48Z from/,
    );
    expect(result.account.macieJobs).toEqual([expect.objectContaining({ jobType: 'ONE_TIME', buckets: [BUCKET] })]);
    expect(result.account.accessKeys).toEqual({
      [KEY]: 'Inactive',
      AKIA3EXAMPLEJNECI001: 'Active',
      AKIA3EXAMPLEBACKUP99: 'Inactive',
    });
    const policy = result.account.bucketPolicies[BUCKET] as { Statement: { Sid?: string }[] };
    expect(policy.Statement.slice(0, 2)).toEqual(ORIGINAL_STATEMENTS.Statement);
    expect(policy.Statement.filter((statement) => statement.Sid?.startsWith('IR'))).toHaveLength(1);
    expect(result.account.bucketPolicies['app-logs-123456789012']).toBeNull();
    expect(second).toMatchObject({ status: 'linked', incidentId: first?.incidentId, applied: [] });
    expect(second?.states).not.toContain('Request Approval');
  });

  it('approve none: denied, and the account is exactly as it was', async () => {
    const result = await run(scenario('compromised-iam-user-key'), { kind: 'none' });

    expect(result.incidents.map((incident) => incident.status)).toEqual(['denied', 'linked']);
    expect(result.account).toEqual(await untouched());
    expect(result.incidents[0]?.reportMarkdown).toMatch(
      /\[ \] Access key AKIA\.\.\.WXYZ deactivated - denied by U024BE7LH/,
    );
  });

  it('partial approval applies only the selected action', async () => {
    const result = await run(scenario('compromised-iam-user-key'), { kind: 'actions', actions: ['denyBucketAccess'] });

    expect(result.incidents[0]?.status).toBe('contained');
    expect(result.account.accessKeys[KEY]).toBe('Active');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/\[ \] Access key AKIA\.\.\.WXYZ deactivated - not approved/);
  });

  it('timeout under auto-deny: expired after the heartbeat re-pings, nothing changed', async () => {
    const result = await run(
      variant('compromised-iam-user-key', (s) => {
        s.events = s.events.slice(0, 1);
      }),
      { kind: 'timeout' },
    );

    expect(result.incidents[0]?.status).toBe('expired');
    expect(result.incidents[0]?.states.filter((state) => state === 'Request Approval').length).toBeGreaterThan(2);
    expect(result.account.accessKeys[KEY]).toBe('Active');
  });

  it('timeout under auto-contain at this severity: contained by the timeout policy', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = s.events.slice(0, 1);
      s.config = { ...s.config, autoContainSeverity: 7, approvalTimeout: '3h', approvalHeartbeat: '1h' };
    });

    const result = await run(input, { kind: 'timeout' });

    expect(result.incidents[0]?.status).toBe('contained');
    expect(result.incidents[0]?.states).toContain('Auto Contain');
    expect(result.account.accessKeys[KEY]).toBe('Inactive');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/contained by the timeout policy/);
  });

  it('a containment failure is caught per action: partially contained, the report says why', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.faults = [{ call: 'iam:UpdateAccessKey', error: 'AccessDenied', times: 1 }];
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.status).toBe('partially_contained');
    expect(incident?.applied).toContainEqual(
      expect.objectContaining({ action: 'deactivateAccessKey', result: 'failed', error: 'AwsAccessDenied' }),
    );
    expect(incident?.applied).toContainEqual(
      expect.objectContaining({ action: 'denyBucketAccess', result: 'applied' }),
    );
    expect(result.account.accessKeys[KEY]).toBe('Active');
    expect(incident?.reportMarkdown).toMatch(/\[ \] Access key AKIA\.\.\.WXYZ deactivated - failed: AwsAccessDenied/);
  });

  it('throttling is retried by the state machine and the action still lands', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.faults = [{ call: 'iam:UpdateAccessKey', error: 'ThrottlingException', times: 2 }];
    });

    const result = await run(input);

    expect(result.incidents[0]?.status).toBe('contained');
    expect(result.account.accessKeys[KEY]).toBe('Inactive');
  });

  it('degraded enrichment still reaches approval and containment, and the report names what was missing', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.macie = { ...s.macie, enabled: false };
      s.faults = [{ call: 'cloudtrail:LookupEvents', error: 'AccessDeniedException', times: 5 }];
    });

    const result = await run(input);

    const report = result.incidents[0]?.reportMarkdown ?? '';
    expect(result.incidents[0]?.status).toBe('contained');
    expect(report).toMatch(/Sensitivity \(Macie\): unavailable \(.*Macie is not enabled/);
    expect(report).toMatch(/Management events \(CloudTrail LookupEvents\): unavailable \(.*AccessDenied/);
  });

  it('an assumed role: its sessions are denied on the bucket by role ARN (with its path), no key is touched', async () => {
    const result = await run(scenario('assumed-role-exfiltration'));

    const policy = result.account.bucketPolicies['analytics-lake'] as {
      Statement: { Sid?: string; Condition?: unknown }[];
    };
    expect(result.incidents[0]?.status).toBe('contained');
    expect(policy.Statement.at(-1)?.Condition).toMatchObject({
      ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/service-role/etl-pipeline'] },
    });
    expect(result.incidents[0]?.plan.map((item) => item.action)).toEqual([
      'revokeRoleSessions',
      'startMacieJob',
      'denyBucketAccess',
    ]);
  });

  it('sample and invalid events: ignored, unrouted, and failed with the error name, changing nothing', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      const sample = structuredClone(s.events[0]) as { detail: { service: { additionalInfo: unknown } } };
      sample.detail.service.additionalInfo = { sample: true };
      const broken = structuredClone(s.events[0]) as { detail: { type?: string } };
      delete broken.detail.type;
      s.events = [sample, broken, { console: broken }];
    });

    const result = await run(input);

    // Without a type the finding rule does not match; started by hand, the playbook refuses it.
    expect(result.incidents.map((incident) => [incident.status, incident.error])).toEqual([
      ['ignored', undefined],
      ['unrouted', undefined],
      ['failed', 'InvalidExecutionInput'],
    ]);
    expect(result.account).toEqual(await untouched());
  });

  it('dry run plans and reports, and changes nothing', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.config = { ...s.config, dryRun: true };
    });

    const result = await run(input);

    expect(result.incidents[0]?.status).toBe('planned');
    expect(result.incidents[0]?.plan.map((item) => item.action)).toEqual([
      'deactivateAccessKey',
      'deactivateAccessKey',
      'revokeUserSessions',
      'startMacieJob',
      'denyBucketAccess',
    ]);
    expect(result.incidents[0]?.states).not.toContain('Request Approval');
    expect(result.account).toEqual(await untouched());
  });

  it('the two-person rule needs two approvers before anything is contained', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.config = { ...s.config, twoPersonRule: true, approvers: ['U024BE7LH', 'U0G9QF9C6'] };
    });

    const result = await run(input);

    expect(result.incidents[0]?.status).toBe('contained');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/Approved by U024BE7LH and U0G9QF9C6/);
  });
});
