import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestApproval } from '../../handlers/request-approval/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { ApprovalExpired } from '../../handlers/shared/errors.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, TimelineEvent } from '../../handlers/shared/store/types.js';
import type { ChatRecord } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { type SimulateResult, simulate } from '../../local/simulate.js';
import { failure } from '../support/errors.js';
import { guardDutyEvent, readJson, withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';
import { run, variant } from '../support/simulate.js';

const FINDING = 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b';
const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';
const KEY = 'AKIA3EXAMPLEJNE7WXYZ';
const BUCKET = 'customer-records';

/** The seed's first GuardDuty event, as another delivery: `count`, at `minutes` after the first. */
function delivery(count: number, minutes: number, id = FINDING): Record<string, unknown> {
  const at = new Date(Date.parse('2026-02-23T04:15:31Z') + minutes * 60_000).toISOString();
  let event = withField(guardDutyEvent(), 'detail.service.count', count);
  event = withField(event, 'detail.updatedAt', at);
  event = withField(event, 'time', at);
  return withField(event, 'detail.id', id);
}

const requested = (result: SimulateResult) =>
  result.incidents.flatMap((incident) => incident.states).filter((state) => state === 'Request Approval').length;

describe('correlation and dedupe', () => {
  it('the same finding delivered 3 times (counts 1, 5, 40): one incident, one approval, 3 timeline entries', async () => {
    let record: IncidentRecord | undefined;
    let timeline: TimelineEvent[] = [];
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [delivery(1, 0), delivery(5, 1), delivery(40, 2)];
    });
    const chat: ChatRecord[] = [];
    const result = await simulate(input, {
      approve: { kind: 'all' },
      onChat: (entry) => chat.push(entry),
      inspect: async (store, incidents) => {
        const id = incidents[0]?.incidentId as string;
        record = await store.getIncident(id);
        timeline = await store.listEvents(id);
      },
    });

    const [first, second, third] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked', 'linked']);
    expect(second?.incidentId).toBe(first?.incidentId);
    expect(third?.incidentId).toBe(first?.incidentId);
    expect(requested(result)).toBe(1);
    expect(record?.status).toBe('contained');
    const findingEntries = timeline.filter((event) => ['registered', 'finding-updated'].includes(event.kind));
    expect(findingEntries.map((event) => event.text)).toEqual([
      'Incident opened from GuardDuty Exfiltration:S3/AnomalousBehavior',
      'Exfiltration:S3/AnomalousBehavior reported again (count 1 → 5); linked, no new approval',
      'Exfiltration:S3/AnomalousBehavior reported again (count 5 → 40); linked, no new approval',
    ]);
    // Both later deliveries arrived while the approval was pending: they are in the thread and the report.
    expect(chat.filter((entry) => entry.threadTs && /reported again/.test(entry.message.text))).toHaveLength(2);
    expect(first?.reportMarkdown).toMatch(/count 5 → 40/);
  });

  it('a stale redelivery (count not higher) is linked and adds nothing', async () => {
    let timeline: TimelineEvent[] = [];
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [delivery(5, 0), delivery(5, 1), delivery(2, 2)];
    });
    const result = await simulate(input, {
      approve: { kind: 'all' },
      inspect: async (store, incidents) => {
        timeline = await store.listEvents(incidents[0]?.incidentId as string);
      },
    });

    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked', 'linked']);
    expect(result.incidents[1]?.reason).toMatch(/count 5\) is already recorded/);
    expect(timeline.filter((event) => event.kind === 'finding-updated')).toEqual([]);
  });

  it('two different findings for the same principal and bucket within the window: one incident, one approval', async () => {
    let record: IncidentRecord | undefined;
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const input = variant('compromised-iam-user-key', (s) => {
      s.approvalDelayMinutes = 30;
      const second = withField(delivery(1, 20, other), 'detail.type', 'Exfiltration:S3/MaliciousIPCaller');
      s.events = [delivery(1, 0), second];
    });
    const chat: ChatRecord[] = [];
    const result = await simulate(input, {
      approve: { kind: 'all' },
      onChat: (entry) => chat.push(entry),
      inspect: async (store, incidents) => {
        record = await store.getIncident(incidents[0]?.incidentId as string);
      },
    });

    const [first, second] = result.incidents;
    expect([first?.status, second?.status]).toEqual(['contained', 'linked']);
    expect(second?.incidentId).toBe(first?.incidentId);
    expect(second?.reason).toMatch(/folded into open incident .* same principal and bucket/);
    expect(requested(result)).toBe(1);
    expect(record?.findingIds).toEqual([FINDING, other]);
    expect(first?.reportMarkdown).toMatch(/Folded in: GuardDuty Exfiltration:S3\/MaliciousIPCaller/);
    expect(chat.some((entry) => entry.threadTs && /Folded in/.test(entry.message.text))).toBe(true);
  });

  it('folds our own detection into the open GuardDuty incident for the same principal and bucket', async () => {
    const incident = {
      ...normalizeFinding(guardDutyEvent()).incident,
      source: 'detection',
      findingId: 'cross-account-copy-0001',
      findingType: 'S3ExfilResponder:S3/CrossAccountCopy',
      principal: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::123456789012:user/engineering/developer-jane',
        userName: 'developer-jane',
        accessKeyId: KEY,
      },
    };
    const input = variant('compromised-iam-user-key', (s) => {
      s.approvalDelayMinutes = 30;
      s.events = [
        delivery(1, 0),
        {
          // The detection handler's start of the playbook, with its envelope.
          console: {
            source: 's3-exfil-responder.detection',
            'detail-type': 'S3 Exfil Responder Detection',
            time: '2026-02-23T04:25:00Z',
            detail: { rule: 'cross-account-copy', incident },
          },
        },
      ];
    });

    const result = await run(input);

    expect(result.incidents.map((entry) => entry.status)).toEqual(['contained', 'linked']);
    expect(result.incidents[1]?.incidentId).toBe(result.incidents[0]?.incidentId);
    expect(requested(result)).toBe(1);
  });

  it('a contained incident stays open: a later finding for the same principal and bucket is linked, not asked again', async () => {
    let record: IncidentRecord | undefined;
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [delivery(1, 0), delivery(1, 30, other)];
    });
    const result = await simulate(input, {
      approve: { kind: 'all' },
      inspect: async (store, incidents) => {
        record = await store.getIncident(incidents[0]?.incidentId as string);
      },
    });

    const [first, second] = result.incidents;
    expect([first?.status, second?.status]).toEqual(['contained', 'linked']);
    expect(second?.incidentId).toBe(first?.incidentId);
    expect(record?.findingIds).toEqual([FINDING, other]);
    expect(record?.lastSignalAt).toBeDefined();
    expect(requested(result)).toBe(1);
    const ours = Object.values(result.account.bucketPolicies).flatMap((policy) =>
      ((policy as { Statement?: { Sid?: string }[] } | null)?.Statement ?? []).filter((statement) =>
        statement.Sid?.startsWith('IR'),
      ),
    );
    expect(ours).toHaveLength(1);
  });
});

describe('closing in a simulated run', () => {
  it('a close step closes the incident once; the next finding for its principal and bucket opens a new incident that follows it', async () => {
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee01';
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        delivery(1, 0),
        { close: { incidentId: '@1', resolution: 'false-positive', note: 'nightly <!here> export' } },
        { close: { incidentId: '@1', resolution: 'benign' } },
        delivery(1, 30, other),
      ];
    });

    const result = await run(input);

    const [opened, closed, again, next] = result.incidents;
    expect([opened?.status, closed?.status, again?.status]).toEqual(['contained', 'contained', 'contained']);
    expect(closed).toMatchObject({
      incidentId: opened?.incidentId,
      route: 'close',
      reason: 'closed by cli:local: false positive',
    });
    expect(again?.reason).toMatch(/^already closed \(false positive, by cli:local at [^)]+\); nothing changed$/);
    expect(closed?.reportMarkdown).toContain('CLOSED:\n  Resolution: false positive\n  Closed by: cli:local');
    expect(closed?.slackMessages.filter((message) => message.method === 'chat.postMessage')).toHaveLength(1);
    expect(again?.slackMessages).toEqual([]);
    expect(next?.status).toBe('contained');
    expect(next?.incidentId).not.toBe(opened?.incidentId);
    expect(next?.reportMarkdown).toContain(
      `Follows incident ${opened?.incidentId} (contained, closed: false_positive)`,
    );
    expect(requested(result)).toBe(2);
  });

  it('a close step naming no earlier incident is an InvalidScenario naming the field', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [delivery(1, 0), { close: { incidentId: '@3', resolution: 'benign' } }];
    });

    await expect(run(input)).rejects.toMatchObject({
      name: 'InvalidScenario',
      message: expect.stringContaining('events[1].close.incidentId'),
    });
  });
});

describe('manual re-run from the console', () => {
  it('re-run by incident id after containment: every action already, status unchanged, nobody asked', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [s.events[0], { console: { incidentId: '@1', rerun: true } }];
    });
    const once = await run(
      variant('compromised-iam-user-key', (s) => {
        s.events = s.events.slice(0, 1);
      }),
    );

    const result = await run(input);

    const [first, rerun] = result.incidents;
    expect(first?.status).toBe('contained');
    expect(rerun).toMatchObject({ incidentId: first?.incidentId, status: 'contained' });
    expect(rerun?.applied.map((entry) => [entry.action, entry.result])).toEqual([
      ['deactivateAccessKey', 'already'],
      ['deactivateAccessKey', 'already'],
      ['revokeUserSessions', 'already'],
      ['startMacieJob', 'already'],
      ['denyBucketAccess', 'already'],
    ]);
    expect(rerun?.states).not.toContain('Request Approval');
    expect(rerun?.states).toContain('Confirm Items In Place');
    expect(rerun?.reportMarkdown).toMatch(/Re-run requested/);
    expect(result.account).toEqual(once.account);
  });

  it('a re-run after a partial containment asks only for what is not in effect, and confirms the rest', async () => {
    const posts: ChatRecord[] = [];
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [s.events[0], { console: { incidentId: '@1', rerun: true } }];
      s.faults = [{ call: 'iam:UpdateAccessKey', error: 'AccessDenied', times: 1 }];
    });

    const result = await simulate(input, { approve: { kind: 'all' }, onChat: (entry) => posts.push(entry) });

    const [first, rerun] = result.incidents;
    expect(first?.status).toBe('partially_contained');
    expect(rerun?.status).toBe('contained');
    expect(rerun?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    expect(rerun?.states).toContain('Approve Items In Place');
    expect(rerun?.applied.map((entry) => [entry.action, entry.result])).toEqual([
      ['deactivateAccessKey', 'applied'],
      ['deactivateAccessKey', 'already'],
      ['revokeUserSessions', 'already'],
      ['startMacieJob', 'already'],
      ['denyBucketAccess', 'already'],
    ]);
    expect(result.account.accessKeys[KEY]).toBe('Inactive');
    const policy = result.account.bucketPolicies[BUCKET] as { Statement: { Sid?: string }[] };
    expect(policy.Statement.filter((statement) => statement.Sid?.startsWith('IR'))).toHaveLength(1);
    // The re-run's request: one checkbox (the key), and what is already in place shown, not asked.
    // The re-run updates the incident's message in place: its last version with buttons is the re-run's request.
    const versions = posts.find((entry) => entry.threadTs === undefined && entry.message.blocks)?.history ?? [];
    const request = JSON.stringify(
      versions.filter((version) => JSON.stringify(version).includes('approve_plan')).at(-1),
    );
    expect(request).toContain('Already in place');
    expect(request).toContain('Deny in the bucket policy of customer-records');
    expect(
      [...request.matchAll(/"value":"(deactivateAccessKey|startMacieJob|denyBucketAccess)"/g)].map((m) => m[1]),
    ).toEqual(['deactivateAccessKey', 'deactivateAccessKey']);
  });

  it('accepts every console form: an event, a bare finding, get-findings output, a finding id, a re-run', async () => {
    const event = delivery(1, 0);
    const api = readJson<{ Findings: Record<string, unknown>[] }>('test/fixtures/guardduty/get-findings-output.json');
    const apiFinding = (count: number) =>
      withField(api.Findings[0] as Record<string, unknown>, 'Service.Count', count) as Record<string, unknown>;
    const input = variant('compromised-iam-user-key', (s) => {
      s.guardduty = { detectorId: DETECTOR, findings: [apiFinding(4)] };
      s.events = [
        { console: event },
        { console: (delivery(2, 1) as { detail: unknown }).detail },
        { console: { Findings: [apiFinding(3)] } },
        { console: { findingId: FINDING, detectorId: DETECTOR } },
        { console: { incidentId: '@1', rerun: true } },
      ];
    });

    const result = await run(input);

    expect(result.incidents.map((incident) => [incident.status, incident.error])).toEqual([
      ['contained', undefined],
      ['linked', undefined],
      ['linked', undefined],
      ['linked', undefined],
      ['contained', undefined],
    ]);
    expect(new Set(result.incidents.map((incident) => incident.incidentId)).size).toBe(1);
    expect(requested(result)).toBe(1);
  });

  it.each([
    [
      'a finding id without its detector',
      { findingId: FINDING },
      /^detectorId: is required \(read as a finding reference/,
    ],
    ['a finding id of the wrong type', { findingId: 42, detectorId: DETECTOR }, /^findingId: .*expected string/],
    [
      'a finding the detector does not know',
      { findingId: 'ffffffffffffffffffffffffffffffff', detectorId: DETECTOR },
      /^findingId: finding ffffffffffffffffffffffffffffffff not found in detector 12abc34d567e8fa901bc2d34e56789f0/,
    ],
    [
      'another detector',
      { findingId: FINDING, detectorId: 'aaaabbbb' },
      /^detectorId: .*not owned by the current account/,
    ],
    [
      'an unknown incident',
      { incidentId: '20260223-000000000000', rerun: true },
      /^incidentId: incident 20260223-000000000000 not found/,
    ],
    ['a malformed incident id', { incidentId: 'INC-1', rerun: true }, /^incidentId: must be an incident id/],
    ['rerun not true', { incidentId: '20260223-000000000000', rerun: 'yes' }, /^rerun: must be true/],
    [
      'an unknown key on a re-run',
      { incidentId: '20260223-000000000000', rerun: true, force: 1 },
      /Unrecognized key.*force/,
    ],
    ['an unrecognized object', { hello: 'world' }, /^unrecognized input \(keys: hello\); accepted inputs: /],
    ['an array', [], /^the execution input must be a JSON object, not an array/],
    ['no findings', { Findings: [] }, /^Findings: must hold exactly one finding/],
    [
      'an event without detail',
      { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty' },
      /^detail: is required/,
    ],
    ['a finding without a type', withField(guardDutyEvent(), 'detail.type', undefined), /^detail\.type: is required/],
  ])('refuses %s with InvalidExecutionInput naming the problem', async (_label, console, message) => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.guardduty = { detectorId: DETECTOR, findings: [] };
      s.events = [{ console }];
    });

    const result = await run(input);

    expect(result.incidents[0]).toMatchObject({ status: 'failed', error: 'InvalidExecutionInput', incidentId: null });
    expect(result.incidents[0]?.reason).toMatch(message);
    // A shape problem lists what is accepted; a lookup that finds nothing says what it looked for.
    const lookup = /not found|not owned/.test(result.incidents[0]?.reason ?? '');
    expect(/accepted inputs: /.test(result.incidents[0]?.reason ?? '')).toBe(!lookup);
    expect(result.incidents[0]?.states).toEqual(['Start', 'Register Incident']);
  });
});

describe('redrive: the approval is keyed by execution attempt', () => {
  let stores: Awaited<ReturnType<typeof dynaliteStore>>;
  beforeAll(async () => {
    stores = await dynaliteStore('lifecycle-redrive');
  });
  afterAll(async () => stores.stop());

  it('a redriven execution after the deadline asks again instead of failing with ApprovalExpired forever', async () => {
    const { store } = stores;
    const incident = normalizeFinding(guardDutyEvent()).incident as IncidentRecord['incident'];
    const incidentId = '20260223-0123456789ab';
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    await store.createIncident({
      incidentId,
      status: 'open',
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
      executionName: 'exec-1',
      incident,
      findingIds: [incident.findingId],
    });
    const posts: unknown[] = [];
    let n = 0;
    const ports = {
      store,
      clock,
      chat: {
        post: async (args: unknown) => {
          posts.push(args);
          return { channel: 'C0SECOPS01', ts: `1.${posts.length}` };
        },
        update: async () => undefined,
      },
      random: {
        token: () => {
          n += 1;
          return `nonce-${n}-abcdefghijklmnopqrstuvwxyz`;
        },
      },
    };
    const settings = testSettings({ approvalTimeoutSeconds: 3600 });
    const ask = (redriveCount: number) =>
      runTask(
        requestApproval,
        {
          taskToken: `token-${redriveCount}`,
          incidentId,
          incident,
          settings,
          plan: { items: [], recommendations: [], notPlanned: [], count: 0 },
          enrichment: {},
          executionName: 'exec-1',
          redriveCount,
        },
        ports,
      );

    const first = await ask(0);
    clock.advance(2 * 3600 * 1000);
    const expired = await failure(ask(0));
    const redriven = await ask(1);

    expect(first).toEqual({ nonce: 'nonce-1-abcdefghijklmnopqrstuvwxyz', round: 1 });
    expect(expired).toBeInstanceOf(ApprovalExpired);
    expect(redriven).toEqual({ nonce: 'nonce-2-abcdefghijklmnopqrstuvwxyz', round: 1 });
    const record = await store.getIncident(incidentId);
    expect(record?.approval).toEqual({
      nonce: redriven.nonce,
      round: 1,
      attempt: 'exec-1#1',
      deadline: new Date(clock.now().getTime() + 3600 * 1000).toISOString(),
    });
    expect((await store.getApproval(first.nonce))?.status).toBe('superseded');
    expect(await store.getApproval(redriven.nonce)).toMatchObject({ status: 'pending', taskToken: 'token-1' });
    // A heartbeat re-entry of the redriven attempt keeps its deadline and counts the round.
    clock.advance(600 * 1000);
    expect(await ask(1)).toMatchObject({ round: 2 });
  });
});
