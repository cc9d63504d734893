import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { SimClock } from '../../local/clock.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: IncidentStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('rerun-event-test'));
});
afterAll(async () => stop());

describe('the timeline event of a re-run', () => {
  it('names the execution as plain text, as every timeline entry is (each renderer escapes it once)', async () => {
    const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
    const at = '2026-02-23T04:20:00.000Z';
    await store.createIncident({
      incidentId: '20260223-16e8db698d27',
      status: 'contained',
      createdAt: at,
      updatedAt: at,
      executionName: 'first',
      incident,
      findingIds: [incident.findingId],
    });
    const ports = {
      store,
      clock: new SimClock(new Date('2026-02-23T05:00:00.000Z')),
      guardduty: { getFindings: async () => [] },
      chat: { post: async () => ({ channel: 'C1', ts: '1.1' }), update: async () => undefined },
    };

    await runTask(
      registerIncident,
      {
        event: { incidentId: '20260223-16e8db698d27', rerun: true },
        settings: testSettings(),
        executionName: 'rerun_',
      },
      ports,
    );

    const rerun = (await store.listEvents('20260223-16e8db698d27')).find((event) => event.kind === 'rerun');
    expect(rerun?.text).toContain('(execution rerun_)');
  });
});
