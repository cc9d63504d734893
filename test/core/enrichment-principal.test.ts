import { describe, expect, it } from 'vitest';
import { type Identity, managementEvent, random } from '../../examples/src/records.js';
import {
  collectManagementEvents,
  LOOKBACK_HOURS,
  MAX_PAGES_PER_LOOKUP,
} from '../../handlers/collect-management-events/core.js';
import { describePrincipal } from '../../handlers/describe-principal/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { AwsAccessDenied, AwsThrottling } from '../../handlers/shared/errors.js';
import type { CloudTrailPort, IamPort, LookupEventsPage } from '../../handlers/shared/ports.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import type { Principal } from '../../handlers/shared/schemas/incident.js';
import { SimClock } from '../../local/clock.js';
import { parseScenario, type Scenario } from '../../local/scenario.js';
import { account } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const FIRST_SEEN = '2026-02-23T03:00:00Z';
const NOW = '2026-02-23T04:20:00.000Z';
const JANE = `arn:aws:iam::${ACCOUNT}:user/engineering/developer-jane`;
const OLD_KEY = 'AKIA3EXAMPLEJNE7WXYZ';
const NEW_KEY = 'AKIA3EXAMPLEJNENEW01';
const ATTACKER_IP = '198.51.100.23';

const janeIdentity = (accessKeyId = OLD_KEY): Identity => ({
  type: 'IAMUser',
  account: ACCOUNT,
  principalId: 'AIDA3EXAMPLEJANE0001',
  arn: JANE,
  accessKeyId,
  userName: 'developer-jane',
});

const sessionIdentity = (role: string, session: string, accessKeyId: string, path = '/'): Identity => ({
  type: 'AssumedRole',
  account: ACCOUNT,
  principalId: `AROA3EXAMPLE${role.length}ROLE:${session}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
  accessKeyId,
  roleArn: `arn:aws:iam::${ACCOUNT}:role${path}${role}`,
  roleName: role,
  sessionCreated: '2026-02-23T01:00:00Z',
});

const next = random(7);
function event(
  identity: Identity,
  eventName: string,
  eventTime: string,
  requestParameters: Record<string, unknown> | null = null,
): CloudTrailRecord {
  return managementEvent(
    {
      identity,
      eventName,
      eventSource: eventName.includes('Bucket') ? 's3.amazonaws.com' : 'iam.amazonaws.com',
      eventTime,
      sourceIp: ATTACKER_IP,
      userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
      region: REGION,
      requestParameters,
    },
    next,
  ) as CloudTrailRecord;
}

function world(overrides: Partial<Scenario['iam']> = {}, managementEvents: CloudTrailRecord[] = []): Scenario {
  return parseScenario({
    account: ACCOUNT,
    region: REGION,
    iam: {
      users: [
        {
          userName: 'developer-jane',
          arn: JANE,
          createDate: '2023-05-02T09:14:00Z',
          mfaDevices: 1,
          loginProfile: { createDate: '2023-05-02T09:20:00Z' },
          accessKeys: [
            {
              accessKeyId: OLD_KEY,
              createDate: '2025-03-11T10:02:00Z',
              lastUsedDate: '2026-02-23T04:12:00Z',
              lastUsedService: 's3',
            },
            { accessKeyId: NEW_KEY, createDate: '2026-02-23T02:00:00Z', lastUsedDate: '2026-02-23T02:30:00Z' },
          ],
        },
        { userName: 'svc-build', arn: `arn:aws:iam::${ACCOUNT}:user/svc-build` },
      ],
      roles: [
        {
          roleName: 'AWSServiceRoleForSupport',
          arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
        },
        {
          roleName: 'AWSReservedSSO_DataEngineer_0123456789abcdef',
          arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataEngineer_0123456789abcdef`,
        },
        { roleName: 'analytics-reader', arn: `arn:aws:iam::${ACCOUNT}:role/analytics-reader` },
      ],
      ...overrides,
    },
    cloudtrail: { managementEvents },
    events: [{}],
  });
}

function input(principal: Principal, firstSeen = FIRST_SEEN) {
  return {
    incidentId: '20260223-0123456789ab',
    settings: testSettings(),
    incident: {
      source: 'guardduty',
      findingId: 'f0c8a2b1d3e4f5a6b7c8d9e0f1a2b3c4',
      findingType: 'Exfiltration:S3/AnomalousBehavior',
      severity: 8,
      accountId: ACCOUNT,
      region: REGION,
      principal,
      buckets: ['customer-records'],
      sourceIps: [ATTACKER_IP],
      firstSeen,
      lastSeen: '2026-02-23T04:00:00Z',
      count: 1,
    },
  };
}

const janePrincipal: Principal = {
  type: 'IAMUser',
  userName: 'developer-jane',
  accessKeyId: OLD_KEY,
  arn: `arn:aws:iam::${ACCOUNT}:user/developer-jane`,
  principalId: 'AIDA3EXAMPLEJANE0001',
};

function rolePrincipal(role: string, session: string): Principal {
  return {
    type: 'AssumedRole',
    userName: role,
    accessKeyId: 'ASIA3EXAMPLESESSION1',
    principalId: `AROA3EXAMPLEROLE0001:${session}`,
    sessionName: session,
    sessionIssuer: `arn:aws:iam::${ACCOUNT}:role/${role}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
  };
}

describe('describePrincipal: an IAM user', () => {
  it('reports MFA and console access, and flags the key created an hour before the activity, not the old one', async () => {
    const { account: acct } = account(world());

    const facts = await runTask(describePrincipal, input(janePrincipal), { iam: acct.iam });

    expect(facts).toMatchObject({
      status: 'ok',
      resolvedArn: JANE,
      createDate: '2023-05-02T09:14:00Z',
      userName: 'developer-jane',
      mfa: { devices: 1, enabled: true },
      consoleAccess: true,
      consolePasswordCreateDate: '2023-05-02T09:20:00Z',
      recentKeys: [NEW_KEY],
    });
    expect(facts.findingKey).toEqual({
      accessKeyId: OLD_KEY,
      status: 'Active',
      createDate: '2025-03-11T10:02:00Z',
      lastUsedDate: '2026-02-23T04:12:00Z',
      lastUsedService: 's3',
      lastUsedRegion: undefined,
      recent: false,
      lastUsedLookup: undefined,
    });
    expect(facts.otherKeys).toEqual([
      expect.objectContaining({
        accessKeyId: NEW_KEY,
        status: 'Active',
        recent: true,
        lastUsedDate: '2026-02-23T02:30:00Z',
      }),
    ]);
    expect(facts.notes).toEqual([
      expect.stringMatching(/^key AKIA\.\.\.EW01 was created 2026-02-23T02:00:00Z, within 72 h/),
    ]);
    expect(facts.identityLookup).toBeUndefined();
    expect(facts.keysLookup).toBeUndefined();
  });

  it('reports no MFA and no console password (GetLoginProfile NoSuchEntity) as facts, not failures', async () => {
    const { account: acct } = account(world());

    const facts = await runTask(
      describePrincipal,
      input({ type: 'IAMUser', userName: 'svc-build', arn: `arn:aws:iam::${ACCOUNT}:user/svc-build` }),
      { iam: acct.iam },
    );

    expect(facts.mfa).toEqual({ devices: 0, enabled: false });
    expect(facts.consoleAccess).toBe(false);
    expect(facts.recentKeys).toEqual([]);
    expect(facts.notes).toContain('svc-build has no MFA device');
  });

  it('a GetAccessKeyLastUsed AccessDenied on one key degrades only that key', async () => {
    const { account: acct } = account(world());
    const iam: IamPort = {
      ...acct.iam,
      getAccessKeyLastUsed: async (args) => {
        if (args.accessKeyId === NEW_KEY) {
          throw new AwsAccessDenied('iam:GetAccessKeyLastUsed failed: AccessDenied: not authorized');
        }
        return acct.iam.getAccessKeyLastUsed(args);
      },
    };

    const facts = await runTask(describePrincipal, input(janePrincipal), { iam });

    expect(facts.findingKey).toMatchObject({ accessKeyId: OLD_KEY, lastUsedDate: '2026-02-23T04:12:00Z' });
    expect(facts.findingKey?.lastUsedLookup).toBeUndefined();
    expect(facts.otherKeys).toEqual([
      expect.objectContaining({
        accessKeyId: NEW_KEY,
        status: 'Active',
        recent: true,
        lastUsedDate: undefined,
        lastUsedLookup: {
          status: 'unavailable',
          reason: 'iam:GetAccessKeyLastUsed failed: AccessDenied: not authorized',
          error: 'AwsAccessDenied',
        },
      }),
    ]);
    expect(facts).toMatchObject({
      status: 'ok',
      resolvedArn: JANE,
      mfa: { devices: 1, enabled: true },
      consoleAccess: true,
    });
    expect(facts.notes).toContain(
      'last use of key AKIA...EW01 is unknown: iam:GetAccessKeyLastUsed failed: AccessDenied: not authorized',
    );
  });

  it('each failing IAM part degrades on its own: GetUser, ListMFADevices, GetLoginProfile', async () => {
    const { account: acct } = account(world(), [
      { call: 'iam:GetUser', error: 'AccessDenied', times: 1 },
      { call: 'iam:ListMFADevices', error: 'AccessDenied', times: 1 },
      { call: 'iam:GetLoginProfile', error: 'ThrottlingException', times: 1 },
    ]);

    const facts = await runTask(describePrincipal, input(janePrincipal), { iam: acct.iam });

    expect(facts.identityLookup).toMatchObject({ status: 'unavailable' });
    expect(facts.resolvedArn).toBe(janePrincipal.arn);
    expect(facts.mfa).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('AccessDenied') });
    expect(facts.consoleAccess).toMatchObject({ status: 'unavailable', error: 'AwsThrottling' });
    expect(facts.findingKey?.accessKeyId).toBe(OLD_KEY);
    expect(facts.recentKeys).toEqual([NEW_KEY]);
  });

  it('a console password created after the activity began is a sign of persistence too', async () => {
    const scenario = world();
    const jane = scenario.iam.users[0];
    if (jane) jane.loginProfile = { createDate: '2026-02-23T03:30:00Z' };
    const { account: acct } = account(scenario);

    const facts = await runTask(describePrincipal, input(janePrincipal), { iam: acct.iam });

    expect(facts.consoleAccess).toBe(true);
    expect(facts.notes).toContain(
      "developer-jane's console password was created 2026-02-23T03:30:00Z, within 72 h before the first activity or later: a sign of persistence",
    );
  });
});

describe('describePrincipal: a role session', () => {
  it('a service-linked role: its ARN with the path, the session issuer and name', async () => {
    const { account: acct } = account(world());
    const principal = rolePrincipal('AWSServiceRoleForSupport', 'support-session');

    const facts = await runTask(describePrincipal, input(principal), { iam: acct.iam });

    expect(facts).toEqual({
      status: 'ok',
      type: 'AssumedRole',
      resolvedArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
      createDate: undefined,
      identityLookup: undefined,
      roleName: 'AWSServiceRoleForSupport',
      sessionIssuer: `arn:aws:iam::${ACCOUNT}:role/AWSServiceRoleForSupport`,
      sessionName: 'support-session',
      serviceLinked: true,
      ssoManaged: false,
      otherKeys: [],
      recentKeys: [],
      notes: [],
    });
  });

  it('an IAM Identity Center role: SSO-managed, not service-linked', async () => {
    const { account: acct } = account(world());
    const role = 'AWSReservedSSO_DataEngineer_0123456789abcdef';

    const facts = await runTask(describePrincipal, input(rolePrincipal(role, 'jane@example.com')), { iam: acct.iam });

    expect(facts).toMatchObject({
      resolvedArn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${role}`,
      roleName: role,
      sessionName: 'jane@example.com',
      serviceLinked: false,
      ssoManaged: true,
    });
    expect(facts.mfa).toBeUndefined();
    expect(facts.consoleAccess).toBeUndefined();
  });

  it('when GetRole fails, the role kind is judged from its name and the failure is reported', async () => {
    const { account: acct } = account(world(), [{ call: 'iam:GetRole', error: 'AccessDenied', times: 2 }]);

    const sso = await runTask(
      describePrincipal,
      input(rolePrincipal('AWSReservedSSO_DataEngineer_0123456789abcdef', 'jane@example.com')),
      { iam: acct.iam },
    );
    const linked = await runTask(describePrincipal, input(rolePrincipal('AWSServiceRoleForSupport', 's')), {
      iam: acct.iam,
    });

    expect(sso).toMatchObject({ ssoManaged: true, serviceLinked: false, identityLookup: { status: 'unavailable' } });
    expect(sso.resolvedArn).toBe(`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_DataEngineer_0123456789abcdef`);
    expect(linked).toMatchObject({ serviceLinked: true, ssoManaged: false });
  });
});

/** Simulated time, with every wait the pacer asks for recorded. */
function timing(start = NOW) {
  const clock = new SimClock(new Date(start));
  const sleeps: number[] = [];
  return {
    clock,
    sleeps,
    timer: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    },
  };
}

type LookupArgs = Parameters<CloudTrailPort['lookupEvents']>[0];

/** A CloudTrail port answering from a script, recording each call with the simulated time it was made at. */
function scriptedCloudTrail(
  clock: SimClock,
  answer: (args: LookupArgs, call: number) => LookupEventsPage | Promise<LookupEventsPage>,
  callTakesMs = 0,
) {
  const calls: (LookupArgs & { at: number })[] = [];
  const port: CloudTrailPort = {
    lookupEvents: async (args) => {
      calls.push({ ...args, at: clock.now().getTime() });
      clock.advance(callTakesMs);
      return answer(args, calls.length);
    },
  };
  return { port, calls };
}

describe('collectManagementEvents', () => {
  it('looks up by access key AND by user name over [firstSeen − 72 h, now], and counts an event both return once', async () => {
    const createKey = event(janeIdentity(), 'CreateAccessKey', '2026-02-23T02:00:00Z', { userName: 'developer-jane' });
    const whoami = event(janeIdentity(), 'GetCallerIdentity', '2026-02-23T01:59:00Z');
    const policy = event(janeIdentity(NEW_KEY), 'PutBucketPolicy', '2026-02-23T02:40:00Z', {
      bucketName: 'customer-records',
    });
    const sameNameRole = event(
      sessionIdentity('deploy', 'developer-jane', 'ASIA3EXAMPLEDEPLOY01'),
      'PutRolePolicy',
      '2026-02-23T02:45:00Z',
      { roleName: 'deploy' },
    );
    const tooOld = event(janeIdentity(), 'CreateAccessKey', '2026-02-19T02:00:00Z');
    const { account: acct } = account(world({}, [createKey, whoami, policy, sameNameRole, tooOld]));
    const { clock, timer } = timing();

    const result = await runTask(collectManagementEvents, input(janePrincipal), {
      cloudtrail: acct.cloudtrail,
      clock,
      timer,
    });

    expect(result.window).toEqual({ startTime: '2026-02-20T03:00:00.000Z', endTime: NOW });
    expect(result.lookups).toEqual([
      {
        attribute: 'AccessKeyId',
        value: OLD_KEY,
        region: REGION,
        pages: 1,
        records: 2,
        status: 'ok',
        truncated: false,
      },
      {
        attribute: 'Username',
        value: 'developer-jane',
        region: REGION,
        pages: 1,
        records: 4,
        status: 'ok',
        truncated: false,
      },
    ]);
    expect(result).toMatchObject({ total: 3, duplicates: 2, otherIdentities: 1, truncated: false });
    expect(result.byEventName).toEqual([
      { eventName: 'CreateAccessKey', count: 1 },
      { eventName: 'GetCallerIdentity', count: 1 },
      { eventName: 'PutBucketPolicy', count: 1 },
    ]);
    expect(result.notable).toEqual([
      {
        eventTime: '2026-02-23T02:00:00Z',
        eventName: 'CreateAccessKey',
        eventSource: 'iam.amazonaws.com',
        sourceIp: ATTACKER_IP,
        userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
        errorCode: undefined,
        eventId: createKey.eventID,
        accessKeyId: OLD_KEY,
        byAccessKey: true,
        attributes: ['AccessKeyId', 'Username'],
        target: 'developer-jane',
      },
      expect.objectContaining({
        eventName: 'PutBucketPolicy',
        accessKeyId: NEW_KEY,
        byAccessKey: false,
        attributes: ['Username'],
        target: 'customer-records',
      }),
    ]);
    expect(result.notes).toEqual([
      expect.stringMatching(/^1 event\(s\) recorded under the same user name by another identity/),
    ]);
  });

  it("for a role session, looks up the session name (CloudTrail's user name), keeping only that role's sessions", async () => {
    const rotated = event(
      sessionIdentity('analytics-reader', 'i-0abc1234def567890', 'ASIA3EXAMPLEROTATED1'),
      'PutBucketReplication',
      '2026-02-23T02:10:00Z',
      { bucketName: 'analytics-lake' },
    );
    const otherRole = event(
      sessionIdentity('ops-admin', 'i-0abc1234def567890', 'ASIA3EXAMPLEOTHER001'),
      'StopLogging',
      '2026-02-23T02:20:00Z',
      { name: 'org-trail' },
    );
    const byRoleName = event(
      sessionIdentity('analytics-reader', 'analytics-reader', 'ASIA3EXAMPLEROLENAME'),
      'DeleteTrail',
      '2026-02-23T02:30:00Z',
      { name: 'org-trail' },
    );
    const { account: acct } = account(world({}, [rotated, otherRole, byRoleName]));
    const { clock, timer } = timing();

    const result = await runTask(
      collectManagementEvents,
      input(rolePrincipal('analytics-reader', 'i-0abc1234def567890')),
      { cloudtrail: acct.cloudtrail, clock, timer },
    );

    expect(result.lookups.map(({ attribute, value }) => ({ attribute, value }))).toEqual([
      { attribute: 'AccessKeyId', value: 'ASIA3EXAMPLESESSION1' },
      { attribute: 'Username', value: 'i-0abc1234def567890' },
    ]);
    expect(result.notable).toEqual([
      expect.objectContaining({ eventName: 'PutBucketReplication', byAccessKey: false, target: 'analytics-lake' }),
    ]);
    expect(result.otherIdentities).toBe(1);
  });

  it('follows NextToken over 3 pages with the same window, and merges the pages', async () => {
    const { clock, timer } = timing();
    const pages: Record<string, LookupEventsPage> = {
      first: {
        records: [event(janeIdentity(), 'CreateAccessKey', '2026-02-23T02:03:00Z', { userName: 'svc-backup' })],
        nextToken: 'token-2',
      },
      'token-2': { records: [event(janeIdentity(), 'ListBuckets', '2026-02-23T02:02:00Z')], nextToken: 'token-3' },
      'token-3': { records: [event(janeIdentity(), 'PutUserPolicy', '2026-02-23T02:01:00Z')] },
    };
    const { port, calls } = scriptedCloudTrail(clock, (args) =>
      args.attribute.key === 'AccessKeyId' ? (pages[args.nextToken ?? 'first'] as LookupEventsPage) : { records: [] },
    );

    const result = await runTask(collectManagementEvents, input(janePrincipal), { cloudtrail: port, clock, timer });

    expect(calls.map((call) => [call.attribute.key, call.nextToken])).toEqual([
      ['AccessKeyId', undefined],
      ['AccessKeyId', 'token-2'],
      ['AccessKeyId', 'token-3'],
      ['Username', undefined],
    ]);
    expect(new Set(calls.map((call) => `${call.startTime}|${call.endTime}`))).toEqual(
      new Set([`2026-02-20T03:00:00.000Z|${NOW}`]),
    );
    expect(calls.every((call) => call.accountId === ACCOUNT && call.region === REGION)).toBe(true);
    expect(result.lookups[0]).toMatchObject({ pages: 3, records: 3, truncated: false });
    expect(result.total).toBe(3);
    expect(result.notable.map((entry) => entry.eventName)).toEqual(['PutUserPolicy', 'CreateAccessKey']);
    expect(result.notable[1]?.target).toBe('svc-backup');
  });

  it('paces LookupEvents at 2 requests a second across both lookups, waiting only as long as needed', async () => {
    const { clock, timer, sleeps } = timing();
    const { port, calls } = scriptedCloudTrail(
      clock,
      (_args, call) => ({ records: [], nextToken: call === 1 || call === 3 ? `token-${call}` : undefined }),
      120,
    );

    await runTask(collectManagementEvents, input(janePrincipal), { cloudtrail: port, clock, timer });

    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((call, index) => call.at - (calls[index]?.at ?? 0));
    expect(gaps).toEqual([500, 500, 500]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 2);
    // Each call took 120 ms of the 500: the pacer waited the rest, never a whole interval more.
    expect(sleeps).toEqual([380, 380, 380]);
  });

  it(`stops each lookup after ${MAX_PAGES_PER_LOOKUP} pages and reports the result as truncated`, async () => {
    const { clock, timer, sleeps } = timing();
    const { port, calls } = scriptedCloudTrail(clock, (args, call) => ({
      records: [event(janeIdentity(), 'ListBuckets', new Date(Date.parse(NOW) - call * 60_000).toISOString())],
      nextToken: `${args.attribute.key}-${call}`,
    }));

    const result = await runTask(collectManagementEvents, input(janePrincipal), { cloudtrail: port, clock, timer });

    expect(calls.filter((call) => call.attribute.key === 'AccessKeyId')).toHaveLength(MAX_PAGES_PER_LOOKUP);
    expect(calls.filter((call) => call.attribute.key === 'Username')).toHaveLength(MAX_PAGES_PER_LOOKUP);
    expect(result.truncated).toBe(true);
    expect(result.lookups).toEqual([
      expect.objectContaining({ attribute: 'AccessKeyId', pages: 10, truncated: true }),
      expect.objectContaining({ attribute: 'Username', pages: 10, truncated: true }),
    ]);
    expect(result.total).toBe(2 * MAX_PAGES_PER_LOOKUP);
    expect(sleeps).toHaveLength(2 * MAX_PAGES_PER_LOOKUP - 1);
    expect(result.notes).toContain(`a lookup stopped after ${MAX_PAGES_PER_LOOKUP} pages with more events left`);
  });

  it('one failed lookup degrades on its own; when both fail the task fails; throttling is left to the state machine', async () => {
    const found = event(janeIdentity(), 'CreateAccessKey', '2026-02-23T02:00:00Z');
    const denied = () => {
      throw new AwsAccessDenied('cloudtrail:LookupEvents failed: AccessDeniedException: not authorized');
    };
    const run = (answer: (args: LookupArgs) => LookupEventsPage) => {
      const { clock, timer } = timing();
      const { port } = scriptedCloudTrail(clock, answer);
      return runTask(collectManagementEvents, input(janePrincipal), { cloudtrail: port, clock, timer });
    };

    const partial = await run((args) => (args.attribute.key === 'Username' ? denied() : { records: [found] }));
    expect(partial.lookups[1]).toEqual({
      attribute: 'Username',
      value: 'developer-jane',
      region: REGION,
      pages: 0,
      records: 0,
      status: 'unavailable',
      reason: 'cloudtrail:LookupEvents failed: AccessDeniedException: not authorized',
      error: 'AwsAccessDenied',
    });
    expect(partial.notable).toHaveLength(1);

    await expect(run(denied)).rejects.toBeInstanceOf(AwsAccessDenied);
    await expect(
      run((args) => {
        if (args.attribute.key === 'Username')
          throw new AwsThrottling('cloudtrail:LookupEvents failed: ThrottlingException');
        return { records: [found] };
      }),
    ).rejects.toBeInstanceOf(AwsThrottling);
  });

  it('starts the window inside the 90 days CloudTrail keeps, and skips a principal with nothing to look up', async () => {
    const { clock, timer } = timing();
    const { port, calls } = scriptedCloudTrail(clock, () => ({ records: [] }));

    const old = await runTask(collectManagementEvents, input(janePrincipal, '2025-11-26T00:00:00Z'), {
      cloudtrail: port,
      clock,
      timer,
    });
    const anonymous = await runTask(
      collectManagementEvents,
      input({ type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' }),
      { cloudtrail: port, clock, timer },
    );

    const ninetyDays = 90 * 24 * 3600_000;
    expect(Date.parse(old.window.startTime)).toBeGreaterThan(Date.parse(old.window.endTime) - ninetyDays);
    expect(old.window.startTime).toBe('2025-11-25T05:20:00.000Z');
    expect(old.window.startTime < '2025-11-26T00:00:00Z').toBe(true);
    expect(old.notes[0]).toMatch(/keeps 90 days/);
    expect(calls).toHaveLength(2);
    expect(anonymous).toMatchObject({ status: 'ok', lookups: [], total: 0, notable: [] });
    expect(LOOKBACK_HOURS).toBe(72);
  });
});
