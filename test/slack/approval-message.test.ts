import { describe, expect, it } from 'vitest';
import { slackPreviewCommand } from '../../cli/commands/slack-preview.js';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { PlanItem } from '../../handlers/shared/schemas/plan.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { slackLimitViolations } from '../support/slack-limits.js';

const ACCOUNT = '123456789012';
const base = { accountId: ACCOUNT, region: 'us-east-1' };

function incident(buckets: string[]) {
  const normalized = normalizeFinding(guardDutyEvent());
  if (normalized.status !== 'accepted') throw new Error('the seed finding must be accepted');
  return {
    ...normalized.incident,
    buckets,
    ipDetails: Array.from({ length: 30 }, (_, i) => ({
      ip: `198.51.100.${i + 1}`,
      country: 'Netherlands',
      org: 'EXAMPLE-HOSTING-AS',
      asn: '64500',
    })),
  };
}

/** A deny statement of about 460 bytes: 42 of them make a 19 KB policy diff. */
function bigStatement(n: number): Record<string, unknown> & { Sid: string; Effect: 'Deny' } {
  return {
    Sid: `IR20260223000000000001Deny${n}`,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [`arn:aws:s3:::bucket-${n}`, `arn:aws:s3:::bucket-${n}/*`],
    Condition: {
      ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${ACCOUNT}:role/some/very/long/path/to/a/role-${n}`] },
      ArnNotLike: {
        'aws:PrincipalArn': [
          `arn:aws:iam::${ACCOUNT}:role/IncidentResponder`,
          `arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`,
          `arn:aws:iam::${ACCOUNT}:role/s3-exfil-responder-containment`,
        ],
      },
    },
  };
}

describe('the approval message fits Slack whatever the incident', () => {
  it('the bundled scenario’s message (as slack-preview writes it) fits every limit and shows the plan’s details', async () => {
    const { blocks } = JSON.parse(
      await slackPreviewCommand(['--scenario', 'examples/compromised-iam-user-key.json']),
    ) as { blocks: unknown[] };
    const text = JSON.stringify(blocks);

    expect(slackLimitViolations({ text: 'preview', blocks })).toEqual([]);
    expect(text).toContain('AKIA...WXYZ');
    expect(text).not.toContain('AKIA3EXAMPLEJNE7WXYZ');
    expect(text).toContain('IR2026022316e8db698d27DenyPrincipal');
    expect(text).toMatch(/size 518 → 1,000 of 20,480 bytes/);
    expect(text).toContain('Amsterdam');
    expect(text).toContain('sensitivity 87/100');
    expect(text).toContain('Data-event evidence follows in the thread');
  });

  it('50 buckets, 30 source IPs and a 19 KB policy diff still fit, and what was cut says how much', () => {
    const buckets = Array.from({ length: 50 }, (_, i) => `bucket-${i}`);
    const statements = Array.from({ length: 42 }, (_, i) => bigStatement(i));
    expect(JSON.stringify(statements).length).toBeGreaterThan(19_000);
    const deny = buckets.map(
      (bucket, i): PlanItem => ({
        ...base,
        id: `denyBucketAccess:${bucket}`,
        target: bucket,
        action: 'denyBucketAccess',
        bucket,
        summary: `Deny in ${bucket}`,
        statements: i === 0 ? statements : [bigStatement(i)],
        sizeBefore: 900,
        sizeAfter: i === 0 ? 19_900 : 1400,
        limit: 20_480,
      }),
    );
    const macie: PlanItem = {
      ...base,
      id: 'startMacieJob:x',
      target: 'job',
      action: 'startMacieJob',
      buckets,
      jobName: 'job',
      clientToken: 'token',
      summary: 'Macie',
    };
    const message = approvalMessage({
      incidentId: '20260223-000000000001',
      incident: incident(buckets),
      plan: { items: [macie, ...deny], recommendations: [], notPlanned: [] },
      enrichment: {
        assessSensitivity: {
          status: 'ok',
          buckets: buckets.map((bucket) => ({
            bucket,
            sensitivityScore: 90,
            sensitiveDataTypes: ['PERSONAL_INFORMATION: EMAIL_ADDRESS, USA_SOCIAL_SECURITY_NUMBER'],
          })),
        },
        describeBuckets: {
          status: 'ok',
          buckets: buckets.map((bucket) => ({
            bucket,
            warnings: [`Replication rule of ${bucket} copies to 444455556666`],
          })),
        },
      },
      nonce: 'n'.repeat(43),
      deadline: '2026-02-24T04:17:47.000Z',
      now: '2026-02-23T04:17:47.000Z',
      executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:s3-exfil-responder:x`,
    });
    const text = JSON.stringify(message.blocks);

    expect(slackLimitViolations(message)).toEqual([]);
    expect(text).toContain('…and 40 more'); // buckets: 10 listed
    expect(text).toContain('…and 20 more'); // IPs: 10 listed
    expect(text).toContain('…and 31 more changes'); // plan: 20 sections of 51 items
    expect(text).toMatch(/size 900 → 19,900 of 20,480 bytes \(97%\)/);
    // The 19 KB diff goes on in the blocks the message has left: every statement is shown.
    expect(statements.every((statement) => text.includes(`+ ${statement.Sid}:`))).toBe(true);
  });

  it('a diff longer than the blocks left is cut inside its code block, saying how much', () => {
    const statements = Array.from({ length: 400 }, (_, i) => bigStatement(i));
    const deny: PlanItem = {
      ...base,
      id: 'denyBucketAccess:bucket-0',
      target: 'bucket-0',
      action: 'denyBucketAccess',
      bucket: 'bucket-0',
      summary: 'Deny in bucket-0',
      statements,
      sizeBefore: 900,
      sizeAfter: 190_000,
      limit: 20_480,
    };

    const message = approvalMessage({
      incidentId: '20260223-000000000001',
      incident: incident(['bucket-0']),
      plan: { items: [deny], recommendations: [], notPlanned: [] },
      enrichment: {},
      nonce: 'n'.repeat(43),
      deadline: '2026-02-24T04:17:47.000Z',
      now: '2026-02-23T04:17:47.000Z',
    });

    expect(slackLimitViolations(message)).toEqual([]);
    expect(message.blocks?.length).toBe(49);
    expect(JSON.stringify(message.blocks)).toMatch(/…and \d+ more```/);
  });
});
