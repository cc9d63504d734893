import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
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
