import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncidentStreamEvent, runClose } from '../../handlers/close-incident/core.js';
import { evidenceReportRewriter, sweepStale } from '../../handlers/shared/close-sweep.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { ChatPort, EvidencePort } from '../../handlers/shared/ports.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, IncidentStore, SweepStore } from '../../handlers/shared/store/types.js';
import { writeReport } from '../../handlers/write-report/core.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { memoryEvidence } from '../support/evidence.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: SweepStore;
let stop: () => Promise<void>;

const T0 = '2026-02-23T04:20:00.000Z';
const CLOSED_AT = '2026-02-23T05:00:00.000Z';
const THREAD = { channel: 'C0SECOPS01', ts: '1700000000.000001' };
const CLOSER = 'cli:arn:aws:sts::123456789012:assumed-role/IncidentResponder/jane';
/** The report an earlier containment round wrote (the seed's format, first lines). */
const EARLIER = '# S3 Data Exfiltration Investigation Report\n\nIncident: earlier round (contained)\n';

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('report-close-race-test'));
});
afterAll(async () => stop());

/** A contained incident whose first round wrote its report and summary; a later round is being reported. */
async function containedWithReport(objects: Map<string, string>): Promise<IncidentRecord> {
  const incidentId = `20260223-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  const base = `incidents/${incidentId}/report`;
  const record: IncidentRecord = {
    incidentId,
    status: 'contained',
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
    slack: THREAD,
    report: { markdownKey: `${base}.md`, jsonKey: `${base}.json`, htmlKey: `${base}.html` },
  };
  await store.createIncident(record);
  objects.set(`${base}.md`, EARLIER);
  objects.set(`${base}.json`, JSON.stringify({ incidentId, status: 'contained' }));
  objects.set(`${base}.html`, '<!doctype html><html><body><h1>Report</h1></body></html>');
  return record;
}

/** The close function closing the incident from the command line: closing part written, flag cleared. */
function closer(incidentId: string, evidence: EvidencePort, chat: ChatPort) {
  return () =>
    runClose(
      { incidentId, resolution: 'true_positive', by: CLOSER, note: 'keys rotated' },
      { autoCloseAfterMinutes: 7 * 24 * 60 },
      { store, chat, clock: new SimClock(new Date(CLOSED_AT)), reports: evidenceReportRewriter(evidence) },
    );
}

/** A later round's outcome (a delta request denied in Slack), shaped as the Respond state's result. */
function laterRound(record: IncidentRecord) {
  return {
    incidentId: record.incidentId,
    incident: record.incident,
    settings: testSettings(),
    response: {
      evidence: { queryDataEvents: { status: 'unavailable', reason: 'no trail with data events', error: 'NoTrail' } },
      decision: {
        enrichment: {},
        plan: { items: [], recommendations: [], notPlanned: [] },
        decision: {
          outcome: 'denied',
          via: 'slack',
          decidedBy: ['U024BE7LH'],
          approvedPlan: [],
          reason: 'denied by U024BE7LH',
        },
        applied: [],
      },
    },
  };
}

/** The stream record DynamoDB delivers for an incident write (NEW_IMAGE), as the close function receives it. */
function streamOf(record: IncidentRecord): IncidentStreamEvent {
  const keys = { pk: `INCIDENT#${record.incidentId}`, sk: 'META' };
  return {
    Records: [
      {
        eventID: '1',
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: marshall(keys) as Record<string, { S?: string }>,
          SequenceNumber: '4421584500000000017450439091',
        },
      },
    ],
  };
}

/** Every pass the close function could make later (the stream record of the last write, then the sweep). */
async function laterPasses(record: IncidentRecord, evidence: EvidencePort) {
  const ports = { store, chat: new RecordingChat(), clock: new SimClock(new Date(CLOSED_AT)) };
  const reports = evidenceReportRewriter(evidence);
  await runClose(streamOf(record), { autoCloseAfterMinutes: 7 * 24 * 60 }, { ...ports, reports });
  await sweepStale(7 * 24 * 60, { ...ports, reports });
}

function expectClosingPartOnce(objects: Map<string, string>, record: IncidentRecord) {
  const keys = record.report as NonNullable<IncidentRecord['report']>;
  expect(objects.get(keys.markdownKey)).toContain(`Incident: ${record.incidentId}`);
  expect(objects.get(keys.markdownKey)?.match(/CLOSED:\n {2}Resolution: true positive/g)).toHaveLength(1);
  expect(JSON.parse(objects.get(keys.jsonKey) ?? '{}')).toMatchObject({
    incidentId: record.incidentId,
    closure: { resolution: 'true_positive', by: CLOSER },
  });
  expect(objects.get(keys.htmlKey as string)?.match(/id="closed"/g)).toHaveLength(1);
}

/** The summary message the report posted, as it reads now. */
function summaryOf(chat: RecordingChat) {
  const summary = chat.messages.find((entry) => entry.message.text.includes('containment finished'));
  return JSON.stringify(summary?.message.blocks ?? []);
}

describe('a close racing with the report of a later round', () => {
  it('a close between the report’s read and its write: the report written after it carries the closing part once', async () => {
    const objects = new Map<string, string>();
    const evidence = memoryEvidence(objects);
    const chat = new RecordingChat();
    const record = await containedWithReport(objects);
    const close = closer(record.incidentId, evidence, chat);
    let closed = false;
    const racing = Object.create(store) as IncidentStore;
    racing.getIncident = async (incidentId) => {
      const read = await store.getIncident(incidentId);
      if (!closed) {
        closed = true;
        await close();
      }
      return read;
    };

    await runTask(writeReport, laterRound(record), {
      store: racing,
      evidence,
      chat,
      clock: new SimClock(new Date('2026-02-23T04:59:00.000Z')),
      random: { token: () => 'x'.repeat(32) },
    });
    const reported = new Map(objects);
    await laterPasses(record, evidence);

    expectClosingPartOnce(reported, record);
    expectClosingPartOnce(objects, record);
    expect(summaryOf(chat)).not.toContain('Close incident');
    expect(summaryOf(chat)).toContain('closed');
    expect((await store.getIncident(record.incidentId))?.closureReportPending).toBeUndefined();
  });

  it('a close between the report’s files and its store update: the files are given the closing part once', async () => {
    const objects = new Map<string, string>();
    const memory = memoryEvidence(objects);
    const chat = new RecordingChat();
    const record = await containedWithReport(objects);
    const close = closer(record.incidentId, memory, chat);
    let closed = false;
    const evidence: EvidencePort = {
      ...memory,
      putObject: async (args) => {
        const put = await memory.putObject(args);
        if (args.key.endsWith('.html') && !closed) {
          closed = true;
          await close();
        }
        return put;
      },
    };

    await runTask(writeReport, laterRound(record), {
      store,
      evidence,
      chat,
      clock: new SimClock(new Date('2026-02-23T04:59:00.000Z')),
      random: { token: () => 'x'.repeat(32) },
    });
    await laterPasses(record, memory);

    expectClosingPartOnce(objects, record);
    expect(summaryOf(chat)).not.toContain('Close incident');
  });

  it('a close after the status is recorded but before the summary is: the posted summary loses its Close button', async () => {
    const objects = new Map<string, string>();
    const evidence = memoryEvidence(objects);
    const chat = new RecordingChat();
    const record = await containedWithReport(objects);
    const close = closer(record.incidentId, evidence, chat);
    let closed = false;
    const racingChat: ChatPort = {
      post: async (args) => {
        const ref = await chat.post(args);
        if (args.message.text.includes('containment finished') && !closed) {
          closed = true;
          await close();
        }
        return ref;
      },
      update: (args) => chat.update(args),
    };

    await runTask(writeReport, laterRound(record), {
      store,
      evidence,
      chat: racingChat,
      clock: new SimClock(new Date('2026-02-23T04:59:00.000Z')),
      random: { token: () => 'x'.repeat(32) },
    });
    await laterPasses(record, evidence);

    expectClosingPartOnce(objects, record);
    expect(summaryOf(chat)).not.toContain('Close incident');
    expect(summaryOf(chat)).toContain('closed');
  });
});
