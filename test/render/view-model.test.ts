import { describe, expect, it } from 'vitest';
import { incidentView } from '../../handlers/shared/render/view-model.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import type { Decision, PlanItem } from '../../handlers/shared/schemas/plan.js';

const INCIDENT = {
  source: 'guardduty',
  findingId: 'f0123456789abcdef',
  findingType: 'Exfiltration:S3/AnomalousBehavior',
  severity: 8,
  accountId: '123456789012',
  region: 'us-east-1',
  principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/dev', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
  buckets: ['customer-records'],
  sourceIps: ['198.51.100.23'],
  firstSeen: '2026-02-23T02:47:00Z',
  lastSeen: '2026-02-23T04:12:00Z',
  count: 1,
  partition: 'aws',
} as Incident;

const ITEM = { action: 'deactivateAccessKey', target: 'AKIAIOSFODNN7EXAMPLE', userName: 'dev' } as unknown as PlanItem;

function view(evidence: Record<string, unknown>, decision?: Decision) {
  return incidentView({
    incidentId: '20260223-16e8db698d27',
    incident: INCIDENT,
    status: 'contained',
    now: '2026-02-23T04:30:00Z',
    events: [],
    enrichment: {},
    evidence,
    plan: { items: [ITEM], recommendations: [], notPlanned: [] },
    decision,
    applied: [],
  } as Parameters<typeof incidentView>[0]);
}

describe('the incident view model carries what the decision and data-evidence messages show', () => {
  it('the decision: each decider (a Slack id or the timeout policy), when, and the approved actions in words, once each', () => {
    const decision = {
      outcome: 'approved',
      via: 'slack',
      decidedBy: ['U024BE7LH', 'timeout-policy'],
      decidedAt: '2026-02-23T04:21:00Z',
      approvedPlan: [ITEM, { ...ITEM, target: 'AKIAI44QH8DHBEXAMPLE' }],
    } as Decision;

    const result = view({}, decision).decision;

    expect(result).toEqual({
      outcome: 'approved',
      decidedBy: [{ kind: 'user', id: 'U024BE7LH' }, { kind: 'timeout-policy' }],
      at: '2026-02-23T04:21:00Z',
      actions: ['Deactivate the access key'],
      reason: undefined,
    });
  });

  it('the data evidence: the window, the copies with their account, or one readable reason instead of a cause', () => {
    const summary = {
      status: 'ok',
      requests: 3,
      objectsRead: 2,
      bytesOut: 10,
      firstEventTime: '2026-02-23T02:47:00Z',
      lastEventTime: '2026-02-23T04:12:00Z',
      byBucket: [{ bucket: 'customer-records', objects: 2, bytes: 10 }],
      byEventName: [{ eventName: 'GetObject', count: 2 }],
      sourceIps: [{ ip: '198.51.100.23', count: 3 }],
      userAgents: [{ userAgent: 'aws-cli/2.15.0', count: 3 }],
      crossAccountCopies: [{ destinationBucket: 'partner-archive', count: 1 }],
    };
    const cause = JSON.stringify({ errorType: 'AthenaQueryFailed', errorMessage: 'Table not found', trace: [] });

    const ok = view({ queryDataEvents: summary }).dataEvidence;
    const unavailable = view({ queryDataEvents: { status: 'unavailable', reason: cause } }).dataEvidence;
    const none = view({}).dataEvidence;

    expect(ok).toMatchObject({
      status: 'ok',
      window: { first: '2026-02-23T02:47:00Z', last: '2026-02-23T04:12:00Z' },
      crossAccountCopies: [{ bucket: 'partner-archive', account: 'unknown', count: 1 }],
    });
    expect(unavailable).toEqual({ status: 'unavailable', reason: 'Table not found' });
    expect(none).toBeUndefined();
  });
});
