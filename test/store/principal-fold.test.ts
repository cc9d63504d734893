import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { detectionEnvelope } from '../../handlers/shared/schemas/detection-envelope.js';
import { MAX_PRINCIPALS } from '../../handlers/shared/schemas/incident.js';
import type { LifecycleStore } from '../../handlers/shared/store/types.js';
import { SimClock } from '../../local/clock.js';
import { dataEvent } from '../support/detections.js';
import { withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('principal-fold-test'));
});
afterAll(async () => stop());

const short = () => randomUUID().slice(0, 8);
const register = (event: unknown, clock: SimClock) => registerWithRetries(store, event, `exec-${short()}`, clock);
const userArn = (name: string) => `arn:aws:iam::123456789012:user/${name}`;

/** The seed's GuardDuty finding for IAM user `user` (its own key, the same in each of its findings) on `buckets`. */
function finding(user: string, buckets: string[]) {
  let event = bucketFinding(user, buckets[0] as string, `f-${short()}`);
  event = withField(
    event,
    'detail.resource.accessKeyDetails.accessKeyId',
    `AKIA${user.slice(-8).toUpperCase()}00000000`,
  );
  event = withField(
    event,
    'detail.resource.s3BucketDetails',
    buckets.map((name) => ({ name, arn: `arn:aws:s3:::${name}`, type: 'Destination' })),
  );
  return event;
}

async function contained(registration: Registration, clock: SimClock): Promise<string> {
  const incidentId = registration.incidentId as string;
  await store.updateIncident(incidentId, { status: 'contained', updatedAt: clock.now().toISOString() });
  clock.advance(60_000);
  return incidentId;
}

describe('a different identified principal on an open incident’s bucket', () => {
  it('folds into the contained incident and asks for itself only, named as new', async () => {
    const clock = new SimClock(new Date('2026-02-23T05:00:00.000Z'));
    const bucket = `b-${short()}`;
    const [jane, bob] = [`jane-${short()}`, `bob-${short()}`];
    const incidentId = await contained(await register(finding(jane, [bucket]), clock), clock);

    const result = await register(finding(bob, [bucket]), clock);

    expect(result).toMatchObject({ status: 'open', incidentId, delta: true, rerun: true });
    const principals = result.incident?.principals ?? [];
    expect(principals.map((principal) => principal.userName)).toEqual([jane, bob]);
    expect(principals[1]?.addedBy?.findingId).toBe(result.incident?.delta?.findingId);
    expect(principals[0]?.addedBy).toBeUndefined();
    const record = await store.getIncident(incidentId);
    expect(record?.status).toBe('open');
    expect(record?.incident.principals?.map((principal) => principal.userName)).toEqual([jane, bob]);
    expect(record?.incident.delta).toBeUndefined();
    const events = await store.listEvents(incidentId);
    expect(events.at(-1)?.text).toContain(`NEW to this incident: ${userArn(bob)}`);
  });

  it('keeps the new principal with the incident: its signal on another bucket folds there too', async () => {
    const clock = new SimClock(new Date('2026-02-23T06:00:00.000Z'));
    const [bucket, other] = [`b-${short()}`, `c-${short()}`];
    const [jane, bob] = [`jane-${short()}`, `bob-${short()}`];
    const incidentId = await contained(await register(finding(jane, [bucket]), clock), clock);
    await contained(await register(finding(bob, [bucket]), clock), clock);

    const later = await register(finding(bob, [other]), clock);

    expect(later).toMatchObject({ incidentId, delta: true });
    expect(later.incident?.buckets).toEqual([bucket, other]);
    expect(later.incident?.principals?.map((principal) => principal.userName)).toEqual([jane, bob]);
  });

  it('the principal’s own open incident wins over the bucket’s', async () => {
    const clock = new SimClock(new Date('2026-02-23T07:00:00.000Z'));
    const [mine, theirs] = [`m-${short()}`, `t-${short()}`];
    const [jane, bob] = [`jane-${short()}`, `bob-${short()}`];
    const janes = await register(finding(jane, [theirs]), clock);
    const bobs = await register(finding(bob, [mine]), clock);

    const result = await register(finding(bob, [theirs]), clock);

    expect(bobs.status).toBe('open');
    expect(result.incidentId).toBe(bobs.incidentId);
    expect(result.incidentId).not.toBe(janes.incidentId);
  });

  it('of two open incidents on a signal’s buckets, the one on the first bucket by name wins, an anonymous one included', async () => {
    const clock = new SimClock(new Date('2026-02-23T08:00:00.000Z'));
    const tag = short();
    const [first, second] = [`a-${tag}`, `b-${tag}`];
    const [jane, bob] = [`jane-${short()}`, `bob-${short()}`];
    const [detection] = await detect(
      { Records: [dataEvent({ ip: '203.0.113.50', eventTime: '2026-02-23T08:00:00Z' })] },
      { newTerms: new InMemoryNewTermsStore() },
      { trustedAccounts: [] },
    );
    if (!detection) throw new Error('the anonymous read was not detected');
    const onFirst = { ...detection, incident: { ...detection.incident, buckets: [first] } };
    const flood = await register(detectionEnvelope(onFirst), clock);
    const janes = await register(finding(jane, [second]), clock);

    const result = await register(finding(bob, [second, first]), clock);

    expect([flood.status, janes.status]).toEqual(['open', 'open']);
    expect(result).toMatchObject({ status: 'linked', incidentId: flood.incidentId });
    expect(result.reason).toContain('NEW to this incident');
  });

  it('a signal naming a principal with a wildcard is refused and changes nothing', async () => {
    const clock = new SimClock(new Date('2026-02-23T09:00:00.000Z'));
    const bucket = `b-${short()}`;
    const incidentId = await contained(await register(finding(`jane-${short()}`, [bucket]), clock), clock);
    const before = await store.getIncident(incidentId);

    const refused = await register(
      withField(finding('bob', [bucket]), 'detail.resource.accessKeyDetails.userName', '*'),
      clock,
    ).catch((error: Error) => error);

    expect((refused as Error).name).toBe('InvalidExecutionInput');
    expect(await store.getIncident(incidentId)).toEqual(before);
  });

  it('a signal cannot present itself as folded in or as a delta request: those fields are dropped on arrival', async () => {
    const clock = new SimClock(new Date('2026-02-23T10:00:00.000Z'));
    const [detection] = await detect(
      { Records: [dataEvent({ ip: '203.0.113.51', eventTime: '2026-02-23T10:00:00Z' })] },
      { newTerms: new InMemoryNewTermsStore() },
      { trustedAccounts: [] },
    );
    if (!detection) throw new Error('the anonymous read was not detected');
    const crafted = {
      ...detection,
      incident: {
        ...detection.incident,
        buckets: [`b-${short()}`],
        principal: {
          ...detection.incident.principal,
          addedBy: { findingId: 'f-crafted', at: '2026-02-23T10:00:00.000Z' },
        },
        delta: { findingId: 'f-crafted', at: '2026-02-23T10:00:00.000Z', buckets: [] },
      },
    };

    const result = await register(detectionEnvelope(crafted), clock);

    expect(result.status).toBe('open');
    const record = await store.getIncident(result.incidentId as string);
    expect(record?.incident.delta).toBeUndefined();
    expect(record?.incident.principal.addedBy).toBeUndefined();
    expect(result.incident?.delta).toBeUndefined();
  });

  it('two new principals racing on a contained incident: one asks, the other is queued for after that request', async () => {
    const clock = new SimClock(new Date('2026-02-23T11:00:00.000Z'));
    const bucket = `b-${short()}`;
    const incidentId = await contained(await register(finding(`jane-${short()}`, [bucket]), clock), clock);

    const racing = await Promise.all(
      [`bob-${short()}`, `eve-${short()}`].map((user) => register(finding(user, [bucket]), clock)),
    );

    expect(racing.every((result) => result.incidentId === incidentId)).toBe(true);
    expect(racing.filter((result) => result.delta === true)).toHaveLength(1);
    expect(racing.filter((result) => result.status === 'linked')).toHaveLength(1);
    const events = await store.listEvents(incidentId);
    expect(events.filter((event) => /not in the pending request: queued/.test(event.text))).toHaveLength(1);
    const record = await store.getIncident(incidentId);
    expect(record?.incident.principals).toHaveLength(2);
    expect(record?.queuedDeltas).toHaveLength(1);
  });

  it('an incident already holding the most principals names the next one in its timeline instead of adding it', async () => {
    const clock = new SimClock(new Date('2026-02-23T12:00:00.000Z'));
    const bucket = `b-${short()}`;
    const incidentId = await contained(await register(finding(`jane-${short()}`, [bucket]), clock), clock);
    const record = await store.getIncident(incidentId);
    if (!record) throw new Error('incident not stored');
    const crowd = Array.from({ length: MAX_PRINCIPALS - 1 }, (_, n) => ({
      type: 'IAMUser' as const,
      userName: `user-${n}`,
      arn: userArn(`user-${n}`),
    }));
    await store.updateIncident(incidentId, {
      incident: { ...record.incident, principals: [record.incident.principal, ...crowd] },
      updatedAt: clock.now().toISOString(),
    });
    const bob = `bob-${short()}`;

    const result = await register(finding(bob, [bucket]), clock);

    expect(result).toMatchObject({ status: 'linked', incidentId });
    expect(result.delta).toBeUndefined();
    expect((await store.getIncident(incidentId))?.incident.principals).toHaveLength(MAX_PRINCIPALS);
    const events = await store.listEvents(incidentId);
    expect(events.at(-1)?.text).toContain(`already holds ${MAX_PRINCIPALS} principals: ${userArn(bob)}`);
  });

  it('a re-run of an incident holding a principal folded in from another signal is never decided by auto-contain', async () => {
    const clock = new SimClock(new Date('2026-02-23T13:00:00.000Z'));
    const bucket = `b-${short()}`;
    const incidentId = await contained(await register(finding(`jane-${short()}`, [bucket]), clock), clock);
    await register(finding(`bob-${short()}`, [bucket]), clock);
    await store.updateIncident(incidentId, { status: 'expired', updatedAt: clock.now().toISOString() });

    const rerun = await register({ incidentId, rerun: true }, clock);

    expect(rerun).toMatchObject({ status: 'open', rerun: true, noAutoContain: true });
    expect(rerun.incident?.principals).toHaveLength(2);
  });
});
