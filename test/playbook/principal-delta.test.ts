import { describe, expect, it } from 'vitest';
import { byteSize, serializePolicy } from '../../handlers/shared/policy/document.js';
import { simulate } from '../../local/simulate.js';
import { laterFinding, withField } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const BUCKET = 'customer-records';
const JANE_KEY = 'AKIA3EXAMPLEJNE7WXYZ';
const BOB_KEY = 'AKIA3EXAMPLEBOBK0001';
const BOB_ARN = 'arn:aws:iam::123456789012:user/contractor-bob';

type Statement = { Sid?: string; Condition?: Record<string, Record<string, string | string[]>> };
type Policy = { Statement: Statement[] };

/**
 * The seed's GuardDuty finding (the Exfiltration:S3 sample shape) as another finding `id`, `minutes`
 * after the first, for the IAM user and key of `who` (the seed's own user when absent).
 */
function finding(
  id: string,
  minutes: number,
  who?: { userName: string; key: string; principalId: string; ip: string },
) {
  let event = laterFinding(id, minutes);
  if (!who) return event;
  event = withField(event, 'detail.resource.accessKeyDetails', {
    accessKeyId: who.key,
    principalId: who.principalId,
    userName: who.userName,
    userType: 'IAMUser',
  });
  return withField(event, 'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4', who.ip);
}

const BOB = { userName: 'contractor-bob', key: BOB_KEY, principalId: 'AIDA3EXAMPLEBOB00001', ip: '185.220.101.77' };

/** The seed scenario with a second IAM user of the account, and the given events. */
function scenario(events: Record<string, unknown>[]) {
  return variant('compromised-iam-user-key', (s) => {
    const iam = s.iam as { users: Record<string, unknown>[] };
    iam.users.push({
      userName: BOB.userName,
      arn: BOB_ARN,
      accessKeys: [{ accessKeyId: BOB_KEY, status: 'Active', createDate: '2025-11-02T08:00:00Z' }],
    });
    s.events = events;
  });
}

const ours = (policy: unknown) =>
  ((policy as Policy | null)?.Statement ?? []).filter((statement) => statement.Sid?.startsWith('IR'));

describe('a different principal on the bucket of a contained incident', () => {
  it('folds in as linked, one delta approval in the thread naming it as new, then its key and sessions contained and the one Deny extended', async () => {
    const first = finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0);
    const second = finding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30, BOB);

    const alone = await simulate(scenario([first]), { approve: { kind: 'all' } });
    const result = await simulate(scenario([first, second]), { approve: { kind: 'all' } });

    const [opened, delta] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(delta?.incidentId).toBe(opened?.incidentId);
    expect(delta?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    // The request stays in the incident's thread (no new top-level message) and names the new principal as new.
    const posted = delta?.slackMessages.filter((message) => message.method === 'chat.postMessage') ?? [];
    expect(posted.every((message) => message.thread_ts !== undefined)).toBe(true);
    const request = delta?.slackMessages.find((message) =>
      JSON.stringify(message.blocks ?? []).includes('Approve selected'),
    );
    expect(JSON.stringify(request?.blocks)).toMatch(/New to this incident[^"]*contractor-bob/);
    // What was in place is confirmed; the new principal's key and sessions, and the Deny extension, are applied.
    const results = Object.fromEntries(
      delta?.applied.map((item) => [`${item.action} ${item.target}`, item.result]) ?? [],
    );
    expect(results).toMatchObject({
      [`deactivateAccessKey ${JANE_KEY}`]: 'already',
      [`deactivateAccessKey ${BOB_KEY}`]: 'applied',
      'revokeUserSessions user/contractor-bob': 'applied',
      // Nothing new for the first user: the session revocation stays as it was, confirmed in place.
      'revokeUserSessions user/developer-jane': 'already',
      [`denyBucketAccess ${BUCKET}`]: 'applied',
    });
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Inactive', [BOB_KEY]: 'Inactive' });
    // The report names the second principal and the signal that brought it.
    expect(delta?.reportMarkdown).toMatch(
      /OTHER PRINCIPALS OF THE INCIDENT:\n\s+arn:aws:iam::123456789012:user\/contractor-bob \(IAMUser, key AKIA\.\.\.0001\); folded in from finding d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d/,
    );
    expect(Object.keys(result.account.userInlinePolicies[BOB.userName] ?? {})).toEqual(['AWSRevokeOlderSessions']);
    // One statement of ours in the bucket, naming both; the policy grew by the new principal's entries only.
    const before = ours(alone.account.bucketPolicies[BUCKET]);
    const after = ours(result.account.bucketPolicies[BUCKET]);
    expect(after).toHaveLength(1);
    expect(after[0]?.Sid).toBe(before[0]?.Sid);
    const named = (statement: Statement | undefined) =>
      [statement?.Condition?.ArnEquals?.['aws:PrincipalArn'] ?? []].flat() as string[];
    const added = named(after[0]).filter((arn) => !named(before[0]).includes(arn));
    expect(named(after[0]).slice(0, named(before[0]).length)).toEqual(named(before[0]));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((arn) => arn.endsWith('/contractor-bob'))).toBe(true);
    const size = (policy: unknown) => byteSize(serializePolicy(policy as Parameters<typeof serializePolicy>[0]));
    const entries = added.reduce((total, arn) => total + byteSize(`,${JSON.stringify(arn)}`), 0);
    expect(size(result.account.bucketPolicies[BUCKET]) - size(alone.account.bucketPolicies[BUCKET])).toBe(entries);
  }, 240_000);

  it('arriving while the approval is pending, it is queued, then asked as new in the same thread after the decision and contained', async () => {
    const input = scenario([
      finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0),
      finding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 3, BOB),
    ]);
    input.approvalDelayMinutes = 10;

    const result = await simulate(input, { approve: { kind: 'all' } });

    const [opened, folded] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(folded?.incidentId).toBe(opened?.incidentId);
    expect(folded?.states).not.toContain('Request Approval');
    expect(opened?.states.filter((state) => state === 'Request Approval')).toHaveLength(2);
    const requests = (opened?.slackMessages ?? []).filter((message) =>
      JSON.stringify(message.blocks ?? []).includes('Approve selected'),
    );
    expect(JSON.stringify(requests.at(-1)?.blocks)).toMatch(/New to this incident[^"]*contractor-bob/);
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Inactive', [BOB_KEY]: 'Inactive' });
    const statements = ours(result.account.bucketPolicies[BUCKET]);
    expect(statements).toHaveLength(1);
    const named = [statements[0]?.Condition?.ArnEquals?.['aws:PrincipalArn'] ?? []].flat();
    expect(named.some((arn) => arn.endsWith('/contractor-bob'))).toBe(true);
    expect(named.filter((arn) => arn.endsWith('/contractor-bob'))).toHaveLength(
      new Set(named.filter((arn) => arn.endsWith('/contractor-bob'))).size,
    );
  }, 240_000);

  it('under auto-contain on timeout, the first principal is contained unasked but a new principal never is', async () => {
    const input = scenario([
      finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0),
      finding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30, BOB),
    ]);
    input.config = { ...input.config, autoContainSeverity: 7, approvalTimeout: '3h', approvalHeartbeat: '1h' };

    const result = await simulate(input, { approve: { kind: 'timeout' } });

    const [opened] = result.incidents;
    expect(opened?.states.filter((state) => state === 'Auto Contain')).toHaveLength(1);
    expect(opened?.states.filter((state) => state === 'Auto Deny')).toHaveLength(1);
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Inactive', [BOB_KEY]: 'Active' });
    const named = [
      ours(result.account.bucketPolicies[BUCKET])[0]?.Condition?.ArnEquals?.['aws:PrincipalArn'] ?? [],
    ].flat();
    expect(named.some((arn) => arn.endsWith('/contractor-bob'))).toBe(false);
  }, 240_000);

  it('anonymous callers folding in are denied by their own addresses, never by the first principal’s', async () => {
    let anonymous = finding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30);
    anonymous = withField(anonymous, 'detail.resource.accessKeyDetails', {
      principalId: 'ANONYMOUS_PRINCIPAL',
      userType: 'Anonymous',
    });
    anonymous = withField(
      anonymous,
      'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
      '91.240.118.99',
    );
    const first = finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0);

    const result = await simulate(scenario([first, anonymous]), { approve: { kind: 'all' } });

    const statements = ours(result.account.bucketPolicies[BUCKET]);
    const bySource = statements.find((statement) => statement.Sid?.endsWith('DenySourceIp'));
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(bySource?.Condition?.IpAddress?.['aws:SourceIp']).toEqual(['91.240.118.99/32']);
    expect(statements.filter((statement) => statement.Sid?.endsWith('DenyPrincipal'))).toHaveLength(1);
  }, 240_000);

  it('rollback removes the one statement once and keeps the bucket owner’s statements', async () => {
    const input = scenario([
      finding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0),
      finding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30, BOB),
    ]);
    const original = (input.s3 as { buckets: { name: string; policy: Policy }[] }).buckets.find(
      (bucket) => bucket.name === BUCKET,
    )?.policy;

    const result = await simulate(input, { approve: { kind: 'all' }, rollback: { reactivateKeys: true } });

    const removals = (result.rollback?.[0]?.steps ?? []).filter(
      (step) => step.kind === 'bucketPolicy' && step.target === BUCKET,
    );
    expect(result.rollback).toHaveLength(1);
    expect(removals.map((step) => step.result)).toEqual(['applied']);
    expect(result.account.bucketPolicies[BUCKET]).toEqual(original);
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Active', [BOB_KEY]: 'Active' });
    expect(result.account.userInlinePolicies[BOB.userName] ?? {}).toEqual({});
  }, 240_000);
});
