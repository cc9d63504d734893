import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent } from '../../examples/src/detection-records.js';
import { random, s3DataEvent } from '../../examples/src/records.js';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { detect } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { planContainment } from '../../handlers/plan-containment/core.js';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { widened } from '../../handlers/register-incident/delta.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { detectionEnvelope } from '../../handlers/shared/schemas/detection-envelope.js';
import type { Decision, PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { LifecycleStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { anonymous, REGION } from '../support/detections.js';
import { laterFinding, scenario, withField } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const BUCKET = 'customer-records';
const T0 = Date.parse('2026-02-23T04:15:31Z');
const THREAD = { channel: 'C0SECOPS01', ts: '1700000000.000001' };
const settings = testSettings();

let store: LifecycleStore;
let stop: () => Promise<void>;
let chat: RecordingChat;
let clock: SimClock;
let next: () => number;
let executions = 0;

beforeEach(async () => {
  ({ store, stop } = await dynaliteStore('quiet-delta-test'));
  chat = new RecordingChat();
  clock = new SimClock(new Date(T0));
  next = random(7);
});
afterEach(async () => stop());

/**
 * An anonymous GetObject on the bucket from `ip`, as CloudTrail records it and EventBridge delivers
 * it, through the anonymous rare-source detection: the detection event the playbook starts with.
 */
async function anonymousGet(ip: string): Promise<unknown> {
  const record = s3DataEvent(
    {
      identity: anonymous,
      eventName: 'GetObject',
      eventTime: clock
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      bucket: BUCKET,
      key: `exports/customers-${String(executions).padStart(4, '0')}.csv.gz`,
      sourceIp: ip,
      userAgent: '[python-requests/2.31.0]',
      region: REGION,
      bytesOut: 52_000,
    },
    next,
  );
  const detections = await detect(
    apiCallEvent(record, next),
    { newTerms: new InMemoryNewTermsStore() },
    {
      trustedAccounts: [],
    },
  );
  const [detection] = detections;
  if (detection?.rule !== 'anonymous-rare-source') throw new Error('the anonymous rare-source rule fires');
  return detectionEnvelope(detection);
}

/** Registers a signal as the state machine does (StoreConflict retried), a minute after the last. */
async function register(event: unknown): Promise<Registration> {
  clock.advance(60_000);
  executions += 1;
  const ports = { store, clock, chat, guardduty: { getFindings: async () => [] } };
  const input = { event, settings, executionName: `exec-quiet-${executions}` };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runTask(registerIncident, input, ports);
    } catch (error) {
      if ((error as Error).name !== 'StoreConflict' || attempt === 5) throw error;
    }
  }
}

/** Opens an incident with the first address and folds in the rest while it is still open. */
async function openWith(ips: readonly string[]): Promise<string> {
  const [first, ...rest] = ips;
  const opened = await register(await anonymousGet(first as string));
  const incidentId = opened.incidentId as string;
  for (const ip of rest) await register(await anonymousGet(ip));
  await store.updateIncident(incidentId, { slack: THREAD, updatedAt: clock.now().toISOString() });
  return incidentId;
}

/** The real plan of the Deny by address, from every address the incident knows, as a round plans it. */
async function planRound(incidentId: string): Promise<PlanItem[]> {
  const record = await store.getIncident(incidentId);
  if (!record) throw new Error('the incident exists');
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  const plan = await runTask(
    planContainment,
    {
      incidentId,
      incident: widened(record),
      settings,
      enrichment: {},
      contain: ['denyBucketAccess'],
      previouslyApplied: [],
    },
    { s3: acct.s3, ec2: acct.ec2 },
  );
  await store.updateIncident(incidentId, {
    status: 'awaiting_approval',
    plan: { items: plan.items, recommendations: plan.recommendations, notPlanned: plan.notPlanned },
    updatedAt: clock.now().toISOString(),
  });
  return plan.items;
}

/**
 * The decision on a planned round as the Slack handler and the report record it, and the real
 * apply of each approved item against the scenario's account (unless `apply` is false: its write failed).
 */
async function decideRound(
  incidentId: string,
  items: PlanItem[],
  outcome: Decision['outcome'] = 'approved',
  apply = true,
): Promise<void> {
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  const decidedAt = clock.now().toISOString();
  clock.advance(60_000);
  const approved = outcome === 'approved' ? items : [];
  if (apply) {
    for (const item of approved)
      await runTask(denyBucketAccess, { item, incidentId, settings }, { ...acct, store, clock });
  }
  const decision: Decision = { outcome, via: 'slack', decidedBy: ['U024BE7LH'], decidedAt, approvedPlan: approved };
  await store.updateIncident(incidentId, {
    status: 'contained',
    lastContainmentStatus: 'contained',
    decision,
    updatedAt: clock.now().toISOString(),
  });
}

/** One whole round: planned, decided, applied. */
async function containmentRound(
  incidentId: string,
  outcome: Decision['outcome'] = 'approved',
  apply = true,
): Promise<PlanItem[]> {
  const items = await planRound(incidentId);
  await decideRound(incidentId, items, outcome, apply);
  return items;
}

/** The blocks of the Deny by address a plan item writes. */
function sourceBlocks(items: readonly PlanItem[]): unknown {
  const item = items.find((entry) => entry.action === 'denyBucketAccess');
  const statements = item?.action === 'denyBucketAccess' ? item.statements : [];
  return statements
    .map((statement) => (statement.Condition as { IpAddress?: { 'aws:SourceIp'?: string[] } }).IpAddress)
    .find(Boolean)?.['aws:SourceIp'];
}

const threadTexts = () => chat.messages.filter((entry) => entry.threadTs === THREAD.ts).map((e) => e.message.text);
const foldedLines = async (incidentId: string) =>
  (await store.listEvents(incidentId)).filter((event) => event.kind === 'folded-in').map((event) => event.text);

/** Nine callers of one /24: over the collapse threshold (8), so the Deny names the /24. */
const NINE = Array.from({ length: 9 }, (_, n) => `185.220.101.${10 + n}`);

describe('a signal folding into a contained incident with only addresses no round could act on', () => {
  it('private addresses: the incident is not reopened and nothing is asked; the addresses are recorded and named with their range', async () => {
    const incidentId = await openWith(['45.155.205.23']);
    await containmentRound(incidentId);

    const result = await register(await anonymousGet('10.20.30.40'));

    const record = await store.getIncident(incidentId);
    expect(result).toMatchObject({ status: 'linked', incidentId });
    expect(result.delta).toBeUndefined();
    expect(record?.status).toBe('contained');
    expect(record?.reopenedBy).toBeUndefined();
    expect(record?.signalSourceIps).toContain('10.20.30.40');
    const [line] = (await foldedLines(incidentId)).slice(-1);
    expect(line).toMatch(
      /no new approval\. Nothing is asked for source address\(es\) 10\.20\.30\.40 \(private \(RFC 1918\)\)/,
    );
    expect(threadTexts().filter((text) => text.includes('10.20.30.40'))).toHaveLength(1);
    expect(threadTexts().some((text) => /approval is asked/.test(text))).toBe(false);
  });

  it('addresses of special-purpose ranges (documentation, IPv6 unique local) ask nothing either, each named with its range', async () => {
    const incidentId = await openWith(['45.155.205.23']);
    await containmentRound(incidentId);

    const documentation = await register(await anonymousGet('192.0.2.44'));
    const uniqueLocal = await register(await anonymousGet('fd12:3456:789a::1'));

    const record = await store.getIncident(incidentId);
    expect([documentation.delta, uniqueLocal.delta]).toEqual([undefined, undefined]);
    expect(record?.status).toBe('contained');
    const lines = (await foldedLines(incidentId)).slice(-2);
    expect(lines[0]).toMatch(/192\.0\.2\.44 \(documentation TEST-NET-1 \(RFC 5737\)\)/);
    expect(lines[1]).toMatch(/fd12:3456:789a::1 \(unique local \(RFC 4193\)\)/);
    expect(record?.signalSourceIps).toEqual(expect.arrayContaining(['192.0.2.44', 'fd12:3456:789a::1']));
  });

  it('a GuardDuty finding naming an anonymous caller at a documentation address asks nothing either', async () => {
    const incidentId = await openWith(['45.155.205.23']);
    await containmentRound(incidentId);
    let finding = laterFinding('5ec0b1d2e3f4a5b6c7d8e9f0a1b2c3d4', 90, BUCKET);
    finding = withField(finding, 'detail.resource.accessKeyDetails', {
      principalId: 'ANONYMOUS_PRINCIPAL',
      userType: 'Anonymous',
    });
    finding = withField(finding, 'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4', '203.0.113.5');

    const result = await register(finding);

    expect(result).toMatchObject({ status: 'linked', incidentId });
    expect((await store.getIncident(incidentId))?.status).toBe('contained');
    const [line] = (await foldedLines(incidentId)).slice(-1);
    expect(line).toMatch(/Folded in: GuardDuty .*203\.0\.113\.5 \(documentation TEST-NET-3 \(RFC 5737\)\)/);
  });

  it('an address inside the /24 the Deny approved and applied already holds: not asked, and the block is named', async () => {
    const incidentId = await openWith(NINE);
    const planned = await containmentRound(incidentId);

    const result = await register(await anonymousGet('185.220.101.200'));

    expect(sourceBlocks(planned)).toEqual(['185.220.101.0/24']);
    expect(result.delta).toBeUndefined();
    expect((await store.getIncident(incidentId))?.status).toBe('contained');
    const [line] = (await foldedLines(incidentId)).slice(-1);
    expect(line).toMatch(
      /185\.220\.101\.200 \(in 185\.220\.101\.0\/24\): already inside the Deny by source address approved and applied/,
    );
  });
});

describe('a signal whose addresses the Deny in place does not cover asks as before', () => {
  it('an address outside every block of the Deny in place reopens the incident for it', async () => {
    const incidentId = await openWith(NINE);
    await containmentRound(incidentId);

    const result = await register(await anonymousGet('185.220.102.7'));

    expect(result).toMatchObject({ status: 'open', incidentId, delta: true });
    expect(result.reason).toMatch(/source address\(es\) 185\.220\.102\.7/);
    expect((await store.getIncident(incidentId))?.status).toBe('open');
  });

  it('an address covered only by a /24 the approvers denied (the /32s of the round before stay in place) is asked', async () => {
    const incidentId = await openWith(NINE.slice(0, 8));
    const first = await containmentRound(incidentId);
    // The ninth caller widens the Deny to the /24: that round is denied.
    await register(await anonymousGet(NINE[8] as string));
    const refused = await containmentRound(incidentId, 'denied');

    const result = await register(await anonymousGet('185.220.101.200'));

    expect(sourceBlocks(first)).toHaveLength(8);
    expect(sourceBlocks(refused)).toEqual(['185.220.101.0/24']);
    expect(result).toMatchObject({ status: 'open', delta: true });
  });

  it('an address covered by a Deny whose write failed in the latest round (its result not recorded since the decision) is asked', async () => {
    const incidentId = await openWith(NINE);
    await containmentRound(incidentId);
    clock.advance(3_600_000);
    // A later round approved the same Deny, and its apply failed: the recorded result is the earlier one.
    await containmentRound(incidentId, 'approved', false);

    const result = await register(await anonymousGet('185.220.101.200'));

    expect(result).toMatchObject({ status: 'open', delta: true });
  });

  it('an address covered by a Deny rolled back since (the rollback of another step failed, so the status stayed) is asked', async () => {
    const incidentId = await openWith(NINE);
    await containmentRound(incidentId);
    clock.advance(60_000);
    await store.addEvent(incidentId, {
      at: clock.now().toISOString(),
      kind: 'rollback',
      text: `Rollback of bucketPolicy ${BUCKET}: applied (our statement removed)`,
    });

    const result = await register(await anonymousGet('185.220.101.200'));

    expect(result).toMatchObject({ status: 'open', delta: true });
  });
});

describe('a signal with both quiet and real additions', () => {
  it('asks only for the address the Deny does not cover, and names the private one as not asked', async () => {
    const incidentId = await openWith(NINE);
    await containmentRound(incidentId);
    // One signal naming three addresses (a detection event may carry several; any can be crafted).
    const event = (await anonymousGet('45.155.205.23')) as { detail: { incident: { sourceIps: string[] } } };
    event.detail.incident.sourceIps = ['45.155.205.23', '192.168.1.20', '185.220.101.201'];

    const result = await register(event);

    const reopened = (await store.getIncident(incidentId))?.reopenedBy;
    expect(result).toMatchObject({ status: 'open', delta: true });
    expect(reopened?.addresses).toEqual(['45.155.205.23']);
    expect(result.reason).toMatch(/it adds source address\(es\) 45\.155\.205\.23: approval asked/);
    const [line] = (await foldedLines(incidentId)).slice(-1);
    expect(line).toMatch(
      /approval is asked for that delta only\. Nothing is asked for source address\(es\) 192\.168\.1\.20 \(private \(RFC 1918\)\)/,
    );
    expect(line).toMatch(/185\.220\.101\.201 \(in 185\.220\.101\.0\/24\)/);
  });
});

describe('addresses queued while a request was pending', () => {
  it('are not asked after the decision when the Deny just applied covers them or leaves them out; the queue is emptied', async () => {
    const incidentId = await openWith(NINE);
    const pending = await planRound(incidentId);
    await register(await anonymousGet('172.16.5.9'));
    await register(await anonymousGet('185.220.101.222'));
    await decideRound(incidentId, pending);

    const taken = await register({ incidentId, queued: true });

    const record = await store.getIncident(incidentId);
    expect(taken.status).toBe('ignored');
    expect(record?.status).toBe('contained');
    expect(record?.queuedDeltas ?? []).toEqual([]);
    const events = await store.listEvents(incidentId);
    const line = events.find((event) => event.kind === 'queue-quiet')?.text;
    // Folded in while the request was pending, the private address was not queued to be asked.
    const pendingFold = events.filter((event) => event.kind === 'folded-in').find((e) => e.text.includes('172.16.5.9'));
    expect(pendingFold?.text).toMatch(/no new approval\. Nothing is asked for source address\(es\) 172\.16\.5\.9/);
    expect(line).toMatch(/changes nothing containment would put in place: no new approval/);
    expect(line).toMatch(/172\.16\.5\.9 \(private \(RFC 1918\)\)/);
  });

  it('are asked after the decision when one of them is outside the Deny just applied', async () => {
    const incidentId = await openWith(NINE);
    const pending = await planRound(incidentId);
    await register(await anonymousGet('172.16.5.9'));
    await register(await anonymousGet('91.240.118.200'));
    await decideRound(incidentId, pending);

    const taken = await register({ incidentId, queued: true });

    expect(taken).toMatchObject({ status: 'open', delta: true, queued: true });
    expect(taken.reason).toMatch(/adds source address\(es\) 91\.240\.118\.200 \(/);
    // What is asked: the one address outside the Deny; the private one is not asked.
    expect(/adds (.*) \(1 signal/.exec(taken.reason ?? '')?.[1]).toBe('source address(es) 91.240.118.200');
  });
});

describe('a queued round of quiet addresses and buckets the incident has no room for', () => {
  it('says how many queued buckets are left out, instead of only that nothing changes', async () => {
    const incidentId = await openWith(['45.155.205.23']);
    const record = await store.getIncident(incidentId);
    if (!record) throw new Error('the incident exists');
    // The incident already names the schema's 1,000 buckets, and its only caller is a private address.
    const buckets = [BUCKET, ...Array.from({ length: 999 }, (_, n) => `archive-${String(n).padStart(4, '0')}`)];
    const incident = { ...record.incident, buckets, sourceIps: ['10.20.30.40'] };
    const at = clock.now().toISOString();
    await store.updateIncident(incidentId, { status: 'awaiting_approval', incident, updatedAt: at });
    // Queued while that request was pending, when the incident still had room for the bucket.
    const delta = { buckets: ['exfil-staging-eu'], addresses: ['10.20.30.41'] };
    await store.queueDelta(incidentId, { findingId: 'f-staging', at, delta }, ['awaiting_approval']);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });

    const taken = await register({ incidentId, queued: true });

    const line = (await store.listEvents(incidentId)).filter((e) => /queue|queued/.test(e.kind)).at(-1)?.text;
    expect(taken.reason).toMatch(/1 bucket\(s\) are left out: the incident names 1000 at most/);
    expect(line).toMatch(/1 bucket\(s\) are left out/);
  });
});

describe('a signal whose new address the incident has no room to keep', () => {
  it('asks nothing for it (no Deny could list it) and says to block it by hand', async () => {
    const incidentId = await openWith(['45.155.205.23']);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    // A flood already filled the addresses the incident keeps (2,000): each caller in its own /64.
    const flood = Array.from({ length: 2000 }, (_, n) => `2a01:4f8:${n.toString(16)}::1`);
    await store.addSignalSourceIps(incidentId, flood);

    const result = await register(await anonymousGet('185.220.102.7'));

    const record = await store.getIncident(incidentId);
    expect(record?.signalSourceIps).not.toContain('185.220.102.7');
    expect(result).toMatchObject({ status: 'linked', incidentId });
    expect(result.delta).toBeUndefined();
    expect(record?.status).toBe('contained');
    expect(record?.reopenedBy).toBeUndefined();
    const [line] = (await foldedLines(incidentId)).slice(-1);
    expect(line).toMatch(
      /not kept \(the incident keeps 2000\), so no Deny lists them; block them by hand: 185\.220\.102\.7/,
    );
  });
});
