import { describe, expect, it } from 'vitest';
import type { ApprovePolicy } from '../../local/approver.js';
import { parseScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { laterFinding, readJson, withField } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const FIRST_BUCKET = 'customer-records';
const OTHER_BUCKET = 'app-logs-123456789012';
const JANE_KEY = 'AKIA3EXAMPLEJNE7WXYZ';

/**
 * The approvers contain the principal's credentials and never a bucket Deny: the first request is
 * approved (its selected actions all applied: contained), and a later request asking only for a
 * bucket Deny has nothing selected, which denies it.
 */
const CREDENTIALS_ONLY: ApprovePolicy = {
  kind: 'actions',
  actions: ['deactivateAccessKey', 'revokeUserSessions', 'startMacieJob'],
};

/** The report's header line and checklist line for the finding's key. */
const statusLine = (markdown: string) => markdown.match(/^Incident: \S+ \((\w+)\)$/m)?.[1];
const keyLine = (markdown: string) =>
  markdown.split('\n').find((line) => /^ {2}\[[x ]\] Access key AKIA\.\.\.WXYZ/.test(line));

describe('a later request refused while earlier containment stays in place', () => {
  it('a queued round denied after the first was contained: the incident stays contained and the report says the request was denied', async () => {
    const input = parseScenario(readJson('examples/bucket-while-pending.json'));

    const result = await simulate(input, { approve: CREDENTIALS_ONLY });

    const [opened] = result.incidents;
    expect(opened?.states.filter((state) => state === 'Request Approval')).toHaveLength(2);
    expect(opened?.status).toBe('contained');
    expect(statusLine(opened?.reportMarkdown ?? '')).toBe('contained');
    expect(opened?.reportMarkdown).toMatch(/^Latest request: The latest request was denied \(denied by U\w+/m);
    expect(keyLine(opened?.reportMarkdown ?? '')).toMatch(/^ {2}\[x\] .*\(in place from an earlier round\)/);
    expect(opened?.reportMarkdown).toMatch(new RegExp(`\\[ \\] Bucket policy of ${OTHER_BUCKET} .* - denied by`));
    expect(result.account.accessKeys[JANE_KEY]).toBe('Inactive');
    const summary = opened?.slackMessages.filter((message) => message.text.includes('containment finished')).at(-1);
    expect(summary?.text).toMatch(/containment finished: contained\. .* The latest request was denied/);
  }, 240_000);

  it('a delta asked after containment and denied: its report keeps the status contained', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        laterFinding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0, FIRST_BUCKET),
        laterFinding('c7d9b2a3f4e55f6a0b1c2d3e4f5a6b7c', 30, OTHER_BUCKET),
      ];
    });

    const result = await simulate(input, { approve: CREDENTIALS_ONLY });

    const [opened, delta] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(delta?.states).toContain('Approval Denied');
    expect(statusLine(delta?.reportMarkdown ?? '')).toBe('contained');
    expect(delta?.reportMarkdown).toContain('what earlier rounds contained stays in place');
    expect(delta?.reportMarkdown).toMatch(/Denied by U\w+/);
    expect(statusLine(opened?.reportMarkdown ?? '')).toBe('contained');
  }, 240_000);

  it('a round for a new principal that expires under auto-deny: the status stays contained and the report says it expired', async () => {
    let other = laterFinding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30);
    other = withField(other, 'detail.resource.accessKeyDetails', {
      accessKeyId: 'AKIA3EXAMPLEBOBK0001',
      principalId: 'AIDA3EXAMPLEBOB00001',
      userName: 'contractor-bob',
      userType: 'IAMUser',
    });
    const input = variant('compromised-iam-user-key', (s) => {
      (s.iam as { users: Record<string, unknown>[] }).users.push({
        userName: 'contractor-bob',
        arn: 'arn:aws:iam::123456789012:user/contractor-bob',
        accessKeys: [{ accessKeyId: 'AKIA3EXAMPLEBOBK0001', status: 'Active' }],
      });
      s.events = [laterFinding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0), other];
      s.config = { ...s.config, autoContainSeverity: 7, approvalTimeout: '3h', approvalHeartbeat: '1h' };
    });

    const result = await simulate(input, { approve: { kind: 'timeout' } });

    // The new principal's signal arrived while the first request was pending: asked after it, in the same run.
    const [opened] = result.incidents;
    expect(opened?.states.filter((state) => state === 'Auto Contain')).toHaveLength(1);
    expect(opened?.states.filter((state) => state === 'Auto Deny')).toHaveLength(1);
    expect(opened?.status).toBe('contained');
    expect(statusLine(opened?.reportMarkdown ?? '')).toBe('contained');
    expect(opened?.reportMarkdown).toMatch(/^Latest request: The latest request expired/m);
    expect(opened?.reportMarkdown).toContain('No decision before the deadline: denied by the timeout policy');
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Inactive', AKIA3EXAMPLEBOBK0001: 'Active' });
  }, 240_000);

  it('after a request that expired, a later delta is never decided by auto-contain: the refused principal stays uncontained', async () => {
    let other = laterFinding('d8e0c3b4a5f66a7b1c2d3e4f5a6b7c8d', 30);
    other = withField(other, 'detail.resource.accessKeyDetails', {
      accessKeyId: 'AKIA3EXAMPLEBOBK0001',
      principalId: 'AIDA3EXAMPLEBOB00001',
      userName: 'contractor-bob',
      userType: 'IAMUser',
    });
    const input = variant('compromised-iam-user-key', (s) => {
      (s.iam as { users: Record<string, unknown>[] }).users.push({
        userName: 'contractor-bob',
        arn: 'arn:aws:iam::123456789012:user/contractor-bob',
        accessKeys: [{ accessKeyId: 'AKIA3EXAMPLEBOBK0001', status: 'Active' }],
      });
      s.events = [
        laterFinding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0),
        other,
        laterFinding('f0a2e5d6c7b88c9d3e4f5a6b7c8d9e0f', 480, OTHER_BUCKET),
      ];
      s.config = { ...s.config, autoContainSeverity: 7, approvalTimeout: '3h', approvalHeartbeat: '1h' };
    });

    const result = await simulate(input, { approve: { kind: 'timeout' } });

    const [, , later] = result.incidents;
    expect(later?.status).toBe('linked');
    expect(later?.states).toContain('Auto Deny');
    expect(later?.states).not.toContain('Auto Contain');
    expect(result.account.accessKeys).toMatchObject({ [JANE_KEY]: 'Inactive', AKIA3EXAMPLEBOBK0001: 'Active' });
    expect(JSON.stringify(result.account.bucketPolicies[OTHER_BUCKET] ?? null)).not.toContain('IR');
  }, 240_000);

  it('what arrives while a denied delta was pending stays queued: it is not asked again automatically', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        laterFinding('b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', 0, FIRST_BUCKET),
        laterFinding('c7d9b2a3f4e55f6a0b1c2d3e4f5a6b7c', 30, OTHER_BUCKET),
        laterFinding('e9f1d4c5b6a77b8c2d3e4f5a6b7c8d9e', 33, 'backups-123456789012'),
      ];
    });
    input.approvalDelayMinutes = 10;

    const result = await simulate(input, { approve: CREDENTIALS_ONLY });

    const [, delta] = result.incidents;
    expect(delta?.states.filter((state) => state === 'Request Approval')).toHaveLength(1);
    expect(statusLine(delta?.reportMarkdown ?? '')).toBe('contained');
    const thread = delta?.slackMessages.map((message) => message.text).join('\n') ?? '';
    expect(thread).toMatch(
      /The request was denied: what arrived while it was pending \(bucket\(s\) backups-123456789012\) stays queued/,
    );
  }, 240_000);
});
