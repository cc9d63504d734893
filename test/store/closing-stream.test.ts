import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncidentStreamEvent, runClose } from '../../handlers/close-incident/core.js';
import { evidenceReportRewriter } from '../../handlers/shared/close-sweep.js';
import type { EvidencePort } from '../../handlers/shared/ports.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, SweepStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { memoryEvidence } from '../support/evidence.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';

let store: SweepStore;
let stop: () => Promise<void>;

const T0 = '2026-02-23T04:20:00.000Z';
const CLOSED_AT = '2026-02-23T05:00:00.000Z';
const REPORT = '# S3 Data Exfiltration Investigation Report\n\nStatus: contained\n';

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('closing-stream-test'));
});
afterAll(async () => stop());

/** A contained incident with its report written, closed from Slack (the closing part pending). */
async function closedFromSlack(withReport = true): Promise<IncidentRecord> {
  const incidentId = `20260223-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  const base = `incidents/${incidentId}/report`;
  await store.createIncident({
    incidentId,
    status: 'contained',
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
    ...(withReport ? { report: { markdownKey: `${base}.md`, jsonKey: `${base}.json` } } : {}),
  });
  await store.closeIncident({
    incidentId,
    closure: { at: CLOSED_AT, by: 'U024BE7LH', resolution: 'false_positive', note: 'nightly export' },
    reportPending: true,
  });
  return (await store.getIncident(incidentId)) as IncidentRecord;
}

/**
 * The stream record DynamoDB delivers for that write, shaped as the Lambda docs' DynamoDBStreamEvent
 * example (MODIFY, NEW_IMAGE, the keys and new image in DynamoDB JSON).
 */
function streamEvent(record: IncidentRecord, sequenceNumber = '4421584500000000017450439091'): IncidentStreamEvent {
  const keys = { pk: `INCIDENT#${record.incidentId}`, sk: 'META' };
  return {
    Records: [
      {
        eventID: 'c81e728d9d4c2f636f067f89cc14862c',
        eventName: 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        dynamodb: {
          ApproximateCreationDateTime: 1771823200,
          Keys: marshall(keys),
          NewImage: marshall({ ...keys, ...record }, { removeUndefinedValues: true }),
          SequenceNumber: sequenceNumber,
          SizeBytes: 1204,
          StreamViewType: 'NEW_IMAGE',
        },
        eventSourceARN:
          'arn:aws:dynamodb:us-east-1:123456789012:table/ResponderIncidents/stream/2026-02-01T00:00:00.000',
      } as IncidentStreamEvent['Records'][number],
    ],
  };
}

function ports(evidence: EvidencePort) {
  return {
    store,
    chat: new RecordingChat(),
    clock: new SimClock(new Date(CLOSED_AT)),
    reports: evidenceReportRewriter(evidence),
  };
}

const config = { autoCloseAfterMinutes: 7 * 24 * 60 };

describe('the closing part written from the incident table stream', () => {
  it('adds the closing part to the report and clears the pending flag', async () => {
    const record = await closedFromSlack();
    const objects = new Map([
      [record.report?.markdownKey as string, REPORT],
      [record.report?.jsonKey as string, JSON.stringify({ status: 'contained' })],
    ]);
    const evidence = memoryEvidence(objects);

    const answer = await runClose(streamEvent(record), config, ports(evidence));

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(objects.get(record.report?.markdownKey as string)).toContain('Resolution: false positive');
    expect(JSON.parse(objects.get(record.report?.jsonKey as string) ?? '{}').closure).toMatchObject({
      resolution: 'false_positive',
    });
    expect((await store.getIncident(record.incidentId))?.closureReportPending).toBeUndefined();
  });

  it('a redelivered record writes nothing a second time', async () => {
    const record = await closedFromSlack();
    const objects = new Map([[record.report?.markdownKey as string, REPORT]]);
    const evidence = memoryEvidence(objects);
    await runClose(streamEvent(record), config, ports(evidence));
    const written = evidence.puts.length;

    const again = await runClose(streamEvent(record), config, ports(evidence));

    expect(again).toEqual({ batchItemFailures: [] });
    expect(written).toBe(1);
    expect(evidence.puts).toHaveLength(written);
  });

  it('a report not written yet keeps the flag for the report itself and the sweep', async () => {
    const record = await closedFromSlack(false);
    const evidence = memoryEvidence(new Map());

    await runClose(streamEvent(record), config, ports(evidence));

    expect(evidence.puts).toEqual([]);
    expect((await store.getIncident(record.incidentId))?.closureReportPending).toBe(true);
  });

  it('a failed write reports that record by its sequence number and keeps the flag', async () => {
    const record = await closedFromSlack();
    const refusing: EvidencePort = {
      putObject: async () => {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
      getObject: async () => REPORT,
    };

    const answer = await runClose(streamEvent(record, '4421584500000000017450439092'), config, ports(refusing));

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '4421584500000000017450439092' }] });
    expect((await store.getIncident(record.incidentId))?.closureReportPending).toBe(true);
  });

  it('a close from the command line keeps the flag when a report appeared only after it read the incident', async () => {
    const incidentId = `20260223-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
    await store.createIncident({
      incidentId,
      status: 'contained',
      createdAt: T0,
      updatedAt: T0,
      executionName: 'exec',
      incident,
      findingIds: [incident.findingId],
    });
    const evidence = memoryEvidence(new Map());
    // The run's report lands (written from a read before the closure) right after the close is recorded.
    const racing = Object.create(store) as SweepStore;
    racing.closeIncident = async (args) => {
      const closed = await store.closeIncident(args);
      await store.updateIncident(args.incidentId, {
        report: {
          markdownKey: `incidents/${args.incidentId}/report.md`,
          jsonKey: `incidents/${args.incidentId}/report.json`,
        },
        updatedAt: T0,
      });
      return closed;
    };

    await runClose(
      { incidentId, resolution: 'true_positive', by: 'cli:arn:aws:sts::123456789012:assumed-role/IR/jane' },
      config,
      { ...ports(evidence), store: racing },
    );

    const after = await store.getIncident(incidentId);
    expect(evidence.puts).toEqual([]);
    expect(after?.report).toBeDefined();
    expect(after?.closureReportPending).toBe(true);
  });
});
