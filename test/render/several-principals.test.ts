import { describe, expect, it } from 'vitest';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import { buildReport } from '../../handlers/shared/render/report.js';
import type { Incident, Principal } from '../../handlers/shared/schemas/incident.js';
import { MAX_PRINCIPALS } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { slackLimitViolations } from '../support/slack-limits.js';

const ACCOUNT = '123456789012';
const NEW_FINDING = 'd8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d';
const NEW_ARN = `arn:aws:iam::${ACCOUNT}:user/contractor-bob`;

/** The seed incident holding every principal it may, the last one brought by the delta request's signal. */
function crowded(): Incident {
  const seed = normalizeFinding(guardDutyEvent()).incident as Incident;
  const earlier: Principal[] = Array.from({ length: MAX_PRINCIPALS - 2 }, (_, n) => ({
    type: 'AssumedRole',
    sessionIssuer: `arn:aws:iam::${ACCOUNT}:role/a/very/long/path/for/an/earlier/caller/number-${n}`,
    userName: `number-${n}`,
    addedBy: { findingId: `f-earlier-${n}`, at: '2026-02-23T04:30:00.000Z' },
  }));
  const fresh: Principal = {
    type: 'IAMUser',
    arn: NEW_ARN,
    userName: 'contractor-bob',
    accessKeyId: 'AKIA3EXAMPLEBOBK0001',
    addedBy: { findingId: NEW_FINDING, at: '2026-02-23T04:45:00.000Z' },
  };
  return {
    ...seed,
    principals: [seed.principal, ...earlier, fresh],
    delta: { findingId: NEW_FINDING, at: '2026-02-23T04:45:00.000Z', buckets: [] },
  };
}

describe('an incident with several principals', () => {
  it('the delta request names the new principal as new, ahead of a long list of earlier ones, within Slack limits', () => {
    const message = approvalMessage({
      incidentId: '20260223-000000000001',
      incident: crowded(),
      plan: { items: [], recommendations: [], notPlanned: [] },
      enrichment: {},
      nonce: 'n'.repeat(32),
      deadline: '2026-02-24T04:45:00Z',
      now: '2026-02-23T04:46:00Z',
    });

    const text = JSON.stringify(message.blocks);
    expect(text).toMatch(
      /New to this incident, not yet contained[^"]*contractor-bob[^"]*d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d/,
    );
    expect(text).toContain('Also in this incident');
    expect(text).not.toMatch(/Also in this incident[^"]*contractor-bob/);
    expect(slackLimitViolations(message)).toEqual([]);
  });

  it('the report lists every other principal once, with the signal that brought it', () => {
    const incident = crowded();

    const report = buildReport({
      incidentId: '20260223-000000000001',
      incident,
      status: 'contained',
      now: '2026-02-23T05:00:00Z',
      events: [],
      enrichment: {},
      evidence: {},
      applied: [],
    });

    expect(report.otherPrincipals).toHaveLength(MAX_PRINCIPALS - 1);
    expect(report.otherPrincipals?.filter((other) => other.newInRequest).map((other) => other.arn)).toEqual([NEW_ARN]);
    expect(report.otherPrincipals?.at(-1)?.addedBy?.findingId).toBe(NEW_FINDING);
  });
});
