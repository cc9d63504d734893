import { describe, expect, it } from 'vitest';
import { revokeSessionsPolicy } from '../../handlers/shared/policy/statements.js';
import { decide } from '../support/iam.js';

const ACCOUNT = '123456789012';
const USER = `arn:aws:iam::${ACCOUNT}:user/developer-jane`;
const FEDERATED = `arn:aws:sts::${ACCOUNT}:federated-user/jane-exfil`;
const OBJECT = 'arn:aws:s3:::customer-records/exports/customers.csv';
const CONTAINED_AT = '2026-02-23T04:30:00Z';

/** What IAM evaluates for the user after containment: its own Allow, and our Deny beside it. */
const userPolicies = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:*', Resource: '*' },
    ...revokeSessionsPolicy(CONTAINED_AT).Statement.map((statement) => ({
      ...statement,
      Sid: 'IR20260223b6c8a1f2e3d4RevokeOlderSessions',
    })),
  ],
};

const request = (principal: string, context: Record<string, string> = {}) =>
  decide({
    principal,
    principalArn: USER,
    action: 's3:GetObject',
    resource: OBJECT,
    identityPolicy: userPolicies,
    context,
  });

describe('the aws:TokenIssueTime Deny on a user whose long-term key leaked (IAM oracle: iam-simulate)', () => {
  it('denies a GetSessionToken session issued before containment', async () => {
    expect(await request(USER, { 'aws:TokenIssueTime': '2026-02-23T03:10:00Z' })).toBe('ExplicitlyDenied');
  });

  it('denies a GetFederationToken session issued before containment', async () => {
    expect(await request(FEDERATED, { 'aws:TokenIssueTime': '2026-02-23T03:10:00Z' })).toBe('ExplicitlyDenied');
  });

  it('allows a session issued after containment', async () => {
    expect(await request(USER, { 'aws:TokenIssueTime': '2026-02-23T05:00:00Z' })).toBe('Allowed');
  });

  it('leaves requests signed with a long-term key (no token issue time) to the key status alone', async () => {
    expect(await request(USER)).toBe('Allowed');
  });
});
