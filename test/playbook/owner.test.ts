import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../handlers/shared/owner.js';
import { run, variant } from '../support/simulate.js';

const OWNER = 'U024BE7LH';

/** The seed scenario with developer-jane tagged as owned by the first approver. */
const ownedByApprover = (approvers: string[]) =>
  variant('compromised-iam-user-key', (s) => {
    s.config = { ...s.config, approvers };
    const jane = s.iam.users.find((user) => user.userName === 'developer-jane');
    if (!jane) throw new Error('the seed scenario has developer-jane');
    jane.tags = { 'slack-user-id': OWNER };
  });

describe('the owner of the compromised identity never approves its own containment', () => {
  it('reads the owner from the user’s slack-user-id tag, and only a Slack user id', () => {
    expect(ownerOf({ 'slack-user-id': 'U024BE7LH' })).toBe('U024BE7LH');
    expect(ownerOf({ SlackUserId: ' W0ENTERPRISE ' })).toBe('W0ENTERPRISE');
    expect(ownerOf({ 'slack-user-id': 'jane@example.com' })).toBeUndefined();
    expect(ownerOf({ owner: 'U024BE7LH' })).toBeUndefined();
  });

  it('the owner as the only approver: refused, so nobody decides and the request expires', async () => {
    const result = await run(ownedByApprover([OWNER]));

    const [incident] = result.incidents;
    expect(incident?.status).toBe('expired');
    expect(incident?.applied).toEqual([]);
    expect(result.account.accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Active');
  });

  it('another approver on the list decides instead', async () => {
    const result = await run(ownedByApprover([OWNER, 'U0SECOND1']));

    expect(result.incidents[0]?.status).toBe('contained');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/Approved by U0SECOND1/);
  });
});
