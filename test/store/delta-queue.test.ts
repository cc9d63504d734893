import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { MAX_DELTA_ROUNDS } from '../../handlers/register-incident/queue.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { type LifecycleStore, MAX_QUEUED_DELTAS } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('delta-queue-test'));
});
afterAll(async () => stop());

const short = () => randomUUID().slice(0, 8);
const SLACK = { channel: 'C0SECOPS01', ts: '1700000000.000001' };

/** An incident of a fresh principal on a fresh bucket whose request is pending, with a Slack thread. */
async function pendingIncident(clock: SimClock, chat = new RecordingChat()) {
  const principal = `user-${short()}`;
  const first = await registerWithRetries(
    store,
    bucketFinding(principal, `home-${short()}`, `f-${short()}`),
    `exec-${short()}`,
    clock,
  );
  const incidentId = first.incidentId as string;
  await store.updateIncident(incidentId, {
    status: 'awaiting_approval',
    slack: SLACK,
    updatedAt: clock.now().toISOString(),
  });
  clock.advance(60_000);
  return { incidentId, principal, chat };
}

/** The end of a containment phase as the playbook runs it: `{incidentId, queued: true}`. */
/** The playbook taking the queue after a report (`deltaRound` set), or a person from the console (`null`). */
function take(
  incidentId: string,
  clock: SimClock,
  chat: RecordingChat,
  deltaRound: number | null = 0,
): Promise<Registration> {
  return runTask(
    registerIncident,
    {
      event: { incidentId, queued: true },
      settings: testSettings(),
      executionName: `exec-${short()}`,
      ...(deltaRound === null ? {} : { deltaRound }),
    },
    { store, clock, guardduty: { getFindings: async () => [] }, chat },
  );
}

const queuedBuckets = async (incidentId: string) =>
  ((await store.getIncident(incidentId))?.queuedDeltas ?? []).flatMap((entry) => entry.delta.buckets as string[]);

describe('what arrives while a request is pending is queued on the incident', () => {
  it('two signals racing to fold in while the request is pending keep both buckets in the queue', async () => {
    const clock = new SimClock(new Date('2026-02-23T05:00:00.000Z'));
    const { incidentId, principal } = await pendingIncident(clock);
    const buckets = [`b-${short()}`, `c-${short()}`];

    const racing = await Promise.all(
      buckets.map((bucket) =>
        registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock),
      ),
    );

    expect(racing.map((result) => [result.status, result.incidentId, result.delta])).toEqual([
      ['linked', incidentId, undefined],
      ['linked', incidentId, undefined],
    ]);
    expect((await queuedBuckets(incidentId)).sort()).toEqual([...buckets].sort());
    const record = await store.getIncident(incidentId);
    expect(record?.status).toBe('awaiting_approval');
    expect(record?.incident.buckets).not.toContain(buckets[0]);
  });

  it('a taker holding an old read never takes a queue filled again since, even one as long', async () => {
    const clock = new SimClock(new Date('2026-02-23T06:30:00.000Z'));
    const { incidentId } = await pendingIncident(clock);
    const at = clock.now().toISOString();
    const running = ['open', 'awaiting_approval', 'containing'] as const;
    const entry = (bucket: string) => ({ at, findingId: `f-${bucket}`, delta: { buckets: [bucket], addresses: [] } });
    const older = `old-${short()}`;
    const newer = `new-${short()}`;
    await store.queueDelta(incidentId, entry(older), [...running]);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });
    const stale = await store.getIncident(incidentId);
    if (!stale?.queuedDeltas?.[0]) throw new Error('nothing queued');
    const take = (record: NonNullable<typeof stale>) =>
      store.takeQueuedDeltas(incidentId, {
        count: record.queuedDeltas?.length ?? 0,
        first: record.queuedDeltas?.[0] as NonNullable<typeof stale.queuedDeltas>[number],
        rest: [],
        running: [...running],
        updatedAt: at,
        incident: record.incident,
      });
    // One execution takes the queue; its round runs; a signal queues another bucket meanwhile; the round ends.
    expect(await take(stale)).toBe(true);
    await store.updateIncident(incidentId, { status: 'awaiting_approval', updatedAt: at });
    await store.queueDelta(incidentId, entry(newer), [...running]);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });

    const late = await take(stale);

    expect(late).toBe(false);
    expect(await queuedBuckets(incidentId)).toEqual([newer]);
  });

  it('taking the queue twice at once asks for it once, with every queued bucket', async () => {
    const clock = new SimClock(new Date('2026-02-23T06:00:00.000Z'));
    const { incidentId, principal, chat } = await pendingIncident(clock);
    const buckets = [`b-${short()}`, `c-${short()}`];
    for (const bucket of buckets) {
      await registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock);
    }
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });

    const both = await Promise.all([take(incidentId, clock, chat), take(incidentId, clock, chat)]);

    const asked = both.filter((result) => result.status === 'open');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ rerun: true, delta: true, queued: true, previousStatus: 'contained' });
    expect(asked[0]?.incident?.buckets).toEqual(expect.arrayContaining(buckets));
    const record = await store.getIncident(incidentId);
    expect(record?.status).toBe('open');
    expect(record?.queuedDeltas).toBeUndefined();
    expect(record?.incident.buckets).toEqual(expect.arrayContaining(buckets));
    const events = await store.listEvents(incidentId);
    expect(events.filter((event) => event.kind === 'queued-delta')).toHaveLength(1);
    expect(
      chat.messages.filter((message) => /what arrived while it was pending/.test(String(message.message.text))),
    ).toHaveLength(1);
  });

  it('is not taken while another phase of the incident is running; after a denial only a person asks for it, never the timeout policy', async () => {
    const clock = new SimClock(new Date('2026-02-23T07:00:00.000Z'));
    const { incidentId, principal, chat } = await pendingIncident(clock);
    const bucket = `b-${short()}`;
    await registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock);

    const whileRunning = await take(incidentId, clock, chat);
    await store.updateIncident(incidentId, { status: 'denied', updatedAt: clock.now().toISOString() });
    const automatic = await take(incidentId, clock, chat);
    const byPerson = await take(incidentId, clock, chat, null);

    expect(whileRunning.status).toBe('ignored');
    expect(automatic.status).toBe('ignored');
    expect(automatic.reason).toMatch(/not asked automatically/);
    expect(byPerson).toMatchObject({ status: 'open', previousStatus: 'denied', noAutoContain: true });
    expect(byPerson.incident?.buckets).toContain(bucket);
  });

  it('a closed incident drops its queue with a timeline line and asks nothing', async () => {
    const clock = new SimClock(new Date('2026-02-23T08:00:00.000Z'));
    const { incidentId, principal, chat } = await pendingIncident(clock);
    const bucket = `b-${short()}`;
    await registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock);
    const at = clock.now().toISOString();
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });
    await store.closeIncident({ incidentId, closure: { at, by: 'cli:test', resolution: 'benign' } });

    const result = await take(incidentId, clock, chat);

    expect(result.status).toBe('ignored');
    const record = await store.getIncident(incidentId);
    expect(record?.queuedDeltas).toBeUndefined();
    expect(record?.status).toBe('contained');
    const dropped = (await store.listEvents(incidentId)).filter((event) => event.kind === 'queue-dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.text).toContain(bucket);
  });

  it('past the delta rounds one execution may ask, the queue stays and the thread says how to ask for it', async () => {
    const clock = new SimClock(new Date('2026-02-23T09:00:00.000Z'));
    const { incidentId, principal, chat } = await pendingIncident(clock);
    const bucket = `b-${short()}`;
    await registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });

    const result = await take(incidentId, clock, chat, MAX_DELTA_ROUNDS);

    expect(result.status).toBe('ignored');
    expect(await queuedBuckets(incidentId)).toEqual([bucket]);
    const said = chat.messages.map((message) => String(message.message.text)).find((text) => text.includes(bucket));
    expect(said).toContain(`{"incidentId":"${incidentId}","queued":true}`);
  });

  it('a crafted bucket name in the queue reaches the thread escaped and is never planned', async () => {
    const clock = new SimClock(new Date('2026-02-23T11:00:00.000Z'));
    const { incidentId, chat } = await pendingIncident(clock);
    const crafted = '<!channel> <https://evil.example|click>';
    const at = clock.now().toISOString();
    await store.queueDelta(
      incidentId,
      { at, findingId: `f-${short()}`, delta: { buckets: [crafted, 'fine-bucket'], addresses: [] } },
      ['awaiting_approval'],
    );
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });

    const left = await take(incidentId, clock, chat, MAX_DELTA_ROUNDS);
    const asked = await take(incidentId, clock, chat);

    const texts = chat.messages.map((message) => String(message.message.text));
    expect(left.status).toBe('ignored');
    expect(texts.some((text) => text.includes('&lt;!channel&gt;'))).toBe(true);
    expect(texts.some((text) => text.includes('<!channel>') || text.includes('<https://'))).toBe(false);
    expect(asked.status).toBe('open');
    expect(asked.incident?.buckets).toContain('fine-bucket');
    expect(asked.incident?.buckets).not.toContain(crafted);
  });

  it('a flood of signals each naming a new bucket keeps the queue bounded and names what was not queued', async () => {
    const clock = new SimClock(new Date('2026-02-23T10:00:00.000Z'));
    const chat = new RecordingChat();
    const { incidentId, principal } = await pendingIncident(clock, chat);
    const flood = MAX_QUEUED_DELTAS + 5;
    const buckets = Array.from({ length: flood }, (_, index) => `flood-${index}-${short()}`);

    for (const bucket of buckets) {
      await registerWithRetries(store, bucketFinding(principal, bucket, `f-${short()}`), `exec-${short()}`, clock);
    }

    const record = await store.getIncident(incidentId);
    expect(record?.queuedDeltas).toHaveLength(MAX_QUEUED_DELTAS);
    expect(record?.queuedDeltasOmitted).toBe(5);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(100_000);
    const events = await store.listEvents(incidentId);
    const notQueued = events.filter((event) => /the queue is full/.test(event.text));
    expect(notQueued).toHaveLength(5);
    expect(notQueued.map((event) => event.text).join('\n')).toContain(buckets.at(-1));
  });
});
