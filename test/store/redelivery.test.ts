import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { AwsThrottling } from '../../handlers/shared/errors.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { readJson, withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

const TABLE = 'redelivery-test';
let store: IncidentStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore(TABLE));
});
afterAll(async () => stop());

/** The store, counting the incident records read through it. */
function counting(inner: IncidentStore): { store: IncidentStore; reads: () => number } {
  let reads = 0;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'getIncident') {
        return (incidentId: string) => {
          reads += 1;
          return target.getIncident(incidentId);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, reads: () => reads };
}

/** An incident opened by one finding, and a second finding of the same principal and bucket folded into it. */
async function foldedFinding(clock: SimClock) {
  const principal = `user-${randomUUID().slice(0, 8)}`;
  const bucket = `bucket-${randomUUID().slice(0, 8)}`;
  const folded = `folded-${principal}`;
  const first = await registerWithRetries(store, bucketFinding(principal, bucket, `a-${principal}`, 1), 'e-a', clock);
  const fold = await registerWithRetries(store, bucketFinding(principal, bucket, folded, 3), `e-${folded}`, clock);
  return { principal, bucket, folded, incidentId: first.incidentId as string, fold };
}

describe('a redelivery of a finding folded into an incident', () => {
  it('links to that incident and adds nothing, without reading the incident record', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const { principal, bucket, folded, incidentId, fold } = await foldedFinding(clock);
    const before = await store.listEvents(incidentId);
    const { store: watched, reads } = counting(store);

    const same = await registerWithRetries(watched, bucketFinding(principal, bucket, folded, 3), 'e-same', clock);
    const older = await registerWithRetries(watched, bucketFinding(principal, bucket, folded, 2), 'e-older', clock);

    expect(fold).toMatchObject({ status: 'linked', incidentId });
    for (const registration of [same, older]) {
      expect(registration).toMatchObject({ status: 'linked', incidentId });
      expect(registration.reason).toContain('is already recorded on incident');
    }
    expect(reads()).toBe(0);
    expect(await store.listEvents(incidentId)).toHaveLength(before.length);
  });

  it('with a higher count still adds one timeline line and one thread message', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const { principal, bucket, folded, incidentId } = await foldedFinding(clock);
    await store.updateIncident(incidentId, { slack: { channel: 'C-incidents', ts: '1700000000.000100' } });
    const before = await store.listEvents(incidentId);
    const chat = new RecordingChat();

    const higher = await runTask(
      registerIncident,
      { event: bucketFinding(principal, bucket, folded, 9), settings: testSettings(), executionName: 'e-higher' },
      { store, clock, chat, guardduty: { getFindings: async () => [] } },
    );

    expect(higher).toMatchObject({ status: 'linked', incidentId });
    const after = await store.listEvents(incidentId);
    const updates = after.filter((event) => event.kind === 'finding-updated');
    expect(after).toHaveLength(before.length + 1);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.text).toContain('count 3 → 9');
    expect(chat.messages.map((message) => message.threadTs)).toEqual(['1700000000.000100']);
  });
});

describe('a redelivery of a finding that opened its incident', () => {
  it('links to that incident and adds nothing, without reading the incident record', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `opened-${principal}`;
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 3), 'e-first', clock);
    const incidentId = first.incidentId as string;
    const before = await store.listEvents(incidentId);
    const { store: watched, reads } = counting(store);

    const same = await registerWithRetries(watched, bucketFinding(principal, bucket, findingId, 3), 'e-same', clock);
    const older = await registerWithRetries(watched, bucketFinding(principal, bucket, findingId, 1), 'e-older', clock);

    expect(first.status).toBe('open');
    for (const registration of [same, older]) {
      expect(registration).toMatchObject({ status: 'linked', incidentId });
      expect(registration.reason).toContain('is already recorded on incident');
    }
    expect(reads()).toBe(0);
    expect(await store.listEvents(incidentId)).toHaveLength(before.length);
  });
});

describe('a higher count arriving while the first registration of its finding is still in flight', () => {
  it('waits for the incident (StoreConflict), then adds its timeline line once retried', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `inflight-${principal}`;
    // The first delivery's registration has claimed the finding id and not yet created its incident.
    await store.claimFinding({
      findingId,
      incidentId: `20260223-${randomUUID().slice(0, 12)}`,
      executionName: 'e-first',
      count: 1,
      now: clock.now().toISOString(),
    });
    const ports = { store, clock, chat: new RecordingChat(), guardduty: { getFindings: async () => [] } };
    const later = bucketFinding(principal, bucket, findingId, 5);

    const early = await runTask(
      registerIncident,
      { event: later, settings: testSettings(), executionName: 'e-later' },
      ports,
    ).catch((error: Error) => error);
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 1), 'e-first', clock);
    const retried = await registerWithRetries(store, later, 'e-later', clock);

    expect((early as Error).name).toBe('StoreConflict');
    expect(first.status).toBe('open');
    expect(retried).toMatchObject({ status: 'linked', incidentId: first.incidentId });
    const updates = (await store.listEvents(first.incidentId as string)).filter(
      (event) => event.kind === 'finding-updated',
    );
    expect(updates.map((event) => event.text)).toEqual([expect.stringContaining('count 1 → 5')]);
  });
});

describe('a higher count whose timeline line could not be written', () => {
  it('still adds its line when the registration is retried', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `throttled-${principal}`;
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 3), 'e-first', clock);
    const incidentId = first.incidentId as string;
    // The store throttles the first timeline line written for the higher count (as DynamoDB may).
    let throttled = false;
    const flaky = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'addEvent') {
          return (id: string, event: Parameters<IncidentStore['addEvent']>[1]) => {
            if (!throttled && event.kind === 'finding-updated') {
              throttled = true;
              throw new AwsThrottling('dynamodb:PutItem failed: ProvisionedThroughputExceededException');
            }
            return target.addEvent(id, event);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ports = { store: flaky, clock, chat: new RecordingChat(), guardduty: { getFindings: async () => [] } };
    const input = {
      event: bucketFinding(principal, bucket, findingId, 7),
      settings: testSettings(),
      executionName: 'e-7',
    };

    const failed = await runTask(registerIncident, input, ports).catch((error: Error) => error);
    const retried = await runTask(registerIncident, input, ports);

    expect((failed as Error).name).toBe('AwsThrottling');
    expect(retried).toMatchObject({ status: 'linked', incidentId });
    const updates = (await store.listEvents(incidentId)).filter((event) => event.kind === 'finding-updated');
    expect(updates.map((event) => event.text)).toEqual([expect.stringContaining('count 3 → 7')]);
  });
});

/** The finding types of the deployment's defaults (DESIGN §3). */
const settings = testSettings({
  findingTypes: ['Exfiltration:S3/', 'AttackSequence:S3/CompromisedData', 'UnauthorizedAccess:S3/'],
});

/**
 * The attack sequence of the fixture (real EventBridge shape), as GuardDuty updates it in place:
 * the same finding id with a higher count, its story grown by `resources` and `actors`.
 */
function attackSequence(id: string, count: number, grown: { bucket?: string } = {}) {
  let event = readJson<Record<string, unknown>>('test/fixtures/guardduty/attack-sequence-compromised-data-event.json');
  event = withField(event, 'detail.id', id);
  event = withField(event, 'detail.service.count', count);
  if (!grown.bucket) return event;
  const detail = event.detail as { service: { detection: { sequence: { resources: unknown[] } } } };
  const resources = detail.service.detection.sequence.resources;
  return withField(event, 'detail.service.detection.sequence.resources', [
    ...resources,
    {
      uid: `arn:aws:s3:::${grown.bucket}`,
      name: grown.bucket,
      accountId: '123456789012',
      resourceType: 'S3_BUCKET',
      region: 'us-east-1',
    },
  ]);
}

/** A GuardDuty finding of an unauthenticated caller (`ANONYMOUS_PRINCIPAL`) on `bucket` from `address`. */
function anonymousFinding(bucket: string, id: string, count: number, address: string) {
  let event = bucketFinding('unused', bucket, id, count);
  event = withField(event, 'detail.type', 'UnauthorizedAccess:S3/TorIPCaller');
  event = withField(event, 'detail.resource.accessKeyDetails', {
    principalId: 'ANONYMOUS_PRINCIPAL',
    userType: 'AWSAccount',
  });
  return withField(event, 'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4', address);
}

describe('an update of a finding (same id, higher count) that names more than its incident holds', () => {
  it('asks for the new bucket of a contained incident, as a folded-in signal would', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const findingId = `sequence-${randomUUID().slice(0, 8)}`;
    const bucket = `grown-${randomUUID().slice(0, 8)}`;
    const first = await registerWithRetries(store, attackSequence(findingId, 1), 'e-seq-1', clock, settings);
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(60_000);

    const updated = await registerWithRetries(
      store,
      attackSequence(findingId, 2, { bucket }),
      'e-seq-2',
      clock,
      settings,
    );

    expect(first.status).toBe('open');
    expect(updated).toMatchObject({ incidentId, delta: true });
    expect(updated.incident?.delta?.buckets).toEqual([bucket]);
    expect((await store.getIncident(incidentId))?.incident.buckets).toContain(bucket);
  });

  it('takes the new address of an anonymous caller into the pending incident, so its Deny lists it', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const findingId = `tor-${randomUUID().slice(0, 8)}`;
    const bucket = `tor-${randomUUID().slice(0, 8)}`;
    const first = await registerWithRetries(
      store,
      anonymousFinding(bucket, findingId, 1, '198.51.100.7'),
      'e-tor-1',
      clock,
      settings,
    );
    const incidentId = first.incidentId as string;

    const updated = await registerWithRetries(
      store,
      anonymousFinding(bucket, findingId, 4, '203.0.113.99'),
      'e-tor-2',
      clock,
      settings,
    );

    expect(first.status).toBe('open');
    expect(updated).toMatchObject({ status: 'linked', incidentId });
    const record = await store.getIncident(incidentId);
    expect(record?.signalSourceIps).toContain('203.0.113.99');
  });

  it('adds nothing more than its timeline line when it names nothing new', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const findingId = `same-${randomUUID().slice(0, 8)}`;
    const first = await registerWithRetries(store, attackSequence(findingId, 1), 'e-same-1', clock, settings);
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    const before = await store.listEvents(incidentId);

    const updated = await registerWithRetries(store, attackSequence(findingId, 2), 'e-same-2', clock, settings);

    expect(updated).toMatchObject({ status: 'linked', incidentId });
    expect(updated.delta).toBeUndefined();
    expect(await store.listEvents(incidentId)).toHaveLength(before.length + 1);
    expect((await store.getIncident(incidentId))?.status).toBe('contained');
  });
});

describe('an update of a finding (same id, higher count) is a signal', () => {
  it('keeps its incident open past autoCloseAfterMinutes from its creation, so a later signal still folds in', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `ongoing-${principal}`;
    const day = 24 * 60 * 60_000;
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 1), 'e-day-0', clock);
    clock.advance(6 * day);
    await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 30), 'e-day-6', clock);
    clock.advance(2 * day);

    const later = await registerWithRetries(
      store,
      bucketFinding(principal, bucket, `later-${principal}`, 1),
      'e-day-8',
      clock,
    );

    expect(first.status).toBe('open');
    expect(later).toMatchObject({ status: 'linked', incidentId: first.incidentId });
    expect((await store.getIncident(first.incidentId as string))?.closure).toBeUndefined();
  });

  it('moves the last signal time once for updates within a hundredth of the window, and again after', async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `burst-${principal}`;
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 1), 'e-b-1', clock);
    const incidentId = first.incidentId as string;
    const opened = (await store.getIncident(incidentId))?.lastSignalAt;
    clock.advance(30_000);
    await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 2), 'e-b-2', clock);
    const soon = (await store.getIncident(incidentId))?.lastSignalAt;
    clock.advance(2 * 60 * 60_000);

    await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 3), 'e-b-3', clock);

    expect(soon).toBe(opened);
    expect((await store.getIncident(incidentId))?.lastSignalAt).toBe(clock.now().toISOString());
  });

  it("moves its bucket's window even when another bucket's signal folded in moments before", async () => {
    const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const findingId = `ongoing-${principal}`;
    const day = 24 * 60 * 60_000;
    const first = await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 1), 'e-w-0', clock);
    clock.advance(6 * day);
    // The same principal on another bucket folds in through its principal's key alone.
    const other = `other-${randomUUID().slice(0, 8)}`;
    await registerWithRetries(store, bucketFinding(principal, other, `other-${principal}`, 1), 'e-w-1', clock);
    clock.advance(30_000);
    await registerWithRetries(store, bucketFinding(principal, bucket, findingId, 2), 'e-w-2', clock);
    clock.advance(day + 60_000);

    // Another caller on the first bucket, past the window of its creation, within that of the update.
    const stranger = await registerWithRetries(
      store,
      bucketFinding(`stranger-${principal}`, bucket, `stranger-${principal}`, 1),
      'e-w-3',
      clock,
    );

    expect(stranger).toMatchObject({ status: 'linked', incidentId: first.incidentId });
  });
});
