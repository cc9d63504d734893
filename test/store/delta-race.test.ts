import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { AwsThrottling } from '../../handlers/shared/errors.js';
import type { LifecycleStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('delta-race-test'));
});
afterAll(async () => stop());

const short = () => randomUUID().slice(0, 8);

const finding = (principal: string, bucket: string, id: string) => bucketFinding(principal, bucket, id);
const register = (event: unknown, executionName: string, clock: SimClock) =>
  registerWithRetries(store, event, executionName, clock);

describe('two signals adding buckets to a contained incident at once', () => {
  it('start one delta request; the other folds into it and says its bucket is not in the request', async () => {
    const clock = new SimClock(new Date('2026-02-23T05:00:00.000Z'));
    const principal = `user-${short()}`;
    const first = await register(finding(principal, `home-${short()}`, `f-${short()}`), `exec-${short()}`, clock);
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(60_000);

    const racing = await Promise.all(
      ['b', 'c'].map((suffix) =>
        register(finding(principal, `${suffix}-${short()}`, `f-${short()}`), `exec-${short()}`, clock),
      ),
    );

    expect(racing.every((result) => result.incidentId === incidentId)).toBe(true);
    expect(racing.filter((result) => result.delta === true)).toHaveLength(1);
    expect(racing.filter((result) => result.status === 'linked')).toHaveLength(1);
    const events = await store.listEvents(incidentId);
    expect(events.filter((event) => /not in the pending request/.test(event.text))).toHaveLength(1);
    expect((await store.getIncident(incidentId))?.status).toBe('open');
  });

  it('reopens a contained incident once, and never a closed one', async () => {
    const clock = new SimClock(new Date('2026-02-23T06:00:00.000Z'));
    const opened = await register(finding(`user-${short()}`, `b-${short()}`, `f-${short()}`), `exec-${short()}`, clock);
    const incidentId = opened.incidentId as string;
    const at = clock.now().toISOString();
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });

    const both = await Promise.all([
      store.reopenForDelta(incidentId, ['contained'], { updatedAt: at }),
      store.reopenForDelta(incidentId, ['contained'], { updatedAt: at }),
    ]);
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: at });
    await store.closeIncident({ incidentId, closure: { at, by: 'cli:test', resolution: 'benign' } });
    const afterClose = await store.reopenForDelta(incidentId, ['contained'], { updatedAt: at });

    expect(both.sort()).toEqual([false, true]);
    expect(afterClose).toBe(false);
  });
});

describe('a signal whose delta reopened a contained incident, when its timeline line could not be written', () => {
  it('still comes back with the delta request (retried or not), so the new bucket is asked for', async () => {
    const clock = new SimClock(new Date('2026-02-23T07:00:00.000Z'));
    const principal = `user-${short()}`;
    const first = await register(finding(principal, `home-${short()}`, `f-${short()}`), `exec-${short()}`, clock);
    const incidentId = first.incidentId as string;
    await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
    clock.advance(60_000);
    // The store throttles the first folded-in line (as DynamoDB may), after the reopen was written.
    let throttled = false;
    const flaky = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'addEvent') {
          return (id: string, event: Parameters<LifecycleStore['addEvent']>[1]) => {
            if (!throttled && event.kind === 'folded-in') {
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
    const bucket = `new-${short()}`;
    const input = {
      event: finding(principal, bucket, `f-${short()}`),
      settings: testSettings(),
      executionName: `exec-${short()}`,
    };

    const registration = await runTask(registerIncident, input, ports).catch(() =>
      runTask(registerIncident, input, ports),
    );

    expect(registration).toMatchObject({ status: 'open', incidentId, delta: true });
    expect(registration.incident?.buckets).toContain(bucket);
    expect((await store.getIncident(incidentId))?.status).toBe('open');
  });
});
