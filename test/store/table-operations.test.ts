import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { DynamoSweepStore } from '../../handlers/shared/store/dynamodb-sweep.js';
import type { IncidentRecord } from '../../handlers/shared/store/types.js';
import { createDocumentClient, createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { guardDutyEvent } from '../support/fixtures.js';

const TABLE = 'table-operations-test';
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let doc: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, TABLE);
  doc = createDocumentClient(dynamo.client);
});
afterAll(async () => dynamo.stop());

const incident = normalizeFinding(guardDutyEvent()).incident as IncidentRecord['incident'];

function record(incidentId: string): IncidentRecord {
  return {
    incidentId,
    status: 'open',
    createdAt: '2026-02-23T04:20:00.000Z',
    updatedAt: '2026-02-23T04:20:00.000Z',
    executionName: 'exec-table',
    incident,
    findingIds: [incident.findingId],
    previousIncidentId: undefined,
  };
}

describe('the incident table’s operations (marshalled by the store, sent through the document client’s stack)', () => {
  it('store items exactly as the document client reads them, and read back, update, query and scan them', async () => {
    const store = new DynamoSweepStore(doc, TABLE);
    const incidentId = `table-${randomUUID()}`;

    await store.createIncident(record(incidentId));
    await store.addSignalSourceIps(incidentId, ['198.51.100.7', '2001:db8::7']);
    const appended = await store.appendFindingId(incidentId, 'second-finding', '2026-02-23T04:21:00.000Z');
    await store.addEvent(incidentId, { at: '2026-02-23T04:21:00.000Z', kind: 'folded-in', text: 'Folded in' });
    const swept = await store.listIncidentsToSweep('2026-02-23T04:22:00.000Z');
    const raw = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `INCIDENT#${incidentId}`, sk: 'META' } }));

    expect(raw.Item).toMatchObject({ incidentId, executionName: 'exec-table' });
    expect(raw.Item?.incident).toEqual(incident);
    expect(raw.Item).not.toHaveProperty('previousIncidentId');
    expect(raw.Item?.signalSourceIps).toEqual(new Set(['198.51.100.7', '2001:db8::7']));
    expect(appended.findingIds).toEqual([incident.findingId, 'second-finding']);
    expect((await store.getIncident(incidentId))?.signalSourceIps).toEqual(['198.51.100.7', '2001:db8::7']);
    expect((await store.listEvents(incidentId)).map((event) => event.text)).toEqual(['Folded in']);
    expect(swept).toContainEqual({ incidentId });
  });

  it('resolve each operation’s middleware once, not on every request', async () => {
    const store = new DynamoSweepStore(doc, TABLE);
    const incidentId = `table-${randomUUID()}`;
    await store.createIncident(record(incidentId));
    const resolved = vi.spyOn(UpdateItemCommand.prototype, 'resolveMiddleware');

    for (const findingId of ['f-1', 'f-2', 'f-3'])
      await store.appendFindingId(incidentId, findingId, '2026-02-23T04:21:00.000Z');

    expect(resolved).toHaveBeenCalledTimes(1);
    expect((await store.getIncident(incidentId))?.findingIds).toEqual([incident.findingId, 'f-1', 'f-2', 'f-3']);
    resolved.mockRestore();
  });
});
