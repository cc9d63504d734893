import { describe, expect, it } from 'vitest';
import { planContainment } from '../../handlers/plan-containment/core.js';
import {
  deltaOf,
  describeDelta,
  foldedFor,
  principalsBeyond,
  widened,
} from '../../handlers/register-incident/delta.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { type Incident, MAX_PRINCIPALS, type Principal } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { ActionResult } from '../../handlers/shared/schemas/plan.js';
import type { IncidentRecord } from '../../handlers/shared/store/types.js';
import { planBucketDeny } from '../support/deny-plan.js';
import { guardDutyEvent, laterFinding, scenario, withField } from '../support/fixtures.js';
import { account } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

const SECOND_KEY = 'AKIA3EXAMPLEJNEX0002';

/** The incident of a GuardDuty event as registration sees it. */
function incidentOf(event: Record<string, unknown>): Incident {
  const normalized = normalizeFinding(event);
  if (normalized.status !== 'accepted') throw new Error('the finding is accepted');
  return normalized.incident;
}

/** The seed's finding as a later finding of developer-jane with `key` (and `userType`). */
function janeWith(key: string, id = 'd8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', userType = 'IAMUser'): Incident {
  return incidentOf(
    withField(laterFinding(id, 30), 'detail.resource.accessKeyDetails', {
      accessKeyId: key,
      principalId: 'AIDA3EXAMPLEJANE0001',
      userName: 'developer-jane',
      userType,
    }),
  );
}

function contained(incident: Incident = incidentOf(guardDutyEvent())): IncidentRecord {
  return {
    incidentId: '20260223-16e8db698d27',
    status: 'contained',
    createdAt: '2026-02-23T04:17:00.000Z',
    updatedAt: '2026-02-23T04:30:00.000Z',
    executionName: 'exec-1',
    incident,
    findingIds: [incident.findingId],
  };
}

/** The first round's results: Jane's first key deactivated and her sessions revoked, both at `at`. */
const firstRound = (at: string) => [
  { action: 'deactivateAccessKey' as const, target: 'AKIA3EXAMPLEJNE7WXYZ', result: 'applied' as const, at },
  {
    action: 'revokeUserSessions' as const,
    target: 'user/developer-jane',
    result: 'applied' as const,
    detail: `aws:TokenIssueTime before ${at.replace('.000Z', 'Z')}`,
    at,
  },
];

/** Plans the credential actions of a later round of Jane's incident, after `previouslyApplied`. */
async function planLaterRound(incidentId: string, incident: Incident, previouslyApplied: ActionResult[]) {
  const { account: acct } = account(scenario('compromised-iam-user-key'));
  return runTask(
    planContainment,
    {
      incidentId,
      incident,
      settings: testSettings({ homeAccountId: '123456789012' }),
      enrichment: {},
      contain: ['deactivateAccessKey', 'revokeRoleSessions'],
      previouslyApplied,
    },
    { s3: acct.s3, ec2: acct.ec2 },
  );
}

describe('an access key the incident does not know, of a principal it holds', () => {
  it('is new to the incident: named as a new key, with the signal that brought it', () => {
    const record = contained();
    const signal = janeWith(SECOND_KEY);

    const delta = deltaOf(record, signal, '2026-02-23T04:45:31.000Z');

    expect(delta?.principals).toHaveLength(1);
    expect(delta?.principals?.[0]).toMatchObject({
      type: 'IAMUser',
      userName: 'developer-jane',
      accessKeyId: SECOND_KEY,
      addedBy: { findingId: signal.findingId, at: '2026-02-23T04:45:31.000Z' },
    });
    expect(delta?.newKeys).toEqual([SECOND_KEY]);
    expect(describeDelta(delta as NonNullable<typeof delta>)).toMatch(
      /^new access key\(s\) .*AKIA\.\.\.0002.*to deactivate/,
    );
    expect(foldedFor(record, signal, delta)).toMatch(/a principal it holds, with an access key NEW to this incident/);
  });

  it('a signal with the key the incident already holds adds nothing, once it is on the incident', () => {
    const record = contained();
    const delta = deltaOf(record, janeWith(SECOND_KEY));
    const grown = contained(widened(record, delta));

    expect(deltaOf(record, incidentOf(guardDutyEvent()))).toBeUndefined();
    expect(deltaOf(grown, janeWith(SECOND_KEY, 'e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e'))).toBeUndefined();
    expect(grown.incident.principals?.map((principal) => principal.accessKeyId)).toEqual([
      'AKIA3EXAMPLEJNE7WXYZ',
      SECOND_KEY,
    ]);
  });

  it('a session key (ASIA) of a principal it holds is not a new key: nothing to deactivate', () => {
    expect(deltaOf(contained(), janeWith('ASIA3EXAMPLEJNESESS1'))).toBeUndefined();
  });

  it('an incident with no room left names the new key as over the bound, never drops it silently', () => {
    const first = incidentOf(guardDutyEvent());
    const others: Principal[] = Array.from({ length: MAX_PRINCIPALS - 1 }, (_, index) => ({
      type: 'IAMUser',
      userName: `user-${index}`,
      arn: `arn:aws:iam::123456789012:user/user-${index}`,
      accessKeyId: `AKIA3EXAMPLEUSR${String(index).padStart(5, '0')}`,
    }));
    const record = contained({ ...first, principals: [first.principal, ...others] });

    const delta = deltaOf(record, janeWith(SECOND_KEY));

    expect(delta?.principals).toEqual([]);
    expect(delta?.principalsOver?.map((principal) => principal.accessKeyId)).toEqual([SECOND_KEY]);
    expect(principalsBeyond(record.incident, delta?.principalsOver).map((p) => p.accessKeyId)).toEqual([SECOND_KEY]);
  });
});

describe('the plan of a principal holding several keys', () => {
  it('deactivates each key as its own item, revokes its sessions once and leaves the Deny as for one key', async () => {
    const record = contained();
    const incident = widened(record, deltaOf(record, janeWith(SECOND_KEY)));
    const { account: acct } = account(scenario('compromised-iam-user-key'));

    const credentials = await runTask(
      planContainment,
      {
        incidentId: record.incidentId,
        incident,
        settings: testSettings({ homeAccountId: '123456789012' }),
        enrichment: {},
        contain: ['deactivateAccessKey', 'revokeRoleSessions'],
        previouslyApplied: [],
      },
      { s3: acct.s3, ec2: acct.ec2 },
    );
    const twoKeys = await planBucketDeny(incident);
    const oneKey = await planBucketDeny(record.incident);

    expect(credentials.items.map((item) => item.id)).toEqual([
      'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
      `deactivateAccessKey:${SECOND_KEY}`,
      'revokeUserSessions:user/developer-jane',
    ]);
    expect(twoKeys.items).toEqual(oneKey.items);
  });
});

describe('the session cut-off of a user whose new key a refused round asked about', () => {
  it('is asked to move forward again in the next round, beside the key asked again', async () => {
    // Round 1 contained the first key and revoked the user's sessions; round 2 brought a second
    // key and was denied (nothing of it applied); round 3 brings only a new bucket.
    const record = contained();
    const grown = contained(widened(record, deltaOf(record, janeWith(SECOND_KEY), '2026-02-23T04:45:31.000Z')));
    const next = incidentOf(
      withField(laterFinding('e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e', 60), 'detail.resource.s3BucketDetails', [
        { name: 'finance-archive', type: 'Destination', arn: 'arn:aws:s3:::finance-archive' },
      ]),
    );
    const delta = deltaOf(grown, next, '2026-02-23T05:20:00.000Z');
    const incident = widened(grown, delta);
    const revokedAt = '2026-02-23T04:30:00.000Z';

    const plan = await planLaterRound(record.incidentId, incident, firstRound(revokedAt));

    expect(delta?.buckets).toEqual(['finance-archive']);
    expect(plan.pending.map((item) => item.id)).toContain(`deactivateAccessKey:${SECOND_KEY}`);
    const sessions = plan.pending.find((item) => item.id === 'revokeUserSessions:user/developer-jane');
    expect(sessions).toMatchObject({ renew: { after: revokedAt, cutoff: '2026-02-23T04:30:00Z' } });
    expect(plan.inPlace.map((item) => item.id)).not.toContain('revokeUserSessions:user/developer-jane');
  });

  it('is asked to move forward again when the refused round was a queued one, whose key arrived before the first revocation', async () => {
    // The second key arrived while the first request was pending (queued), so before round 1's
    // revocation; the queued round asking it was denied; round 3 brings only a new bucket.
    const record = contained();
    const grown = contained(widened(record, deltaOf(record, janeWith(SECOND_KEY), '2026-02-23T04:25:00.000Z')));
    const next = incidentOf(laterFinding('e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e', 60, 'finance-archive'));
    const incident = widened(grown, deltaOf(grown, next, '2026-02-23T05:20:00.000Z'));
    const revokedAt = '2026-02-23T04:30:00.000Z';

    const plan = await planLaterRound(record.incidentId, incident, firstRound(revokedAt));

    expect(plan.pending.map((item) => item.id)).toContain(`deactivateAccessKey:${SECOND_KEY}`);
    const sessions = plan.pending.find((item) => item.id === 'revokeUserSessions:user/developer-jane');
    expect(sessions).toMatchObject({ renew: { after: revokedAt } });
  });

  it('stays in place in the next round once a round after the key moved it forward', async () => {
    const record = contained();
    const grown = contained(widened(record, deltaOf(record, janeWith(SECOND_KEY), '2026-02-23T04:45:31.000Z')));
    const next = incidentOf(laterFinding('e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e', 60, 'finance-archive'));
    const incident = widened(grown, deltaOf(grown, next, '2026-02-23T05:20:00.000Z'));
    const plan = await planLaterRound(record.incidentId, incident, [
      ...firstRound('2026-02-23T04:30:00.000Z'),
      { action: 'deactivateAccessKey', target: SECOND_KEY, result: 'applied', at: '2026-02-23T04:50:00.000Z' },
      {
        action: 'revokeUserSessions',
        target: 'user/developer-jane',
        result: 'applied',
        detail: 'aws:TokenIssueTime before 2026-02-23T04:50:00Z (moved forward from 2026-02-23T04:30:00Z)',
        at: '2026-02-23T04:50:00.000Z',
      },
    ]);

    expect(plan.inPlace.map((item) => item.id)).toContain('revokeUserSessions:user/developer-jane');
    expect(plan.items.find((item) => item.id === 'revokeUserSessions:user/developer-jane')).not.toHaveProperty('renew');
  });
});
