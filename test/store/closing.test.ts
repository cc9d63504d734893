import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import type { Registration } from '../../handlers/register-incident/schema.js';
import { closeIfStale, closeIncident } from '../../handlers/shared/close.js';
import { evidenceReportRewriter, sweepStale } from '../../handlers/shared/close-sweep.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { StoreConflict } from '../../handlers/shared/errors.js';
import type { Closure } from '../../handlers/shared/lifecycle.js';
import type { EvidencePort } from '../../handlers/shared/ports.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, SweepStore } from '../../handlers/shared/store/types.js';
import { writeReport } from '../../handlers/write-report/core.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { memoryEvidence } from '../support/evidence.js';
import { guardDutyEvent, withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { bucketFinding, registerWithRetries } from '../support/registration.js';
import { testSettings } from '../support/settings.js';

let store: SweepStore;
let stop: () => Promise<void>;
let rawItem: Awaited<ReturnType<typeof dynaliteStore>>['rawItem'];

const T0 = '2026-02-23T04:20:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const short = () => randomUUID().slice(0, 8);

beforeAll(async () => {
  ({ store, stop, rawItem } = await dynaliteStore('closing-test'));
});
afterAll(async () => stop());

function record(incidentId: string, patch: Partial<IncidentRecord> = {}): IncidentRecord {
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  return {
    incidentId,
    status: 'contained',
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
    ...patch,
  };
}

/** `bucketFinding` with the principal's own access key (one key per user name, as IAM has it). */
const finding = (principal: string, bucket: string, id: string) =>
  withField(
    bucketFinding(principal, bucket, id),
    'detail.resource.accessKeyDetails.accessKeyId',
    `AKIA${createHash('sha256').update(principal).digest('hex').slice(0, 16).toUpperCase()}`,
  );

const register = (event: unknown, executionName: string, clock: SimClock, settings = testSettings()) =>
  registerWithRetries(store, event, executionName, clock, settings);

describe('closing an incident', () => {
  it('an automatic close judged before a signal reached the incident is refused, and the incident stays open', async () => {
    const incidentId = `20260101-${short()}0004`;
    await store.createIncident(record(incidentId, { createdAt: at(0) }));
    const judged = (await store.getIncident(incidentId)) as IncidentRecord;
    // A signal folds in between the sweep's read and its close.
    await store.appendFindingId(incidentId, 'c4b2a8f0e6d4c2b0a8f6e4d2c0b8a6f4', at(129));
    const clock = new SimClock(new Date(at(130)));

    const closing = closeIfStale(judged, 120, { store, chat: new RecordingChat(), clock });

    await expect(closing).rejects.toBeInstanceOf(StoreConflict);
    expect((await store.getIncident(incidentId))?.closure).toBeUndefined();
    const closed = await sweepStale(120, { store, chat: new RecordingChat(), clock });
    expect(closed).not.toContain(incidentId);
  });

  it('an automatic close of an incident whose last signal is the one it was judged on goes through', async () => {
    const incidentId = `20260101-${short()}0005`;
    await store.createIncident(record(incidentId, { createdAt: at(0) }));
    await store.appendFindingId(incidentId, 'd5c3b9a1f7e5d3c1b9a7f5e3d1c9b7a5', at(5));
    const judged = (await store.getIncident(incidentId)) as IncidentRecord;

    const result = await closeIfStale(judged, 120, {
      store,
      chat: new RecordingChat(),
      clock: new SimClock(new Date(at(130))),
    });

    expect(result?.state).toBe('closed');
  });

  it('records the closure once, keeps the containment status, and a second close changes nothing', async () => {
    const id = `20260223-${short()}0000`;
    await store.createIncident(record(id));
    const clock = new SimClock(new Date(at(30)));
    const chat = new RecordingChat();

    const first = await closeIncident(
      { incidentId: id, by: 'U024BE7LH', resolution: 'false_positive', note: 'backup job' },
      { store, chat, clock },
    );
    clock.advance(60_000);
    const second = await closeIncident(
      { incidentId: id, by: 'cli:alice', resolution: 'benign' },
      { store, chat, clock },
    );

    const expected: Closure = { at: at(30), by: 'U024BE7LH', resolution: 'false_positive', note: 'backup job' };
    expect(first).toEqual({
      state: 'closed',
      closure: expected,
      problems: [],
      approval: { state: 'none' },
      reportRewritten: false,
    });
    expect(second).toEqual({ state: 'already-closed', closure: expected });
    const stored = await store.getIncident(id);
    expect(stored).toMatchObject({ status: 'contained', closure: expected, updatedAt: at(30) });
    expect((await store.listEvents(id)).filter((event) => event.kind === 'closed')).toHaveLength(1);
  });

  it('an unknown incident is IncidentNotFound and nothing is written', async () => {
    const id = `20260223-${short()}9999`;

    const closing = closeIncident(
      { incidentId: id, by: 'auto', resolution: 'auto' },
      { store, chat: new RecordingChat(), clock: new SimClock(new Date(T0)) },
    );

    await expect(closing).rejects.toMatchObject({ name: 'IncidentNotFound' });
    expect(await rawItem(`INCIDENT#${id}`, 'META')).toBeUndefined();
  });

  it('tells the thread once with the note escaped, drops the Close button, and adds a Closed section to the report', async () => {
    const id = `20260223-${short()}0001`;
    const chat = new RecordingChat();
    const thread = await chat.post({ channel: 'C0SECOPS01', message: { text: 'approval' } });
    const summaryBlocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'summary' } },
      { type: 'actions', block_id: 'close', elements: [{ type: 'button', action_id: 'close_incident', value: id }] },
    ];
    const summary = await chat.post({
      channel: 'C0SECOPS01',
      threadTs: thread.ts,
      message: { text: 'summary', blocks: summaryBlocks },
    });
    const base = `incidents/${id}/report`;
    const objects = new Map([
      [`${base}.md`, 'Report\nINCIDENT TIMELINE:\n'],
      [`${base}.json`, JSON.stringify({ incidentId: id, status: 'contained' })],
      [`${base}.html`, '<!doctype html><html><body><main><h1>Report</h1></main></body></html>'],
    ]);
    await store.createIncident(
      record(id, {
        slack: thread,
        summaryMessage: { ref: summary, blocks: summaryBlocks, text: 'summary' },
        report: { markdownKey: `${base}.md`, jsonKey: `${base}.json`, htmlKey: `${base}.html` },
      }),
    );
    const note = '<!channel> see <https://evil.example|ticket>\nsecond line';

    const result = await closeIncident(
      { incidentId: id, by: 'U024BE7LH', resolution: 'true_positive', note },
      { store, chat, clock: new SimClock(new Date(at(5))), reports: evidenceReportRewriter(memoryEvidence(objects)) },
    );

    expect(result).toMatchObject({ state: 'closed', problems: [] });
    const threadReplies = chat.messages.filter((message) => message.threadTs === thread.ts);
    expect(threadReplies).toHaveLength(2);
    const told = threadReplies[1]?.message.text ?? '';
    expect(told).toContain('<@U024BE7LH>');
    expect(told).toContain('*true positive*');
    expect(told).toContain('&lt;!channel&gt;');
    expect(told).not.toContain('<!channel>');
    expect(told).not.toContain('<https://evil.example|ticket>');
    const updated = chat.messages.find((message) => message.ref.ts === summary.ts)?.message.blocks ?? [];
    expect(JSON.stringify(updated)).not.toContain('close_incident');
    expect(updated.at(-1)).toMatchObject({ type: 'context', block_id: 'close' });
    expect(objects.get(`${base}.md`)).toMatch(/CLOSED:\n {2}Resolution: true positive\n {2}Closed by: U024BE7LH\n/);
    expect(objects.get(`${base}.md`)).toContain(
      'Note: &lt;!channel&gt; see &lt;https://evil.example|ticket&gt; second line',
    );
    expect(JSON.parse(objects.get(`${base}.json`) ?? '{}')).toMatchObject({
      status: 'contained',
      closure: { resolution: 'true_positive', by: 'U024BE7LH', at: at(5) },
    });
    const html = objects.get(`${base}.html`) ?? '';
    expect(html).toContain('<h2 id="closed">Closed</h2>');
    expect(html).toContain('&lt;!channel&gt;');
    expect(html.indexOf('id="closed"')).toBeLessThan(html.indexOf('</main>'));
  });
});

describe('closing when the evidence bucket fails', () => {
  it('records the closure and names the report among the problems when reading the stored report fails', async () => {
    const id = `close-${short()}`;
    const base = `incidents/${id}/report`;
    await store.createIncident(record(id, { report: { markdownKey: `${base}.md`, jsonKey: `${base}.json` } }));
    const failing: EvidencePort = {
      putObject: async () => ({ location: 's3://evidence/unused' }),
      getObject: async () => {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
    };

    const result = await closeIncident(
      { incidentId: id, by: 'cli:alice', resolution: 'benign' },
      {
        store,
        chat: new RecordingChat(),
        clock: new SimClock(new Date(at(5))),
        reports: evidenceReportRewriter(failing),
      },
    );

    expect(result).toMatchObject({ state: 'closed' });
    expect((result as unknown as { problems: string[] }).problems.join(' ')).toMatch(/report/);
    expect((await store.getIncident(id))?.closure).toMatchObject({ resolution: 'benign', by: 'cli:alice' });
  });
});

describe('after a close', () => {
  it('a new finding for the same principal and bucket opens a new incident that follows the closed one', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${short()}`;
    const bucket = `bucket-${short()}`;
    const first = await register(finding(principal, bucket, `a-${principal}`), `exec-a-${principal}`, clock);
    clock.advance(10 * 60_000);
    const closed = await closeIncident(
      { incidentId: first.incidentId as string, by: 'U024BE7LH', resolution: 'false_positive' },
      { store, chat: new RecordingChat(), clock },
    );
    clock.advance(10 * 60_000);

    const next = await register(finding(principal, bucket, `b-${principal}`), `exec-b-${principal}`, clock);

    expect(closed.state).toBe('closed');
    expect(next.status).toBe('open');
    expect(next.incidentId).not.toBe(first.incidentId);
    expect(next).toMatchObject({ previousIncidentId: first.incidentId });
    const follows = (await store.listEvents(next.incidentId as string)).find((event) => event.kind === 'follows');
    expect(follows?.text).toContain(`Follows incident ${first.incidentId}`);
    expect(follows?.text).toContain('closed: false_positive');
  });

  it('while not closed and within autoCloseAfterMinutes, the same finding pair folds instead', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${short()}`;
    const bucket = `bucket-${short()}`;
    const first = await register(finding(principal, bucket, `a-${principal}`), `exec-a-${principal}`, clock);
    clock.advance(20 * 60_000);

    const next = await register(finding(principal, bucket, `b-${principal}`), `exec-b-${principal}`, clock);

    expect(next).toMatchObject({ status: 'linked', incidentId: first.incidentId });
  });

  it('a close landing between the correlation and the fold: the signal opens its own incident, the closed one takes nothing', async () => {
    const clock = new SimClock(new Date(T0));
    const principal = `user-${short()}`;
    const bucket = `bucket-${short()}`;
    const first = await register(finding(principal, bucket, `a-${principal}`), `exec-a-${principal}`, clock);
    const firstId = first.incidentId as string;
    const closing = Object.create(store) as SweepStore;
    closing.appendFindingId = async (incidentId, findingId, now) => {
      await closeIncident(
        { incidentId, by: 'U024BE7LH', resolution: 'benign' },
        { store, chat: new RecordingChat(), clock },
      );
      return store.appendFindingId(incidentId, findingId, now);
    };
    const ports = { store: closing, clock, guardduty: { getFindings: async () => [] }, chat: new RecordingChat() };
    const input = {
      event: finding(principal, bucket, `b-${principal}`),
      settings: testSettings(),
      executionName: `exec-b-${principal}`,
    };
    clock.advance(5 * 60_000);

    let next: Registration | undefined;
    for (let attempt = 1; !next && attempt <= 3; attempt += 1) {
      next = await runTask(registerIncident, input, ports).catch((error: Error) => {
        if (error.name !== 'StoreConflict') throw error;
        return undefined;
      });
    }

    expect(next).toMatchObject({ status: 'open', previousIncidentId: firstId });
    expect(next?.incidentId).not.toBe(firstId);
    expect((await store.getIncident(firstId))?.findingIds).toEqual([`a-${principal}`]);
  });

  it('a signal past autoCloseAfterMinutes records the automatic closing of the stale incident, then opens a new one', async () => {
    const clock = new SimClock(new Date(T0));
    const settings = { ...testSettings(), autoCloseAfterMinutes: 120 };
    const principal = `user-${short()}`;
    const bucket = `bucket-${short()}`;
    const first = await register(finding(principal, bucket, `a-${principal}`), `exec-a-${principal}`, clock, settings);
    clock.advance(121 * 60_000);

    const next = await register(finding(principal, bucket, `b-${principal}`), `exec-b-${principal}`, clock, settings);

    expect(next).toMatchObject({ status: 'open', previousIncidentId: first.incidentId });
    const stale = await store.getIncident(first.incidentId as string);
    expect(stale?.closure).toMatchObject({ by: 'auto', resolution: 'auto' });
    expect(stale?.status).toBe('open');
  });
});

describe('the auto-close sweep', () => {
  it('closes only incidents past autoCloseAfterMinutes without a signal, and never a failed one', async () => {
    const tag = short();
    const stale = `20260101-${tag}0001`;
    const fresh = `20260101-${tag}0002`;
    const failed = `20260101-${tag}0003`;
    await store.createIncident(record(stale, { createdAt: at(0) }));
    await store.createIncident(record(fresh, { createdAt: at(0), lastSignalAt: at(100) }));
    await store.createIncident(record(failed, { createdAt: at(0), status: 'failed' }));
    const clock = new SimClock(new Date(at(130)));

    const closed = await sweepStale(120, { store, chat: new RecordingChat(), clock });
    const again = await sweepStale(120, { store, chat: new RecordingChat(), clock });

    expect(closed).toContain(stale);
    expect(closed).not.toContain(fresh);
    expect(closed).not.toContain(failed);
    expect(again).not.toContain(stale);
    expect((await store.getIncident(stale))?.closure).toMatchObject({ resolution: 'auto', by: 'auto' });
    expect((await store.getIncident(fresh))?.closure).toBeUndefined();
  });
});

describe('the auto-close sweep and a containment phase still running', () => {
  it('never closes an incident waiting for a decision or containing, however long since its last signal', async () => {
    const tag = short();
    const waiting = `20260105-${tag}0001`;
    const containing = `20260105-${tag}0002`;
    await store.createIncident(record(waiting, { createdAt: at(0), status: 'awaiting_approval' }));
    await store.createIncident(record(containing, { createdAt: at(0), status: 'containing' }));
    const clock = new SimClock(new Date(at(500)));

    const closed = await sweepStale(120, { store, chat: new RecordingChat(), clock });

    expect(closed).not.toContain(waiting);
    expect(closed).not.toContain(containing);
    expect((await store.getIncident(waiting))?.closure).toBeUndefined();
    expect((await store.getIncident(containing))?.closure).toBeUndefined();
  });
});

describe('a close where the report cannot be written', () => {
  it('is marked pending, and the sweep adds the closing part to the report once, then clears the mark', async () => {
    const id = `20260101-${short()}0010`;
    const base = `incidents/${id}/report`;
    const objects = new Map([
      [`${base}.md`, 'Report\n'],
      [`${base}.json`, JSON.stringify({ incidentId: id })],
    ]);
    await store.createIncident(record(id, { report: { markdownKey: `${base}.md`, jsonKey: `${base}.json` } }));
    const clock = new SimClock(new Date(at(10)));
    await closeIncident(
      { incidentId: id, by: 'U024BE7LH', resolution: 'benign' },
      { store, chat: new RecordingChat(), clock },
    );
    const pending = await store.getIncident(id);

    const ports = { store, chat: new RecordingChat(), clock, reports: evidenceReportRewriter(memoryEvidence(objects)) };
    await sweepStale(7 * 24 * 60, ports);
    await sweepStale(7 * 24 * 60, ports);

    expect(pending?.closureReportPending).toBe(true);
    expect((await store.getIncident(id))?.closureReportPending).toBeUndefined();
    expect(objects.get(`${base}.md`)?.match(/CLOSED:/g)).toHaveLength(1);
    expect(JSON.parse(objects.get(`${base}.json`) ?? '{}').closure).toMatchObject({ resolution: 'benign' });
  });
});

describe('a close whose report rewrite fails', () => {
  it('says so, and the next sweep adds the closing part to the report', async () => {
    const id = `20260104-${short()}0001`;
    const base = `incidents/${id}/report`;
    const objects = new Map([
      [`${base}.md`, 'Report\n'],
      [`${base}.json`, JSON.stringify({ incidentId: id })],
    ]);
    await store.createIncident(record(id, { report: { markdownKey: `${base}.md`, jsonKey: `${base}.json` } }));
    const clock = new SimClock(new Date(at(10)));
    const refusing = {
      rewrite: async () => {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
    };

    const result = await closeIncident(
      { incidentId: id, by: 'cli:alice', resolution: 'true_positive' },
      { store, chat: new RecordingChat(), clock, reports: refusing },
    );
    await sweepStale(7 * 24 * 60, {
      store,
      chat: new RecordingChat(),
      clock,
      reports: evidenceReportRewriter(memoryEvidence(objects)),
    });

    expect(result).toMatchObject({ state: 'closed', problems: ['report: AccessDenied'] });
    expect(objects.get(`${base}.md`)?.match(/CLOSED:/g)).toHaveLength(1);
    expect(JSON.parse(objects.get(`${base}.json`) ?? '{}').closure).toMatchObject({ by: 'cli:alice' });
  });
});

describe('a sweep meeting an incident it cannot finish', () => {
  it('leaves that incident pending and still closes the stale ones after it', async () => {
    const tag = short();
    const broken = `20260102-${tag}0001`;
    const stale = `20260102-${tag}0002`;
    const base = `incidents/${broken}/report`;
    const objects = new Map([
      [`${base}.md`, 'Report\n'],
      [`${base}.json`, '{"incidentId": "truncated'],
    ]);
    await store.createIncident(record(broken, { report: { markdownKey: `${base}.md`, jsonKey: `${base}.json` } }));
    await store.createIncident(record(stale, { createdAt: at(0) }));
    const clock = new SimClock(new Date(at(130)));
    await closeIncident(
      { incidentId: broken, by: 'U024BE7LH', resolution: 'benign' },
      { store, chat: new RecordingChat(), clock },
    );
    const ports = { store, chat: new RecordingChat(), clock, reports: evidenceReportRewriter(memoryEvidence(objects)) };

    const closed = await sweepStale(120, ports);

    expect(closed).toContain(stale);
    expect((await store.getIncident(stale))?.closure).toMatchObject({ resolution: 'auto' });
    expect((await store.getIncident(broken))?.closureReportPending).toBe(true);
  });
});

describe('a report written after the incident was closed', () => {
  it('carries the closing part in all three files, and a later sweep does not add a second one', async () => {
    const id = `20260103-${short()}0001`;
    const objects = new Map<string, string>();
    const evidence = memoryEvidence(objects);
    await store.createIncident(record(id, { status: 'containing' }));
    const clock = new SimClock(new Date(at(20)));
    await closeIncident(
      { incidentId: id, by: 'U024BE7LH', resolution: 'false_positive', note: 'test bucket' },
      { store, chat: new RecordingChat(), clock },
    );
    const incident = (await store.getIncident(id))?.incident as Incident;
    const ports = { store, evidence, chat: new RecordingChat(), clock, random: { token: () => 'x'.repeat(32) } };

    await runTask(
      writeReport,
      { incidentId: id, incident, settings: testSettings(), failure: { Error: 'States.Timeout' } },
      ports,
    );
    const written = new Map(objects);
    await sweepStale(7 * 24 * 60, {
      store,
      chat: new RecordingChat(),
      clock,
      reports: evidenceReportRewriter(evidence),
    });

    const base = `incidents/${id}/report`;
    expect(written.get(`${base}.md`)).toMatch(/CLOSED:\n {2}Resolution: false positive\n {2}Closed by: U024BE7LH\n/);
    expect(JSON.parse(written.get(`${base}.json`) ?? '{}').closure).toMatchObject({ resolution: 'false_positive' });
    expect(written.get(`${base}.html`)).toContain('<h2 id="closed">Closed</h2>');
    expect(objects.get(`${base}.md`)?.match(/CLOSED:/g)).toHaveLength(1);
    expect(objects.get(`${base}.html`)?.match(/id="closed"/g)).toHaveLength(1);
    expect((await store.getIncident(id))?.closureReportPending).toBeUndefined();
  });
});

describe('the new-incident cap per bucket', () => {
  it('20 racing registrations for one bucket count exactly the cap, and the rest name the latest counted', async () => {
    const key = `123456789012#bucket-${short()}`;

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        store.countNewIncident({ key, incidentId: `i-${n}`, now: at(0), windowMinutes: 60, max: 5 }),
      ),
    );

    const counted = results.filter((result) => result.outcome === 'counted');
    const capped = results.filter((result) => result.outcome === 'capped');
    expect(counted.map((result) => result.count).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(capped).toHaveLength(15);
    const item = await rawItem(`CAP#${key}`, 'CAP');
    expect(item).toMatchObject({ count: 5, windowStart: at(0) });
    expect(new Set(capped.map((result) => (result.outcome === 'capped' ? result.latestIncidentId : '')))).toEqual(
      new Set([item?.latestIncidentId]),
    );
  });

  it('a retry of the incident counted last is not counted twice, and a new window starts after the last', async () => {
    const key = `123456789012#bucket-${short()}`;
    const count = (incidentId: string, minutes: number) =>
      store.countNewIncident({ key, incidentId, now: at(minutes), windowMinutes: 60, max: 2 });
    await count('i-1', 0);
    await count('i-2', 1);

    const retry = await count('i-2', 2);
    const over = await count('i-3', 3);
    const nextWindow = await count('i-4', 61);

    expect(retry).toEqual({ outcome: 'counted', count: 2, windowStart: at(0) });
    expect(over).toEqual({ outcome: 'capped', count: 2, windowStart: at(0), latestIncidentId: 'i-2' });
    expect(nextWindow).toEqual({ outcome: 'counted', count: 1, windowStart: at(61) });
  });

  it('new signals from many outside principals on one bucket: one incident, the others folded into it as new principals, none dropped', async () => {
    const clock = new SimClock(new Date(T0));
    const settings = { ...testSettings(), maxNewIncidentsPerBucket: 3, correlationWindowMinutes: 60 };
    const bucket = `bucket-${short()}`;
    const results: Registration[] = [];
    for (let n = 0; n < 6; n += 1) {
      const principal = `user-${short()}`;
      results.push(await register(outsider(principal, bucket), `exec-${principal}`, clock, settings));
      clock.advance(60_000);
    }

    const opened = results.filter((result) => result.status === 'open');
    const linked = results.filter((result) => result.status === 'linked');
    expect(opened).toHaveLength(1);
    expect(linked).toHaveLength(5);
    const first = opened[0]?.incidentId as string;
    expect(new Set(linked.map((result) => result.incidentId))).toEqual(new Set([first]));
    expect(linked.every((result) => /different principal, NEW to this incident/.test(result.reason ?? ''))).toBe(true);
    expect((await store.getIncident(first))?.findingIds).toHaveLength(6);
  });

  it('an identity of our own account on the bucket of a pending incident is named as new and queued, not added to that request', async () => {
    const clock = new SimClock(new Date(T0));
    const settings = { ...testSettings(), maxNewIncidentsPerBucket: 2, correlationWindowMinutes: 60 };
    const bucket = `bucket-${short()}`;
    const opened = await register(outsider(`user-${short()}`, bucket), `exec-${short()}`, clock, settings);
    const ours = `user-${short()}`;

    const result = await register(finding(ours, bucket, `f-${ours}`), `exec-${ours}`, clock, settings);

    expect(result).toMatchObject({ status: 'linked', incidentId: opened.incidentId });
    expect(result.delta).toBeUndefined();
    const events = await store.listEvents(opened.incidentId as string);
    const folded = events.find((event) => event.kind === 'folded-in');
    expect(folded?.text).toContain(`NEW to this incident: arn:aws:iam::123456789012:user/${ours}`);
    expect(folded?.text).toContain(
      'not in the pending request: queued, and asked in this thread right after that decision',
    );
    // Nothing of it is planned until it is asked: the incident still names only its first principal.
    const record = await store.getIncident(opened.incidentId as string);
    expect(record?.incident.principals).toBeUndefined();
    expect(
      record?.queuedDeltas
        ?.flatMap((entry) => (entry.delta as { principals?: { arn?: string }[] }).principals ?? [])
        .map((principal) => principal.arn),
    ).toEqual([`arn:aws:iam::123456789012:user/${ours}`]);
  });
});

/** A finding of a caller in another account (GuardDuty `remoteAccountDetails`) on one bucket. */
function outsider(principal: string, bucket: string) {
  return withField(
    finding(principal, bucket, `f-${principal}`),
    'detail.service.action.awsApiCallAction.remoteAccountDetails',
    {
      accountId: '444455556666',
      affiliated: false,
    },
  );
}
