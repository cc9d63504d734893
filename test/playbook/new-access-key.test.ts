import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import { laterFinding, withField } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const BUCKET = 'customer-records';
const JANE_KEY = 'AKIA3EXAMPLEJNE7WXYZ';
/** The user's own second key (CI), in use before the incident: never touched. */
const JANE_CI_KEY = 'AKIA3EXAMPLEJNECI001';
/** The key the attacker created for the same user with the stolen credentials. */
const SECOND_KEY = 'AKIA3EXAMPLEJNEX0002';

/** The seed's finding as another finding `id`, `minutes` after the first, for developer-jane with `key`. */
function janeWith(key: string, id: string, minutes: number) {
  return withField(laterFinding(id, minutes), 'detail.resource.accessKeyDetails', {
    accessKeyId: key,
    principalId: 'AIDA3EXAMPLEJANE0001',
    userName: 'developer-jane',
    userType: 'IAMUser',
  });
}

/** The seed scenario with the attacker's second key on developer-jane, and the given events. */
function scenario(events: Record<string, unknown>[]) {
  return variant('compromised-iam-user-key', (s) => {
    const users = (s.iam as { users: { userName: string; accessKeys: Record<string, unknown>[] }[] }).users;
    users
      .find((user) => user.userName === 'developer-jane')
      ?.accessKeys.push({ accessKeyId: SECOND_KEY, status: 'Active', createDate: '2026-02-23T04:05:10Z' });
    s.events = events;
  });
}

const FIRST = 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b';
const WITH_SECOND_KEY = 'd8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d';
const AGAIN = 'e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e';

const approvalRequests = (messages: { blocks?: unknown[] }[] | undefined) =>
  (messages ?? []).filter((message) => JSON.stringify(message.blocks ?? []).includes('Approve selected'));

describe('a known principal with an access key the incident does not know', () => {
  it('is new to the contained incident: one delta request lists the key as new and deactivates it alone; the same key again adds nothing', async () => {
    const first = laterFinding(FIRST, 0);
    const alone = await simulate(scenario([first]), { approve: { kind: 'all' } });

    const result = await simulate(
      scenario([first, janeWith(SECOND_KEY, WITH_SECOND_KEY, 30), janeWith(SECOND_KEY, AGAIN, 45)]),
      { approve: { kind: 'all' } },
    );

    const [opened, delta, again] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked', 'linked']);
    expect(new Set(result.incidents.map((incident) => incident.incidentId)).size).toBe(1);
    expect(opened?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    expect(delta?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    expect(again?.states).not.toContain('Request Approval');
    // The request names the key under what is new to the incident, in the incident's thread.
    const posted = delta?.slackMessages.filter((message) => message.method === 'chat.postMessage') ?? [];
    expect(posted.every((message) => message.thread_ts !== undefined)).toBe(true);
    const [request] = approvalRequests(delta?.slackMessages);
    expect(JSON.stringify(request?.blocks)).toMatch(/New to this incident, not yet contained[^"]*AKIA\.\.\.0002/);
    // Of the keys it deactivates the new one only: what is in place is confirmed, the Deny is unchanged.
    const results = Object.fromEntries(
      delta?.applied.map((item) => [`${item.action} ${item.target}`, item.result]) ?? [],
    );
    expect(results).toMatchObject({
      [`deactivateAccessKey ${JANE_KEY}`]: 'already',
      [`deactivateAccessKey ${SECOND_KEY}`]: 'applied',
      [`denyBucketAccess ${BUCKET}`]: 'already',
    });
    expect(result.account.accessKeys).toMatchObject({
      [JANE_KEY]: 'Inactive',
      [SECOND_KEY]: 'Inactive',
      [JANE_CI_KEY]: 'Active',
    });
    expect(result.account.bucketPolicies[BUCKET]).toEqual(alone.account.bucketPolicies[BUCKET]);
    // The later signal with the same key folds in with nothing new.
    expect(again?.plan).toEqual([]);
  }, 240_000);

  it('arriving while the request is pending, the key is queued and asked right after the decision in the same thread', async () => {
    const input = scenario([laterFinding(FIRST, 0), janeWith(SECOND_KEY, WITH_SECOND_KEY, 3)]);
    input.approvalDelayMinutes = 10;

    const result = await simulate(input, { approve: { kind: 'all' } });

    const [opened, folded] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(folded?.states).not.toContain('Request Approval');
    const requests = approvalRequests(opened?.slackMessages);
    expect(requests).toHaveLength(2);
    expect(JSON.stringify(requests[0]?.blocks)).not.toMatch(/New to this incident/);
    expect(JSON.stringify(requests[1]?.blocks)).toMatch(/New to this incident, not yet contained[^"]*AKIA\.\.\.0002/);
    // The queued round moves the user's session cut-off forward too: the key was created before it.
    expect(JSON.stringify(requests[1]?.blocks)).toMatch(/Move forward the session cut-off of user developer-jane/);
    expect(result.account.accessKeys).toMatchObject({
      [JANE_KEY]: 'Inactive',
      [SECOND_KEY]: 'Inactive',
      [JANE_CI_KEY]: 'Active',
    });
  }, 240_000);

  it('moves the user session cut-off forward in place: sessions minted from the new key after the first containment are denied, and rollback removes the statement', async () => {
    const cutoffs = (policy: unknown) =>
      (
        (policy as { Statement?: { Sid?: string; Condition?: Record<string, Record<string, string>> }[] })?.Statement ??
        []
      ).map((statement) => ({
        sid: statement.Sid,
        cutoff: statement.Condition?.DateLessThan?.['aws:TokenIssueTime'],
      }));
    const input = scenario([laterFinding(FIRST, 0), janeWith(SECOND_KEY, WITH_SECOND_KEY, 30)]);
    const alone = await simulate(scenario([laterFinding(FIRST, 0)]), { approve: { kind: 'all' } });
    const [firstStatement] = cutoffs(alone.account.userInlinePolicies['developer-jane']?.AWSRevokeOlderSessions);

    const result = await simulate(input, { approve: { kind: 'all' } });
    const undone = await simulate(input, { approve: { kind: 'all' }, rollback: { reactivateKeys: false } });

    const [, delta] = result.incidents;
    // The request asks to move the cut-off (not to add a policy); the earlier one is not shown as in place.
    const request = JSON.stringify(approvalRequests(delta?.slackMessages)[0]?.blocks);
    expect(request).toMatch(/Move forward the session cut-off of user developer-jane/);
    expect(request).not.toMatch(/✓ Revoke sessions minted from the key/);
    expect(delta?.applied.find((item) => item.action === 'revokeUserSessions')?.result).toBe('applied');
    const statements = cutoffs(result.account.userInlinePolicies['developer-jane']?.AWSRevokeOlderSessions);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.sid).toBe(firstStatement?.sid);
    expect(Date.parse(statements[0]?.cutoff ?? '')).toBeGreaterThan(Date.parse(firstStatement?.cutoff ?? ''));
    expect(undone.account.userInlinePolicies['developer-jane'] ?? {}).toEqual({});
  }, 240_000);

  it('rollback reactivates exactly the keys that were deactivated', async () => {
    const input = scenario([laterFinding(FIRST, 0), janeWith(SECOND_KEY, WITH_SECOND_KEY, 30)]);

    const result = await simulate(input, { approve: { kind: 'all' }, rollback: { reactivateKeys: true } });

    const deactivated = result.incidents
      .flatMap((incident) => incident.applied)
      .filter((item) => item.action === 'deactivateAccessKey' && item.result === 'applied')
      .map((item) => item.target);
    const keySteps = (result.rollback?.[0]?.steps ?? []).filter((step) => step.kind === 'accessKey');
    expect(deactivated).toContain(SECOND_KEY);
    expect(deactivated).toContain(JANE_KEY);
    expect(keySteps.map((step) => step.target.split('/')[1]).sort()).toEqual([...new Set(deactivated)].sort());
    expect(keySteps.every((step) => step.result === 'applied')).toBe(true);
    expect(result.account.accessKeys).toMatchObject({
      [JANE_KEY]: 'Active',
      [SECOND_KEY]: 'Active',
      [JANE_CI_KEY]: 'Active',
    });
  }, 240_000);
});
