import { describe, expect, it } from 'vitest';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { planFor } from '../support/deny-plan.js';
import { guardDutyEvent, withField } from '../support/fixtures.js';
import { testSettings } from '../support/settings.js';

const HOME = '123456789012';
const BREAK_GLASS = `arn:aws:iam::${HOME}:role/emergency/BreakGlass`;

/** The seed's GuardDuty finding with a session of role `roleName` as the caller (GuardDuty names no IAM path). */
function sessionOf(roleName: string, accountId?: string): Incident {
  let event = withField(guardDutyEvent(), 'detail.resource.accessKeyDetails', {
    accessKeyId: 'ASIA3EXAMPLEBREAKGL1',
    principalId: 'AROA3EXAMPLEBREAKGL1:oncall',
    userName: roleName,
    userType: 'AssumedRole',
  });
  if (accountId) {
    event = withField(event, 'detail.service.action.awsApiCallAction.remoteAccountDetails', {
      accountId,
      affiliated: true,
    });
  }
  const { incident } = normalizeFinding(event);
  if (!incident) throw new Error('no incident');
  return incident;
}

/** The plan without any enrichment (the principal's IAM lookup failed or did not run). */
const planWithoutFacts = (incident: Incident, settings = testSettings()) =>
  planFor(incident, ['revokeRoleSessions', 'denyBucketAccess'], { settings });

describe('revoking the sessions of a role that is exempt under an IAM path', () => {
  it('is never planned when IAM could not confirm the role, whose finding names it without its path', async () => {
    const settings = testSettings({ homeAccountId: HOME, breakGlassRoleArns: [BREAK_GLASS] });

    const plan = await planWithoutFacts(sessionOf('BreakGlass'), settings);

    expect(plan.items.map((item) => item.action)).not.toContain('revokeRoleSessions');
    expect(plan.notPlanned).toContainEqual(
      expect.objectContaining({ action: 'revokeRoleSessions', reason: expect.stringContaining(BREAK_GLASS) }),
    );
  });

  it('is still planned for a same-named role of another account we manage', async () => {
    const member = '222233334444';
    const settings = testSettings({ homeAccountId: HOME, memberAccounts: [member], breakGlassRoleArns: [BREAK_GLASS] });

    const plan = await planWithoutFacts(sessionOf('BreakGlass', member), settings);

    expect(plan.items).toContainEqual(
      expect.objectContaining({ action: 'revokeRoleSessions', accountId: member, target: 'BreakGlass' }),
    );
  });
});
