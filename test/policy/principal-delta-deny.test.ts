import { describe, expect, it } from 'vitest';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import { assertSafeDeny } from '../../handlers/shared/policy/statements.js';
import type { Incident, Principal } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { Plan } from '../../handlers/shared/schemas/plan.js';
import { protectedRoleArns } from '../../handlers/shared/schemas/settings.js';
import { planFor } from '../support/deny-plan.js';
import { guardDutyEvent } from '../support/fixtures.js';
import { decide } from '../support/iam.js';
import { testSettings } from '../support/settings.js';

const HOME = '123456789012';
const OUTSIDER = '444455556666';
const BUCKET = 'customer-records';
const OBJECT = `arn:aws:s3:::${BUCKET}/exports/customers.csv`;
const BREAK_GLASS = `arn:aws:iam::${HOME}:role/BreakGlassAdmin`;
const JANE = `arn:aws:iam::${HOME}:user/developer-jane`;
const EXTERNAL_ROLE = `arn:aws:iam::${OUTSIDER}:role/Admin`;
const LOCAL_ROLE = `arn:aws:iam::${HOME}:role/Admin`;
const ANALYTICS = `arn:aws:iam::${HOME}:role/analytics-reader`;

/** The seed's bucket policy (an Allow for the analytics role and the TLS-only Deny), as S3 holds it. */
const original = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowAnalyticsRead',
      Effect: 'Allow',
      Principal: { AWS: ANALYTICS },
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    },
  ],
};

const settings = testSettings({ homeAccountId: HOME, breakGlassRoleArns: [BREAK_GLASS] });

/** The seed finding's incident (developer-jane's key on the bucket) with principals folded in. */
function incidentWith(...added: Principal[]): Incident {
  const incident = normalizeFinding(guardDutyEvent()).incident as Incident;
  const at = '2026-02-23T04:45:00.000Z';
  return {
    ...incident,
    principals: [
      incident.principal,
      ...added.map((principal) => ({ ...principal, addedBy: { findingId: 'd8e0c3b4a5f66a7b', at } })),
    ],
  };
}

const plan = (incident: Incident): Promise<Plan> =>
  planFor(incident, ['deactivateAccessKey', 'revokeRoleSessions', 'denyBucketAccess'], { settings });

function bucketDeny(result: Plan) {
  const items = result.items.filter((entry) => entry.action === 'denyBucketAccess');
  const item = items[0];
  if (items.length !== 1 || item?.action !== 'denyBucketAccess') throw new Error('expected one bucket Deny item');
  return item;
}

const denied = (statement: unknown) => {
  const condition = (statement as { Condition?: Record<string, Record<string, unknown>> } | undefined)?.Condition;
  return [condition?.ArnEquals?.['aws:PrincipalArn'] ?? []].flat() as string[];
};

const read = (principal: string, principalArn: string, principalAccount: string, bucketPolicy: unknown) =>
  decide({
    principal,
    principalArn,
    action: 's3:GetObject',
    resource: OBJECT,
    bucketPolicy,
    context: { 'aws:PrincipalAccount': principalAccount },
  });

describe('the incident Deny after a crafted principal is folded in', () => {
  it('a role session of another account joins the one statement; our own role of the same name stays allowed', async () => {
    const result = await plan(
      incidentWith({
        type: 'AssumedRole',
        arn: `arn:aws:sts::${OUTSIDER}:assumed-role/Admin/exfil`,
        sessionIssuer: EXTERNAL_ROLE,
        userName: 'Admin',
        accountId: OUTSIDER,
      }),
    );

    const item = bucketDeny(result);
    const policy = mergeStatements(original as never, item.statements as never).document;
    expect(item.statements).toHaveLength(1);
    expect(
      denied(item.statements[0]).every((arn) => /user\/(\*\/)?developer-jane$|:444455556666:role\//.test(arn)),
    ).toBe(true);
    expect(await read(`arn:aws:sts::${OUTSIDER}:assumed-role/Admin/exfil`, EXTERNAL_ROLE, OUTSIDER, policy)).toBe(
      'ExplicitlyDenied',
    );
    expect(await read(`arn:aws:sts::${HOME}:assumed-role/Admin/nightly`, LOCAL_ROLE, HOME, policy)).toBe('Allowed');
    expect(await read(`arn:aws:sts::${HOME}:assumed-role/analytics-reader/r`, ANALYTICS, HOME, policy)).toBe('Allowed');
    // No credential action in an account we do not manage: its owner is to be told.
    expect(result.notPlanned.some((entry) => entry.reason.includes(`notify account ${OUTSIDER}`))).toBe(true);
  });

  it('a protected role named as the new principal is never denied, and the first principal keeps its Deny', async () => {
    const result = await plan(
      incidentWith({
        type: 'AssumedRole',
        arn: `arn:aws:sts::${HOME}:assumed-role/BreakGlassAdmin/oncall`,
        sessionIssuer: BREAK_GLASS,
        userName: 'BreakGlassAdmin',
      }),
    );

    const item = bucketDeny(result);
    const names = denied(item.statements[0]);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((arn) => arn.endsWith('/developer-jane'))).toBe(true);
    for (const statement of item.statements) assertSafeDeny(statement as never, protectedRoleArns(settings), [HOME]);
    expect(result.notPlanned).toContainEqual(
      expect.objectContaining({ action: 'denyBucketAccess', target: BREAK_GLASS }),
    );
    expect(result.notPlanned).toContainEqual(
      expect.objectContaining({ action: 'revokeRoleSessions', target: 'BreakGlassAdmin' }),
    );
    const policy = mergeStatements(original as never, item.statements as never).document;
    expect(await read(`arn:aws:sts::${HOME}:assumed-role/BreakGlassAdmin/oncall`, BREAK_GLASS, HOME, policy)).not.toBe(
      'ExplicitlyDenied',
    );
    expect(await read(JANE, JANE, HOME, policy)).toBe('ExplicitlyDenied');
  });

  it('an access key id alone adds nothing to the Deny and no credential action', async () => {
    const alone = await plan(incidentWith());
    const result = await plan(incidentWith({ type: 'IAMUser', accessKeyId: 'AKIA3EXAMPLEKEYONLY1' }));

    expect(bucketDeny(result).statements).toEqual(bucketDeny(alone).statements);
    expect(result.items.map((entry) => entry.id)).toEqual(alone.items.map((entry) => entry.id));
  });

  it('gives every principal its own plan item ids', async () => {
    const result = await plan(
      incidentWith({
        type: 'IAMUser',
        arn: `arn:aws:iam::${HOME}:user/contractor-bob`,
        userName: 'contractor-bob',
        accessKeyId: 'AKIA3EXAMPLEBOBK0001',
      }),
    );

    const ids = result.items.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'deactivateAccessKey:AKIA3EXAMPLEJNE7WXYZ',
        'deactivateAccessKey:AKIA3EXAMPLEBOBK0001',
        'revokeUserSessions:user/developer-jane',
        'revokeUserSessions:user/contractor-bob',
      ]),
    );
  });

  it('anonymous callers and an identified principal in one incident: one statement each per bucket, by address and by ARN', async () => {
    const seed = normalizeFinding(guardDutyEvent()).incident as Incident;
    const bob = `arn:aws:iam::${HOME}:user/contractor-bob`;
    const result = await plan({
      ...seed,
      principal: { type: 'Anonymous' },
      sourceIps: ['185.220.101.50', '45.155.205.7'],
      principals: [
        { type: 'Anonymous' },
        {
          type: 'IAMUser',
          arn: bob,
          userName: 'contractor-bob',
          accessKeyId: 'AKIA3EXAMPLEBOBK0001',
          addedBy: { findingId: 'd8e0c3b4a5f66a7b', at: '2026-02-23T04:45:00.000Z' },
        },
      ],
    });

    const item = bucketDeny(result);
    const sids = item.statements.map((statement) => statement.Sid);
    expect(sids).toEqual(['IR20260223c4e6a8b0d2f4DenyPrincipal', 'IR20260223c4e6a8b0d2f4DenySourceIp']);
    expect(denied(item.statements[0]).every((arn) => arn.endsWith('/contractor-bob'))).toBe(true);
    const addresses = (item.statements[1] as { Condition?: { IpAddress?: Record<string, unknown> } }).Condition
      ?.IpAddress?.['aws:SourceIp'];
    expect([addresses].flat().sort()).toEqual(['185.220.101.50/32', '45.155.205.7/32']);
    const policy = mergeStatements(original as never, item.statements as never).document;
    expect(await read(`${bob}`, bob, HOME, policy)).toBe('ExplicitlyDenied');
    expect(await read(`arn:aws:sts::${HOME}:assumed-role/analytics-reader/r`, ANALYTICS, HOME, policy)).toBe('Allowed');
  });
});
