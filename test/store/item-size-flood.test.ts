import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { Incident, Principal } from '../../handlers/shared/schemas/incident.js';
import { itemSize, MAX_ITEM_BYTES } from '../../handlers/shared/store/item-size.js';
import {
  type IncidentRecord,
  type LifecycleStore,
  MAX_FINDING_IDS,
  MAX_SIGNAL_SOURCE_IPS,
  signalCount,
} from '../../handlers/shared/store/types.js';
import { recordedError } from '../../handlers/write-report/core.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;
let rawItem: (pk: string, sk: string) => Promise<Record<string, unknown> | undefined>;

beforeAll(async () => {
  ({ store, stop, rawItem } = await dynaliteStore('item-size-test'));
});
afterAll(async () => stop());

/** The record's budget: 50 KB below the 400 KB DynamoDB refuses an item over (`MAX_ITEM_BYTES`). */
const BUDGET = MAX_ITEM_BYTES - 50 * 1024;
const ACCOUNT = '123456789012';
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A 63-character bucket name, the longest S3 allows. */
const bucket = (tag: string, n: number) => `${`${tag}-${hex(n, 6)}-`.padEnd(62, 'x')}z`;
/** An IPv6 caller address in its longest textual form (six groups and a dotted IPv4 tail: 45 characters). */
const ipv6 = (n: number) => `ffff:ffff:ffff:ffff:ffff:${hex(n >> 16, 4)}:255.255.${(n >> 8) & 255}.${n & 255}`;
/** An IAM user under the longest path IAM allows (512 characters) with the longest name (64). */
function user(tag: string, n: number): Principal {
  const name = `${tag}${hex(n, 6)}`.padEnd(64, 'u');
  return {
    type: 'IAMUser',
    arn: `arn:aws:iam::${ACCOUNT}:user/${'p'.repeat(510)}/${name}`,
    userName: name,
    accessKeyId: `AKIA${hex(n, 16).toUpperCase()}`,
    principalId: `AIDA${hex(n, 17).toUpperCase()}`,
  };
}
const LEAD = user('lead', 0);
const ANONYMOUS: Principal = { type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' };

/** One of our detections as `responder detect` prints it, its finding id and display text at their bounds. */
function signal(n: number, parts: Partial<Incident>): { rule: 'cross-account-copy'; incident: Incident } {
  return {
    rule: 'cross-account-copy',
    incident: {
      source: 'detection',
      findingId: `cross-account-copy:${hex(n, 8)}`.padEnd(219, 'f'),
      findingType: 'S3ExfilResponder:S3/CrossAccountCopy',
      severity: 8,
      accountId: ACCOUNT,
      region: 'us-east-1',
      principal: LEAD,
      buckets: [],
      sourceIps: [],
      firstSeen: '2026-12-05T01:00:00.000Z',
      lastSeen: '2026-12-05T01:00:00.000Z',
      count: 1,
      partition: 'aws',
      title: 't'.repeat(1024),
      userAgent: 'u'.repeat(256),
      ...parts,
    },
  };
}

/**
 * An anonymous flood on the incident's bucket naming 23 new principals (as many as the incident
 * has room for), 30 new buckets and 1,000 new addresses: every part of the delta at its bound.
 */
function floodSignal(n: number, home: string) {
  return signal(n, {
    principal: ANONYMOUS,
    principals: [ANONYMOUS, ...Array.from({ length: 24 }, (_, k) => user(`f${n}`, k))],
    buckets: [home, ...Array.from({ length: 30 }, (_, k) => bucket(`f${n}`, k))],
    sourceIps: Array.from({ length: 1000 }, (_, k) => ipv6(n * 1000 + k)),
  });
}

async function register(event: unknown, n: number, clock: SimClock, deltaRound?: number) {
  clock.advance(1000);
  return runTask(
    registerIncident,
    {
      event,
      settings: testSettings(),
      executionName: `flood-${n}${deltaRound === undefined ? '' : `-round-${deltaRound}`}`.padEnd(80, 'e'),
      ...(deltaRound === undefined ? {} : { deltaRound }),
    },
    { store, clock, guardduty: { getFindings: async () => [] }, chat: new RecordingChat() },
  );
}

/** What the containment phase writes on the record while a request is pending, at its bounds. */
async function askApproval(incidentId: string, clock: SimClock) {
  const at = clock.now().toISOString();
  await store.updateIncident(incidentId, {
    status: 'awaiting_approval',
    approval: { nonce: 'n'.repeat(43), deadline: at, round: 24, attempt: `${'e'.repeat(80)}#10` },
    slack: { channel: 'C0SECOPS01', ts: '1733360400.000100' },
    updatedAt: at,
  });
}

/** What the report writes when its phase ends: a failed run's cause at Step Functions' 32,768 characters. */
async function report(incidentId: string, clock: SimClock) {
  const at = clock.now().toISOString();
  const base = `reports/${incidentId}/${at}`;
  await store.updateIncident(incidentId, {
    status: 'contained',
    lastContainmentStatus: 'contained',
    report: { markdownKey: `${base}.md`, jsonKey: `${base}.json`, htmlKey: `${base}.html` },
    reportedAt: at,
    error: recordedError({ Error: 'States.TaskFailed', Cause: 'c'.repeat(32_768) }),
    updatedAt: at,
  });
}

describe('the incident record under a flood of crafted signals', () => {
  it('stays under its budget whatever the signals bring, and every write is accepted', async () => {
    // Arrange: an incident opened by a signal at its bounds, its request pending.
    const clock = new SimClock(new Date('2026-12-05T01:00:00.000Z'));
    const home = bucket('home', 0);
    const sizes: number[] = [];
    const measure = async (incidentId: string) => {
      const item = (await rawItem(`INCIDENT#${incidentId}`, 'META')) as Record<string, unknown>;
      sizes.push(itemSize(item));
      return item as unknown as IncidentRecord;
    };
    let n = 0;
    const opened = await register(
      signal(n, {
        principals: [LEAD, ANONYMOUS],
        buckets: [home, ...Array.from({ length: 19 }, (_, k) => bucket('first', k))],
        sourceIps: Array.from({ length: 1000 }, (_, k) => ipv6(k)),
      }),
      n,
      clock,
    );
    const incidentId = opened.incidentId as string;
    await askApproval(incidentId, clock);
    let signals = 1;
    const flood = async (count: number, heavy: number) => {
      for (let k = 0; k < count; k += 1) {
        n += 1;
        signals += 1;
        await register(k < heavy ? floodSignal(n, home) : signal(n, { buckets: [home] }), n, clock);
        await measure(incidentId);
      }
    };

    // Act: signals pour in while the request is pending, then one reopens the contained incident
    // for a delta, more pour in while that request is pending, then the queue is asked round after
    // round with more arriving during each.
    await flood(60, 8);
    await report(incidentId, clock);
    n += 1;
    signals += 1;
    const reopen = await register(
      signal(n, {
        principal: ANONYMOUS,
        principals: [ANONYMOUS, ...Array.from({ length: 24 }, (_, k) => user('reopen', k))],
        buckets: [home, ...Array.from({ length: 999 }, (_, k) => bucket('reopen', k))],
        sourceIps: Array.from({ length: 1000 }, (_, k) => ipv6(900_000 + k)),
      }),
      n,
      clock,
    );
    const reopened = await measure(incidentId);
    await askApproval(incidentId, clock);
    await flood(6, 6);
    for (let round = 0; round < 3; round += 1) {
      await report(incidentId, clock);
      await register({ incidentId, queued: true }, n, clock, round);
      await askApproval(incidentId, clock);
      await flood(3, 3);
    }
    const record = await measure(incidentId);
    const events = await store.listEvents(incidentId);
    const said = events.map((event) => event.text).join('\n');
    const notKept = events.flatMap((event) => (event.data?.addressesNotKept as string[] | undefined) ?? []);
    const kept = new Set<string>(record.signalSourceIps);

    // Assert
    expect(reopen.delta).toBe(true);
    expect(itemSize({ reopenedBy: reopened.reopenedBy })).toBeLessThan(2048);
    expect(Math.max(...sizes)).toBeLessThan(BUDGET);
    expect(record.findingIds).toHaveLength(MAX_FINDING_IDS);
    expect(signalCount(record)).toBe(signals);
    expect(kept.size).toBe(MAX_SIGNAL_SOURCE_IPS);
    expect(record.queuedDeltasOmitted).toBeGreaterThan(0);
    expect(said).toMatch(/the queue is full/);
    expect(record.signalSourceIpsOmitted).toBeGreaterThan(0);
    expect(said).toMatch(/source address\(es\) of this signal are not kept/);
    expect(notKept).toHaveLength(record.signalSourceIpsOmitted ?? 0);
    expect(notKept.filter((ip) => kept.has(ip))).toEqual([]);
    expect(record.incident.buckets).toHaveLength(1000);
    expect(said).toMatch(/already names 1000 buckets: .*; 9 more cannot be added/);
    expect(record.incident.principals).toHaveLength(25);
  }, 120_000);
});
