import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { correlationKeys, principalKey } from '../../handlers/register-incident/correlate.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { detectionEnvelope } from '../../handlers/shared/schemas/detection-envelope.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { knownSourceIps } from '../../handlers/shared/source-ip-deny.js';
import type { IncidentRecord, IncidentStore } from '../../handlers/shared/store/types.js';
import { SimClock } from '../../local/clock.js';
import { dataEvent } from '../support/detections.js';
import { guardDutyEvent, readJson, withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

const TABLE = 'correlation-test';
let store: IncidentStore;
let stop: () => Promise<void>;
let rawItem: Awaited<ReturnType<typeof dynaliteStore>>['rawItem'];

const unique = (prefix: string) => `${prefix}-${randomUUID()}`;
const T0 = '2026-02-23T04:20:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

beforeAll(async () => {
  ({ store, stop, rawItem } = await dynaliteStore(TABLE));
});
afterAll(async () => stop());

function record(incidentId: string, status: IncidentRecord['status'] = 'open'): IncidentRecord {
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  return {
    incidentId,
    status,
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
  };
}

describe('the CORRELATION# claim', () => {
  it('claims a free key, answers a retry of the holder, and names the holder to anyone else in its window', async () => {
    const key = unique('123456789012#arn:aws:iam::123456789012:user/jane#bucket');

    const first = await store.claimCorrelation({ key, incidentId: 'i-1', expiresAt: at(60), now: at(0) });
    const retry = await store.claimCorrelation({ key, incidentId: 'i-1', expiresAt: at(61), now: at(1) });
    const other = await store.claimCorrelation({ key, incidentId: 'i-2', expiresAt: at(70), now: at(10) });

    expect(first).toEqual({ outcome: 'claimed' });
    expect(retry).toEqual({ outcome: 'claimed' });
    expect(other).toEqual({ outcome: 'held', incidentId: 'i-1', claimedAt: at(1), expiresAt: at(61) });
    expect(await rawItem(`CORRELATION#${key}`, 'CORRELATION')).toMatchObject({
      incidentId: 'i-1',
      expiresAt: at(61),
      ttl: Date.parse(at(61)) / 1000 + 30 * 24 * 3600,
    });
  });

  it('after the window the key goes to the next incident, which records the one before (kept across its retries)', async () => {
    const key = unique('k');
    await store.claimCorrelation({ key, incidentId: 'i-1', expiresAt: at(60), now: at(0) });

    const later = await store.claimCorrelation({ key, incidentId: 'i-2', expiresAt: at(120), now: at(60) });
    const retry = await store.claimCorrelation({ key, incidentId: 'i-2', expiresAt: at(121), now: at(61) });

    expect(later).toEqual({ outcome: 'claimed', previousIncidentId: 'i-1' });
    expect(retry).toEqual({ outcome: 'claimed', previousIncidentId: 'i-1' });
  });

  it('hands a key over only from its current holder, and only ever extends a window', async () => {
    const key = unique('k');
    await store.claimCorrelation({ key, incidentId: 'i-1', expiresAt: at(60), now: at(0) });

    const wrong = await store.handOverCorrelation({ key, from: 'i-9', to: 'i-2', expiresAt: at(70), now: at(10) });
    const right = await store.handOverCorrelation({
      key,
      from: 'i-1',
      to: 'i-2',
      expiresAt: at(70),
      now: at(10),
      previousIncidentId: 'i-1',
    });
    await store.extendCorrelation({ key, incidentId: 'i-2', expiresAt: at(65) });
    await store.extendCorrelation({ key, incidentId: 'i-1', expiresAt: at(90) });
    await store.extendCorrelation({ key, incidentId: 'i-2', expiresAt: at(80) });

    expect([wrong, right]).toEqual([false, true]);
    expect(await rawItem(`CORRELATION#${key}`, 'CORRELATION')).toMatchObject({
      incidentId: 'i-2',
      previousIncidentId: 'i-1',
      claimedAt: at(10),
      expiresAt: at(80),
    });
  });

  it('appends a finding id to an incident once', async () => {
    const id = unique('inc');
    await store.createIncident(record(id));

    await store.appendFindingId(id, 'f-2', at(1));
    const again = await store.appendFindingId(id, 'f-2', at(2));

    expect(again.findingIds).toEqual([record(id).findingIds[0], 'f-2']);
    expect(again.updatedAt).toBe(at(1));
    await expect(store.appendFindingId(unique('missing'), 'f', at(1))).rejects.toMatchObject({
      name: 'IncidentNotFound',
    });
  });

  it('a folded finding links its later deliveries, and its own retry, to the incident it was folded into', async () => {
    const findingId = unique('finding');
    await store.claimFinding({ findingId, incidentId: 'i-own', executionName: 'e-1', count: 1, now: T0 });
    await store.linkFinding({ findingId, incidentId: 'i-open' });

    const retry = await store.claimFinding({ findingId, incidentId: 'x', executionName: 'e-1', count: 1, now: T0 });
    const later = await store.claimFinding({ findingId, incidentId: 'x', executionName: 'e-2', count: 3, now: T0 });

    expect(retry).toEqual({ outcome: 'retry', incidentId: 'i-own', linkedTo: 'i-open' });
    expect(later).toEqual({ outcome: 'duplicate', incidentId: 'i-open', previousCount: 1 });
  });
});

describe('principal keys', () => {
  const base = normalizeFinding(guardDutyEvent()).incident as Incident;

  it('agree between GuardDuty (no IAM path) and CloudTrail (with the path), key a role session by its role, and end with one bucket-wide key per bucket', () => {
    const fromTrail: Incident = {
      ...base,
      principal: { ...base.principal, arn: 'arn:aws:iam::123456789012:user/engineering/developer-jane' },
    };
    const session: Incident = {
      ...base,
      principal: {
        type: 'AssumedRole',
        userName: 'etl-pipeline',
        sessionIssuer: 'arn:aws:iam::123456789012:role/service-role/etl-pipeline',
        arn: 'arn:aws:sts::123456789012:assumed-role/etl-pipeline/i-0abc',
      },
    };

    expect(principalKey(base)).toBe('arn:aws:iam::123456789012:user/developer-jane');
    expect(principalKey(fromTrail)).toBe(principalKey(base));
    expect(principalKey(session)).toBe('arn:aws:iam::123456789012:role/etl-pipeline');
    expect(correlationKeys({ ...base, buckets: ['b', 'a', 'b'] })).toEqual([
      '123456789012#arn:aws:iam::123456789012:user/developer-jane',
      '123456789012#arn:aws:iam::123456789012:user/developer-jane#a',
      '123456789012#arn:aws:iam::123456789012:user/developer-jane#b',
      '123456789012#bucket#a',
      '123456789012#bucket#b',
    ]);
  });

  it('use the access key, for an anonymous caller the bucket (the address only when it names none); an unknown principal is never folded', () => {
    const anonymous = (sourceIps: string[], buckets: string[]): Incident => ({
      ...base,
      principal: { type: 'Anonymous' },
      sourceIps,
      buckets,
    });
    expect(principalKey({ ...base, principal: { type: 'Unknown', accessKeyId: 'ASIAEXAMPLE000000001' } })).toBe(
      'key:ASIAEXAMPLE000000001',
    );
    expect(correlationKeys(anonymous(['203.0.113.9'], ['public-assets']))).toEqual(
      correlationKeys(anonymous(['2001:db8::7'], ['public-assets'])),
    );
    expect(correlationKeys(anonymous(['203.0.113.9'], ['public-assets']))).toEqual([
      '123456789012#anonymous#public-assets',
      '123456789012#bucket#public-assets',
    ]);
    expect(principalKey(anonymous(['203.0.113.9', '198.51.100.1'], []))).toBe('ip:198.51.100.1');
    expect(correlationKeys({ ...base, principal: { type: 'Unknown' }, buckets: [] })).toEqual([]);
    expect(correlationKeys({ ...base, buckets: [] })).toEqual([
      '123456789012#arn:aws:iam::123456789012:user/developer-jane',
      '123456789012#arn:aws:iam::123456789012:user/developer-jane#*',
    ]);
  });
});

describe('registration under concurrency (the state machine retries StoreConflict)', () => {
  /** One principal, one bucket of its own, so tests do not share correlation keys. */
  const finding = bucketFinding;
  const registerWith = (event: unknown, executionName: string, clock: SimClock) =>
    registerWithRetries(store, event, executionName, clock);

  it('an anonymous flood from 200 addresses on one bucket, the first then bursts of 50: one incident holding every address', async () => {
    const clock = new SimClock(new Date(T0));
    const records = Array.from({ length: 200 }, (_, n) =>
      dataEvent({ ip: n % 2 ? `2001:db8:4a2b:17::${n.toString(16)}` : `198.51.${n % 7}.${n}`, eventTime: at(0) }),
    );
    const detections = await detect(
      { Records: records },
      { newTerms: new InMemoryNewTermsStore() },
      {
        trustedAccounts: [],
      },
    );
    const tag = randomUUID().slice(0, 8);

    const results: Registration[] = [];
    for (let start = 0; start < detections.length; start += start === 0 ? 1 : 50) {
      const burst = detections.slice(start, start === 0 ? 1 : start + 50);
      results.push(
        ...(await Promise.all(
          burst.map((detection, n) => registerWith(detectionEnvelope(detection), `flood-${tag}-${start + n}`, clock)),
        )),
      );
    }

    expect(detections).toHaveLength(200);
    expect(detections.every((detection) => detection.rule === 'anonymous-rare-source')).toBe(true);
    const opened = results.filter((result) => result.status === 'open');
    expect(opened).toHaveLength(1);
    const incidentId = opened[0]?.incidentId as string;
    expect(results.filter((result) => result.status === 'linked' && result.incidentId === incidentId)).toHaveLength(
      199,
    );
    const record = (await store.getIncident(incidentId)) as IncidentRecord;
    expect(record.signalSourceIps).toHaveLength(199);
    expect(knownSourceIps(record).sort()).toEqual(records.map((entry) => entry.sourceIPAddress).sort());
  });

  it('20 different findings for one principal and bucket at once: exactly one incident, 19 folded into it', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        registerWith(finding(principal, bucket, `finding-${principal}-${n}`), `exec-${principal}-${n}`, clock),
      ),
    );

    const opened = results.filter((result) => result.status === 'open');
    expect(opened).toHaveLength(1);
    const incidentId = opened[0]?.incidentId as string;
    expect(results.filter((result) => result.status === 'linked').map((result) => result.incidentId)).toEqual(
      Array(19).fill(incidentId),
    );
    const incident = await store.getIncident(incidentId);
    expect(new Set(incident?.findingIds)).toEqual(new Set(results.map((result) => result.incident?.findingId)));
    const folded = (await store.listEvents(incidentId)).filter((event) => event.kind === 'folded-in');
    expect(folded).toHaveLength(19);
  });

  it('mixed: the same finding redelivered and other findings, racing: still one incident', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        registerWith(
          finding(principal, bucket, `finding-${principal}-${n % 3}`, n + 1),
          `exec-${principal}-${n}`,
          clock,
        ),
      ),
    );

    expect(results.filter((result) => result.status === 'open')).toHaveLength(1);
    expect(new Set(results.map((result) => result.incidentId)).size).toBe(1);
  });

  it('a retry of a folded registration answers the same link and adds nothing', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const first = await registerWith(finding(principal, bucket, `a-${principal}`), `exec-a-${principal}`, clock);
    const folded = await registerWith(finding(principal, bucket, `b-${principal}`), `exec-b-${principal}`, clock);

    const retry = await registerWith(finding(principal, bucket, `b-${principal}`), `exec-b-${principal}`, clock);

    expect(folded).toMatchObject({ status: 'linked', incidentId: first.incidentId });
    expect(retry).toMatchObject({ status: 'linked', incidentId: first.incidentId });
    const events = await store.listEvents(first.incidentId as string);
    expect(events.filter((event) => event.kind === 'folded-in')).toHaveLength(1);
  });

  it('takes over a claim whose incident was never created once it is abandoned, not before', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${randomUUID().slice(0, 8)}`;
    const bucket = `bucket-${randomUUID().slice(0, 8)}`;
    const event = finding(principal, bucket, `f-${principal}`);
    const [key] = correlationKeys(normalizeFinding(event).incident as Incident);
    await store.claimCorrelation({
      key: key as string,
      incidentId: '20260223-deadbeef0000',
      expiresAt: at(60),
      now: T0,
    });

    const early = await runTask(
      registerIncident,
      { event, settings: testSettings(), executionName: `exec-${principal}` },
      {
        store,
        clock,
        guardduty: { getFindings: async () => [] },
        chat: { post: async () => ({ channel: 'C1', ts: '1' }), update: async () => undefined },
      },
    ).catch((error: Error) => error);
    clock.advance(16 * 60_000);
    const later = await registerWith(event, `exec-${principal}`, clock);

    expect((early as Error).name).toBe('StoreConflict');
    expect(later.status).toBe('open');
  });
});

describe('a GuardDuty sample run as a drill', () => {
  it('never takes in a real signal on a bucket it names, whose containment would then be skipped as a drill', async () => {
    const clock = new SimClock(new Date(T0));
    const settings = testSettings({ acceptSampleFindings: true });
    const bucket = `drill-${randomUUID().slice(0, 8)}`;
    const sample = readJson<Record<string, unknown>>('test/fixtures/guardduty/sample-finding-event.json');
    let drill = withField(sample, 'detail.id', unique('sample'));
    drill = withField(drill, 'detail.resource.s3BucketDetails.0.name', bucket);
    const real = bucketFinding(`user-${randomUUID().slice(0, 8)}`, bucket, unique('real'));

    const first = await registerWithRetries(store, drill, unique('e-drill'), clock, settings);
    const second = await registerWithRetries(store, real, unique('e-real'), clock, settings);

    expect(first.status).toBe('open');
    expect(first.incident?.sample).toBe(true);
    expect(second.status).toBe('open');
    expect(second.incidentId).not.toBe(first.incidentId);
    expect(second.incident?.sample).toBeUndefined();
  });

  it('is never counted against the bucket’s cap, so a real signal over the cap is never linked into it', async () => {
    const clock = new SimClock(new Date(T0));
    const settings = testSettings({ acceptSampleFindings: true, maxNewIncidentsPerBucket: 1 });
    const bucket = `drill-${randomUUID().slice(0, 8)}`;
    const sample = readJson<Record<string, unknown>>('test/fixtures/guardduty/sample-finding-event.json');
    let drill = withField(sample, 'detail.id', unique('sample'));
    drill = withField(drill, 'detail.resource.s3BucketDetails.0.name', bucket);
    // Callers of another account (never ours, so the cap applies to them).
    const elsewhere = { accountId: '444455556666', affiliated: false };
    drill = withField(drill, 'detail.service.action.awsApiCallAction.remoteAccountDetails', elsewhere);
    let outsider = bucketFinding('Admin', bucket, unique('outsider'));
    outsider = withField(outsider, 'detail.service.action.awsApiCallAction.remoteAccountDetails', elsewhere);

    const first = await registerWithRetries(store, drill, unique('e-drill'), clock, settings);
    const second = await registerWithRetries(store, outsider, unique('e-outsider'), clock, settings);

    expect(first.incident?.sample).toBe(true);
    expect(second.status).toBe('open');
    expect(second.incidentId).not.toBe(first.incidentId);
  });
});
