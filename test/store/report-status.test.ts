import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { EvidencePort } from '../../handlers/shared/ports.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { ActionResult, Decision, PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { IncidentRecord, LifecycleStore } from '../../handlers/shared/store/types.js';
import { writeReport } from '../../handlers/write-report/core.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

let store: LifecycleStore;
let stop: () => Promise<void>;

const T0 = '2026-02-23T04:20:00.000Z';

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('report-status-test'));
});
afterAll(async () => stop());

/** The seed's finding key, deactivated by an earlier round (the plan item as planning writes it). */
const KEY_ITEM: PlanItem = {
  id: 'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
  action: 'deactivateAccessKey',
  target: 'AKIA3EXAMPLEJNE7WXYZ',
  accountId: '123456789012',
  region: 'us-east-1',
  summary: 'Deactivate access key AKIA...WXYZ of IAM user developer-jane',
  userName: 'developer-jane',
  accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
};
/** What a later round asks for: the sessions minted from the leaked key. */
const SESSIONS_ITEM: PlanItem = {
  id: 'revokeUserSessions:user/developer-jane',
  action: 'revokeUserSessions',
  target: 'user/developer-jane',
  accountId: '123456789012',
  region: 'us-east-1',
  summary: 'Revoke sessions minted from the leaked key of developer-jane before now',
  principalKind: 'user',
  name: 'developer-jane',
  policyName: 'AWSRevokeOlderSessions',
  sid: 'IR20260223abcdef123456RevokeSessions',
  size: 180,
  limit: 2048,
};

async function incidentWith(patch: Partial<IncidentRecord>): Promise<IncidentRecord> {
  const incidentId = `20260223-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  const record: IncidentRecord = {
    incidentId,
    status: 'awaiting_approval',
    createdAt: T0,
    updatedAt: T0,
    executionName: 'exec',
    incident,
    findingIds: [incident.findingId],
    ...patch,
  };
  await store.createIncident(record);
  return record;
}

/** Writes the report of a round whose plan found `inPlace` still in effect. */
async function report(
  record: IncidentRecord,
  round: { decision: Decision; applied: ActionResult[]; inPlace: PlanItem[]; items?: PlanItem[] },
) {
  const objects = new Map<string, string>();
  const evidence: EvidencePort = {
    putObject: async ({ key, body }) => {
      objects.set(key, body);
      return { location: `s3://evidence/${key}` };
    },
  };
  const output = await runTask(
    writeReport,
    {
      incidentId: record.incidentId,
      incident: record.incident,
      settings: testSettings(),
      response: {
        evidence: {},
        decision: {
          enrichment: {},
          plan: {
            items: round.items ?? [KEY_ITEM, SESSIONS_ITEM],
            recommendations: [],
            notPlanned: [],
            inPlace: round.inPlace,
          },
          decision: round.decision,
          applied: round.applied,
        },
      },
    },
    {
      store,
      evidence,
      chat: new RecordingChat(),
      clock: new SimClock(new Date('2026-02-23T05:00:00.000Z')),
      random: { token: () => 'x'.repeat(32) },
    },
  );
  return {
    output,
    markdown: objects.get(`incidents/${record.incidentId}/report.md`) ?? '',
    stored: await store.getIncident(record.incidentId),
  };
}

const denied: Decision = {
  outcome: 'denied',
  via: 'slack',
  decidedBy: ['U024BE7LH'],
  approvedPlan: [],
  reason: 'denied by U024BE7LH: not this bucket',
};
const withdrawn: Decision = {
  outcome: 'withdrawn',
  via: 'none',
  decidedBy: [],
  approvedPlan: [],
  reason: 'approval request withdrawn: incident closed by U024BE7LH (false positive)',
};

describe('the status after a round, given what earlier rounds left in place', () => {
  it('a denied round keeps partially_contained when that was the containment in place', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'partially_contained' });

    const { output, stored, markdown } = await report(record, { decision: denied, applied: [], inPlace: [KEY_ITEM] });

    expect(output.status).toBe('partially_contained');
    expect(stored?.status).toBe('partially_contained');
    expect(markdown).toMatch(
      /^Latest request: The latest request was denied \(denied by U024BE7LH: not this bucket\)/m,
    );
  });

  it('a denied round that asked again for an item removed since is at most partially contained, and says so', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });
    const removed = {
      ...SESSIONS_ITEM,
      lapsed: 'applied by an earlier round, no longer in the user policy (removed since)',
    };

    const { output, stored, markdown } = await report(record, {
      decision: denied,
      applied: [],
      inPlace: [KEY_ITEM],
      items: [KEY_ITEM, removed],
    });

    expect(output.status).toBe('partially_contained');
    expect(stored?.status).toBe('partially_contained');
    expect(markdown).toMatch(/^Latest request: .*1 item\(s\) an earlier round applied had been removed since/m);
    expect(markdown).toContain('no longer in the user policy (removed since)');
  });

  it('an approved round that leaves out an item removed since is at most partially contained', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });
    const removed = {
      ...SESSIONS_ITEM,
      lapsed: 'applied by an earlier round, no longer in the user policy (removed since)',
    };
    const approvedKeyOnly: Decision = {
      outcome: 'approved',
      via: 'slack',
      decidedBy: ['U024BE7LH'],
      approvedPlan: [KEY_ITEM],
    };

    const { output, stored } = await report(record, {
      decision: approvedKeyOnly,
      applied: [{ action: KEY_ITEM.action, target: KEY_ITEM.target, result: 'already', at: T0 }],
      inPlace: [KEY_ITEM],
      items: [KEY_ITEM, removed],
    });

    expect(output.status).toBe('partially_contained');
    expect(stored?.lastContainmentStatus).toBe('partially_contained');
  });

  it('an approved round that puts back an item removed since is contained', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });
    const removed = {
      ...SESSIONS_ITEM,
      lapsed: 'applied by an earlier round, no longer in the user policy (removed since)',
    };
    const approvedAll: Decision = {
      outcome: 'approved',
      via: 'slack',
      decidedBy: ['U024BE7LH'],
      approvedPlan: [KEY_ITEM, removed],
    };

    const { output } = await report(record, {
      decision: approvedAll,
      applied: [
        { action: KEY_ITEM.action, target: KEY_ITEM.target, result: 'already', at: T0 },
        { action: removed.action, target: removed.target, result: 'applied', at: T0 },
      ],
      inPlace: [KEY_ITEM],
      items: [KEY_ITEM, removed],
    });

    expect(output.status).toBe('contained');
  });

  it('a withdrawn round keeps contained and says the request was withdrawn', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });

    const { output, markdown } = await report(record, { decision: withdrawn, applied: [], inPlace: [KEY_ITEM] });

    expect(output.status).toBe('contained');
    expect(markdown).toMatch(/^Latest request: The latest request was withdrawn/m);
    expect(markdown).toMatch(/^ {2}\[x\] Access key AKIA\.\.\.WXYZ deactivated \(in place from an earlier round\)$/m);
  });

  it('a denied round with nothing in place is denied, whatever an earlier round contained', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });

    const { output, stored, markdown } = await report(record, { decision: denied, applied: [], inPlace: [] });

    expect(output.status).toBe('denied');
    expect(stored?.status).toBe('denied');
    expect(stored?.lastContainmentStatus).toBe('contained');
    expect(markdown).not.toContain('Latest request:');
  });

  it('an incident recorded before the containment status was kept claims no more than partial containment', async () => {
    const record = await incidentWith({});

    const { output } = await report(record, { decision: denied, applied: [], inPlace: [KEY_ITEM] });

    expect(output.status).toBe('partially_contained');
  });

  it('an approved round whose actions all fail is partially contained, and what was in place stays checked', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });
    const approved: Decision = {
      outcome: 'approved',
      via: 'slack',
      decidedBy: ['U024BE7LH'],
      approvedPlan: [SESSIONS_ITEM, KEY_ITEM],
    };
    const failed = (item: PlanItem): ActionResult => ({
      action: item.action,
      target: item.target,
      result: 'failed',
      error: 'ThrottlingException',
      detail: 'Rate exceeded',
    });

    const { output, stored, markdown } = await report(record, {
      decision: approved,
      applied: [failed(SESSIONS_ITEM), failed(KEY_ITEM)],
      inPlace: [KEY_ITEM],
    });

    expect(output.status).toBe('partially_contained');
    expect(stored?.lastContainmentStatus).toBe('partially_contained');
    expect(markdown).not.toContain('Latest request:');
    expect(markdown).toMatch(
      /^ {2}\[x\] Access key AKIA\.\.\.WXYZ deactivated \(in place from an earlier round; confirming it again failed: /m,
    );
    expect(markdown).toMatch(/^ {2}\[ \] Sessions minted from the leaked key of user\/developer-jane .* - failed/m);
  });

  it('a re-run after a withdrawn later round is never decided by auto-contain', async () => {
    const record = await incidentWith({ lastContainmentStatus: 'contained' });
    await report(record, { decision: withdrawn, applied: [], inPlace: [KEY_ITEM] });
    const ports = {
      store,
      clock: new SimClock(new Date('2026-02-23T06:00:00.000Z')),
      guardduty: { getFindings: async () => [] },
      chat: new RecordingChat(),
    };

    const rerun = await runTask(
      registerIncident,
      { event: { incidentId: record.incidentId, rerun: true }, settings: testSettings(), executionName: 'rerun' },
      ports,
    );

    expect(rerun).toMatchObject({ status: 'open', rerun: true, previousStatus: 'contained', noAutoContain: true });
  });
});
