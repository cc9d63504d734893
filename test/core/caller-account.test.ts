import { describe, expect, it } from 'vitest';
import { describePrincipal } from '../../handlers/describe-principal/core.js';
import { planContainment } from '../../handlers/plan-containment/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import type { Incident, Principal } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { type Plan, PlanItem } from '../../handlers/shared/schemas/plan.js';
import { guardDutyEvent, readJson, scenario, withField } from '../support/fixtures.js';
import { account } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const HOME = '123456789012';
const MEMBER = '222233334444';
const OUTSIDER = '444455556666';
const CONTAIN = [
  'deactivateAccessKey',
  'revokeRoleSessions',
  'startMacieJob',
  'denyBucketAccess',
  'restrictVpcEndpoint',
];
const INCIDENT_ID = '20260223-c4e6a8b0d2f4';

function incidentOf(name: string, options = {}): Incident {
  const { incident } = normalizeFinding(readJson(`test/fixtures/guardduty/${name}.json`), options);
  if (!incident) throw new Error('no incident');
  return incident;
}

async function plan(incident: Incident, settings = testSettings({ homeAccountId: HOME })) {
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  const facts = await runTask(describePrincipal, { incidentId: INCIDENT_ID, incident, settings }, { iam: acct.iam });
  const result = (await runTask(
    planContainment,
    {
      incidentId: INCIDENT_ID,
      incident,
      settings,
      enrichment: { describePrincipal: facts },
      contain: CONTAIN,
      previouslyApplied: [],
    },
    { s3: acct.s3, ec2: acct.ec2 },
  )) as Plan & { count: number };
  return { result, iamCalls: acct };
}

const denied = (item: PlanItem | undefined) =>
  (item as { statements?: { Condition?: Record<string, Record<string, unknown>> }[] } | undefined)?.statements?.[0]
    ?.Condition;

describe('a caller from an account we do not manage', () => {
  it('gets no credential action; the bucket Deny names its role in its own account; the report names the account', async () => {
    const { result } = await plan(incidentOf('cross-account-caller-event'));

    expect(result.items.map((item) => item.action)).toEqual(['startMacieJob', 'denyBucketAccess']);
    expect(result.notPlanned).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'revokeRoleSessions',
          reason: expect.stringContaining(`account ${OUTSIDER}`),
        }),
      ]),
    );
    expect(denied(result.items.find((item) => item.action === 'denyBucketAccess'))?.ArnEquals).toEqual({
      'aws:PrincipalArn': [`arn:aws:iam::${OUTSIDER}:role/Admin`, `arn:aws:iam::${OUTSIDER}:role/*/Admin`],
    });
    expect(result.recommendations.join('\n')).toMatch(new RegExp(`Notify the owner of account ${OUTSIDER}`));
  });

  it('an IAM user of that account with a leaked long-term key: no key or session action on our same-named user', async () => {
    const event = withField(guardDutyEvent(), 'detail.service.action.awsApiCallAction.remoteAccountDetails', {
      accountId: OUTSIDER,
      affiliated: false,
    });
    const { incident } = normalizeFinding(event);
    if (!incident) throw new Error('no incident');

    const { result } = await plan(incident);

    expect(result.items.map((item) => item.action)).toEqual(['startMacieJob', 'denyBucketAccess']);
    for (const action of ['deactivateAccessKey', 'revokeUserSessions'])
      expect(result.notPlanned).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action, reason: expect.stringContaining(`account ${OUTSIDER}`) }),
        ]),
      );
  });

  it('is never looked up in IAM under our account', async () => {
    const incident = incidentOf('cross-account-caller-event');
    const { account: acct } = account(scenario('assumed-role-exfiltration'));
    const calls: string[] = [];
    const iam = new Proxy(acct.iam, {
      get: (target, name) => {
        const value = Reflect.get(target, name);
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              calls.push(String(name));
              return value.apply(target, args);
            }
          : value;
      },
    });

    const facts = await runTask(
      describePrincipal,
      { incidentId: INCIDENT_ID, incident, settings: testSettings({ homeAccountId: HOME }) },
      { iam },
    );

    expect(calls).toEqual([]);
    expect(facts).toMatchObject({ resolvedArn: `arn:aws:iam::${OUTSIDER}:role/Admin` });
  });

  it('is denied by aws:PrincipalAccount when only its account is known', async () => {
    const incident: Incident = {
      ...incidentOf('cross-account-caller-event'),
      principal: { type: 'Unknown', rawType: 'AWSAccount', accountId: OUTSIDER },
    };

    const { result } = await plan(incident);

    const condition = denied(result.items.find((item) => item.action === 'denyBucketAccess'));
    expect(condition?.StringEquals).toEqual({ 'aws:PrincipalAccount': [OUTSIDER] });
    expect(condition?.ArnEquals).toBeUndefined();
  });

  it('never denies one of our own accounts whole', async () => {
    const incident: Incident = {
      ...incidentOf('cross-account-caller-event'),
      principal: { type: 'Unknown', rawType: 'AWSAccount', accountId: MEMBER },
      sourceIps: ['185.220.101.23'],
    };

    const { result } = await plan(incident, testSettings({ homeAccountId: HOME, memberAccounts: [MEMBER] }));

    const condition = denied(result.items.find((item) => item.action === 'denyBucketAccess'));
    expect(condition?.StringEquals).toBeUndefined();
    expect(condition?.IpAddress).toEqual({ 'aws:SourceIp': ['185.220.101.23/32'] });
  });
});

describe('a caller in a member account', () => {
  it('gets its credential action, planned in its own account', async () => {
    const incident = incidentOf('cross-account-caller-event');
    const member = normalizeFinding(
      withField(
        readJson('test/fixtures/guardduty/cross-account-caller-event.json'),
        'detail.service.action.awsApiCallAction.remoteAccountDetails.accountId',
        MEMBER,
      ),
    ).incident as Incident;

    const outsider = await plan(incident, testSettings({ homeAccountId: HOME, memberAccounts: [MEMBER] }));
    const managed = await plan(member, testSettings({ homeAccountId: HOME, memberAccounts: [MEMBER] }));

    expect(outsider.result.items.some((item) => item.action === 'revokeRoleSessions')).toBe(false);
    expect(managed.result.items.find((item) => item.action === 'revokeRoleSessions')).toMatchObject({
      accountId: MEMBER,
      target: 'Admin',
    });
  });
});

describe('an attack sequence', () => {
  it('plans each principal’s own credential items and one Deny per bucket naming every principal', async () => {
    const { result } = await plan(incidentOf('attack-sequence-compromised-data-event'));

    expect(result.items.map((item) => item.id)).toEqual([
      'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
      'revokeUserSessions:user/developer-jane',
      expect.stringMatching(/^startMacieJob:/),
      'denyBucketAccess:customer-records',
      'denyBucketAccess:payroll-exports',
    ]);
    const principals = denied(result.items.find((item) => item.target === 'payroll-exports'))?.ArnEquals?.[
      'aws:PrincipalArn'
    ] as string[];
    expect(principals).toEqual(
      expect.arrayContaining([
        `arn:aws:iam::${HOME}:user/engineering/developer-jane`,
        `arn:aws:iam::${OUTSIDER}:role/Admin`,
      ]),
    );
    expect(result.recommendations.join('\n')).toContain(`Notify the owner of account ${OUTSIDER}`);
  });

  it('revokes the sessions of every role of ours it names, once per role', async () => {
    const base = incidentOf('attack-sequence-compromised-data-event');
    const role = (session: string): Principal => ({
      type: 'AssumedRole',
      userName: 'etl-pipeline',
      sessionName: session,
      sessionIssuer: `arn:aws:iam::${HOME}:role/etl-pipeline`,
      arn: `arn:aws:sts::${HOME}:assumed-role/etl-pipeline/${session}`,
      accessKeyId: 'ASIA3EXAMPLESESSN123',
    });
    const incident: Incident = { ...base, principals: [base.principal, role('a'), role('b')] };

    const { result } = await plan(incident);

    expect(result.items.filter((item) => item.action === 'revokeRoleSessions').map((item) => item.target)).toEqual([
      'etl-pipeline',
    ]);
  });
});

describe('a sample run as a drill', () => {
  it('plans as usual and marks every item to be skipped, naming the placeholders', async () => {
    const incident = incidentOf('sample-finding-docs-values', { acceptSampleFindings: true });

    const { result } = await plan(incident, testSettings({ homeAccountId: '000000000000' }));

    expect(result.items.length).toBeGreaterThan(0);
    for (const item of result.items) expect(item.skip).toMatch(/sample finding run as a drill.*bucketName/);
  });
});

describe('a sample drill in every input form', () => {
  const forms = (): [string, unknown][] => {
    const api = readJson<{ Findings: Record<string, unknown>[] }>(
      'test/fixtures/guardduty/sample-finding-docs-values.json',
    );
    return [
      ['EventBridge event', readJson('test/fixtures/guardduty/sample-finding-event.json')],
      ['API form', api],
      ['one API finding', api.Findings[0]],
    ];
  };

  it('plans every action on the placeholders, each item skipped, and names no placeholder as not planned', async () => {
    const planned: string[][] = [];
    for (const [, input] of forms()) {
      const { incident } = normalizeFinding(input, { acceptSampleFindings: true });
      if (!incident) throw new Error('no incident');

      const { result } = await plan(incident);

      planned.push(
        result.items.map((item) => `${item.action} ${item.target}`).filter((line) => !line.startsWith('startMacieJob')),
      );
      expect(result.items.every((item) => item.skip?.startsWith('sample finding run as a drill'))).toBe(true);
      expect(result.items.map((item) => item.action)).toEqual(
        expect.arrayContaining(['deactivateAccessKey', 'revokeUserSessions', 'startMacieJob', 'denyBucketAccess']),
      );
      expect(result.notPlanned.filter((entry) => entry.action !== 'restrictVpcEndpoint')).toEqual([]);
    }
    expect(planned[0]).toEqual(
      expect.arrayContaining([
        'deactivateAccessKey GeneratedFindingAccessKeyId',
        'revokeUserSessions user/GeneratedFindingUserName',
        'denyBucketAccess bucketName',
      ]),
    );
    expect(planned[1]).toEqual(planned[2]);
  });

  it('accepts a placeholder identifier only in a skipped item', async () => {
    const { incident } = normalizeFinding(readJson('test/fixtures/guardduty/sample-finding-event.json'), {
      acceptSampleFindings: true,
    });
    if (!incident) throw new Error('no incident');
    const { result } = await plan(incident);
    const item = result.items.find((one) => one.action === 'deactivateAccessKey');

    const { skip: _skip, ...unskipped } = item ?? ({} as PlanItem);

    expect(PlanItem.safeParse(item).success).toBe(true);
    expect(PlanItem.safeParse(unskipped).error?.issues[0]?.message).toMatch(/access key id/);
  });
});

describe('an IAM user whose long-term key leaked', () => {
  it('plans its user sessions and shows no role-sessions line, planned or not, next to them', async () => {
    const { incident } = normalizeFinding(guardDutyEvent());
    if (!incident) throw new Error('no incident');

    const { result } = await plan(incident);
    const message = JSON.stringify(
      approvalMessage({
        incidentId: INCIDENT_ID,
        incident,
        plan: result,
        enrichment: {},
        now: new Date().toISOString(),
      } as never),
    );

    expect(incident.principal).toMatchObject({ type: 'IAMUser', accessKeyId: expect.stringMatching(/^AKIA/) });
    expect(result.items.map((item) => item.action)).toContain('revokeUserSessions');
    expect(result.notPlanned.map((entry) => entry.action)).not.toContain('revokeRoleSessions');
    expect(message).not.toMatch(/Revoke the role/);
  });
});
