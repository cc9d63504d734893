import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { AwsThrottling } from '../../handlers/shared/errors.js';
import type { LifecycleStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('delta-reopen-retry-test'));
});
afterAll(async () => stop());

const short = () => randomUUID().slice(0, 8);

/** The incident's folded-in timeline lines. */
const foldedLines = async (incidentId: string) =>
  (await store.listEvents(incidentId)).filter((event) => event.kind === 'folded-in').map((event) => event.text);

/** The store, with `method` failing once (after doing its work when `after` is set, as a crash after the write would). */
function failingOnce(method: 'listActions' | 'reopenForDelta', after = false): LifecycleStore {
  let failed = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (failed) return value.apply(target, args);
        failed = true;
        if (after) await value.apply(target, args);
        throw new AwsThrottling(`dynamodb failed: ProvisionedThroughputExceededException (${String(property)})`);
      };
    },
  });
}

/** A contained incident of one principal on one bucket, and the clock a minute after. */
async function containedIncident(start: string) {
  const clock = new SimClock(new Date(start));
  const principal = `user-${short()}`;
  const first = await registerWithRetries(
    store,
    bucketFinding(principal, `home-${short()}`, `f-${short()}`),
    `exec-${short()}`,
    clock,
  );
  const incidentId = first.incidentId as string;
  await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
  clock.advance(60_000);
  return { clock, principal, incidentId };
}

/** A signal of the principal naming a new bucket, and the ports it registers with (`store` as given). */
function newBucketSignal(clock: SimClock, principal: string, failing: LifecycleStore) {
  const bucket = `new-${short()}`;
  const ports = { store: failing, clock, chat: new RecordingChat(), guardduty: { getFindings: async () => [] } };
  const input = {
    event: bucketFinding(principal, bucket, `f-${short()}`),
    settings: testSettings(),
    executionName: `exec-${short()}`,
  };
  return { bucket, ports, input };
}

/** The registration run once (it fails, as `ports` make it), then its retry 5 s later. */
async function failedThenRetried(
  input: Parameters<typeof registerIncident.run>[0],
  ports: Parameters<typeof registerIncident.run>[1],
  clock: SimClock,
) {
  const failure = await runTask(registerIncident, input, ports).then(
    () => undefined,
    (error: Error) => error,
  );
  clock.advance(5_000);
  return { failure, retried: await runTask(registerIncident, input, ports) };
}

describe('a registration retried after its signal reopened a contained incident for a delta', () => {
  it('comes back with the same delta request when a read after the reopen failed', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T05:00:00.000Z');
    const { bucket, ports, input } = newBucketSignal(clock, principal, failingOnce('listActions'));

    const { failure, retried } = await failedThenRetried(input, ports, clock);

    expect(failure?.name).toBe('AwsThrottling');
    expect(retried).toMatchObject({
      status: 'open',
      incidentId,
      delta: true,
      rerun: true,
      previousStatus: 'contained',
    });
    expect(retried.incident?.buckets).toContain(bucket);
    expect(retried.incident?.delta?.buckets).toEqual([bucket]);
    expect((await store.getIncident(incidentId))?.status).toBe('open');
  });

  it('comes back with the delta request when it stopped right after the reopen was written', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T06:00:00.000Z');
    const { bucket, ports, input } = newBucketSignal(clock, principal, failingOnce('reopenForDelta', true));

    await runTask(registerIncident, input, ports).catch(() => undefined);
    clock.advance(5_000);
    const retried = await runTask(registerIncident, input, ports);

    expect(retried).toMatchObject({ status: 'open', incidentId, delta: true, previousStatus: 'contained' });
    expect(retried.incident?.delta?.buckets).toEqual([bucket]);
  });

  it('writes the signal’s folded-in line once, on the retry, when it stopped right after the reopen', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T06:30:00.000Z');
    const { bucket, ports, input } = newBucketSignal(clock, principal, failingOnce('reopenForDelta', true));
    await runTask(registerIncident, input, ports).catch(() => undefined);
    const before = await foldedLines(incidentId);
    clock.advance(5_000);

    await runTask(registerIncident, input, ports);

    const after = await foldedLines(incidentId);
    expect(before).toHaveLength(0);
    expect(after).toHaveLength(1);
    expect(after[0]).toContain(bucket);
  });

  it('does not write the folded-in line again when the first attempt wrote it', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T06:45:00.000Z');
    const { ports, input } = newBucketSignal(clock, principal, failingOnce('listActions'));
    await runTask(registerIncident, input, ports).catch(() => undefined);
    clock.advance(5_000);

    await runTask(registerIncident, input, ports);

    expect(await foldedLines(incidentId)).toHaveLength(1);
  });

  it('does not start a second request for another execution whose signal names the same bucket', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T07:00:00.000Z');
    const { bucket, ports, input } = newBucketSignal(clock, principal, failingOnce('listActions'));
    await runTask(registerIncident, input, ports).catch(() => undefined);

    clock.advance(5_000);
    const other = await runTask(
      registerIncident,
      { ...input, event: bucketFinding(principal, bucket, `f-${short()}`), executionName: `exec-${short()}` },
      ports,
    );
    const redelivered = await runTask(registerIncident, { ...input, executionName: `exec-${short()}` }, ports);

    expect(other).toMatchObject({ status: 'linked', incidentId });
    expect(other.delta).toBeUndefined();
    expect(redelivered).toMatchObject({ status: 'linked', incidentId });
    expect(redelivered.delta).toBeUndefined();
  });

  it('is linked, not asked again, once the delta round has ended', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T08:00:00.000Z');
    const { ports, input } = newBucketSignal(clock, principal, failingOnce('listActions'));
    await runTask(registerIncident, input, ports).catch(() => undefined);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });

    clock.advance(5_000);
    const retried = await runTask(registerIncident, input, ports);

    expect(retried).toMatchObject({ status: 'linked', incidentId });
    expect(retried.delta).toBeUndefined();
    expect((await store.getIncident(incidentId))?.status).toBe('contained');
  });

  it('is linked, not asked again, once a queued round has reopened the incident after that request', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T09:00:00.000Z');
    const { ports, input } = newBucketSignal(clock, principal, failingOnce('listActions'));
    await runTask(registerIncident, input, ports).catch(() => undefined);
    // The delta is asked (by a re-run, say); a signal with another bucket is queued meanwhile.
    await store.updateIncident(incidentId, { status: 'awaiting_approval', updatedAt: clock.now().toISOString() });
    clock.advance(5_000);
    await registerWithRetries(
      store,
      bucketFinding(principal, `later-${short()}`, `f-${short()}`),
      `exec-${short()}`,
      clock,
    );
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(5_000);
    const round = await runTask(
      registerIncident,
      {
        event: { incidentId, queued: true },
        settings: testSettings(),
        executionName: `exec-${short()}`,
        deltaRound: 0,
      },
      ports,
    );

    const retried = await runTask(registerIncident, input, ports);

    expect(round).toMatchObject({ status: 'open', incidentId, delta: true });
    expect((await store.getIncident(incidentId))?.reopenedBy).toBeUndefined();
    expect(retried).toMatchObject({ status: 'linked', incidentId });
    expect(retried.delta).toBeUndefined();
  });
});

describe('what the reopen records for a retry', () => {
  it('names where the delta starts, and a retry reads its buckets and principals back from the incident', async () => {
    const clock = new SimClock(new Date('2026-03-02T10:00:00.000Z'));
    const home = `home-${short()}`;
    const first = await registerWithRetries(
      store,
      bucketFinding(`user-${short()}`, home, `f-${short()}`),
      `exec-${short()}`,
      clock,
    );
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(60_000);
    const intruder = `intruder-${short()}`;
    let event = bucketFinding(intruder, home, `f-${short()}`);
    event = withField(event, 'detail.resource.accessKeyDetails.accessKeyId', 'AKIA3EXAMPLEINTRUDER');
    event = withField(event, 'detail.resource.accessKeyDetails.principalId', 'AIDA3EXAMPLEINTRUDER1');
    event = withField(event, 'detail.resource.s3BucketDetails.1', { name: `new-${short()}`, type: 'Destination' });
    const ports = {
      store: failingOnce('listActions'),
      clock,
      chat: new RecordingChat(),
      guardduty: { getFindings: async () => [] },
    };
    const input = { event, settings: testSettings(), executionName: `exec-${short()}` };

    await runTask(registerIncident, input, ports).catch(() => undefined);
    const reopened = await store.getIncident(incidentId);
    clock.advance(5_000);
    const retried = await runTask(registerIncident, input, ports);

    expect(reopened?.reopenedBy).not.toHaveProperty('delta');
    expect(reopened?.reopenedBy?.bucketsFrom).toBe(1);
    expect(retried).toMatchObject({ status: 'open', incidentId, delta: true, noAutoContain: true });
    expect(retried.incident?.delta?.buckets).toEqual(reopened?.incident.buckets.slice(1));
    expect(retried.incident?.delta?.buckets).toHaveLength(1);
    expect(retried.incident?.principals?.map((principal) => principal.userName)).toContain(intruder);
  });

  it('a record written with a copy of the delta is still asked again from that copy', async () => {
    const { clock, principal, incidentId } = await containedIncident('2026-03-02T11:00:00.000Z');
    const { bucket, ports, input } = newBucketSignal(clock, principal, store);
    const record = await store.getIncident(incidentId);
    const at = clock.now().toISOString();
    const findingId = (input.event.detail as { id: string }).id;
    await store.updateIncident(incidentId, {
      status: 'open',
      updatedAt: at,
      incident: {
        ...(record?.incident as NonNullable<typeof record>['incident']),
        buckets: [...(record?.incident.buckets ?? []), bucket],
      },
      reopenedBy: {
        executionName: input.executionName,
        findingId,
        at,
        previousStatus: 'contained',
        delta: { buckets: [bucket], addresses: [], principals: [], findingId, at },
      },
    });

    const retried = await runTask(registerIncident, input, ports);

    expect(retried).toMatchObject({ status: 'open', incidentId, delta: true, previousStatus: 'contained' });
    expect(retried.incident?.delta?.buckets).toEqual([bucket]);
  });
});

describe('a finding update retried after it reopened a contained incident for its delta', () => {
  it('comes back with the delta request instead of leaving the incident open with nothing asked', async () => {
    const clock = new SimClock(new Date('2026-03-02T12:00:00.000Z'));
    const principal = `user-${short()}`;
    const findingId = `f-${short()}`;
    const first = await registerWithRetries(
      store,
      bucketFinding(principal, `home-${short()}`, findingId, 1),
      `exec-${short()}`,
      clock,
    );
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(60_000);
    // GuardDuty updates the same finding in place: a higher count, now naming another bucket.
    const bucket = `new-${short()}`;
    const ports = {
      store: failingOnce('listActions'),
      clock,
      chat: new RecordingChat(),
      guardduty: { getFindings: async () => [] },
    };
    const input = {
      event: bucketFinding(principal, bucket, findingId, 5),
      settings: testSettings(),
      executionName: `exec-${short()}`,
    };

    const { failure, retried } = await failedThenRetried(input, ports, clock);

    expect(failure?.name).toBe('AwsThrottling');
    expect(retried).toMatchObject({ status: 'open', incidentId, delta: true, previousStatus: 'contained' });
    expect(retried.incident?.delta?.buckets).toEqual([bucket]);
    expect((await store.getIncident(incidentId))?.status).toBe('open');
  });
});
