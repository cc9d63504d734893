import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import { scenario } from '../support/fixtures.js';
import { run, variant } from '../support/simulate.js';

type Policy = { Statement: { Sid?: string; Effect: string; Condition?: Record<string, unknown> }[] };
const oneEvent = (s: { events: unknown[] }) => {
  s.events = s.events.slice(0, 1);
};
const ENDPOINT = 'vpce-0a1b2c3d4e5f60718';

describe('containment scenarios (issue 4)', () => {
  it('rollback after containment leaves the account as it was, keys reactivated only when asked', async () => {
    const before = await simulate(
      variant('compromised-iam-user-key', (s) => {
        s.events = [{ not: 'a finding' }];
      }),
      { approve: { kind: 'none' } },
    );

    const kept = await simulate(scenario('compromised-iam-user-key'), {
      approve: { kind: 'all' },
      rollback: { reactivateKeys: false },
    });
    const restored = await simulate(scenario('compromised-iam-user-key'), {
      approve: { kind: 'all' },
      rollback: { reactivateKeys: true },
    });

    expect(kept.account.bucketPolicies).toEqual(before.account.bucketPolicies);
    expect(kept.account.accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Inactive');
    expect(restored.account.accessKeys).toEqual(before.account.accessKeys);
    expect(restored.account.bucketPolicies).toEqual(before.account.bucketPolicies);
    // The finding's key, the key it created, the bucket Deny and the user's revoke-sessions policy.
    expect(restored.rollback?.[0]?.steps.map((step) => [step.kind, step.result])).toEqual([
      ['accessKey', 'applied'],
      ['accessKey', 'applied'],
      ['bucketPolicy', 'applied'],
      ['userInlinePolicy', 'applied'],
    ]);
  });

  it('an assumed role gets the revoke-sessions policy, and rollback deletes it', async () => {
    const contained = await run(scenario('assumed-role-exfiltration'));
    const undone = await simulate(scenario('assumed-role-exfiltration'), {
      approve: { kind: 'all' },
      rollback: { reactivateKeys: false },
    });

    const revoke = contained.account.roleInlinePolicies['etl-pipeline']?.AWSRevokeOlderSessions as Policy;
    expect(contained.incidents[0]?.status).toBe('contained');
    expect(revoke.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.stringMatching(/^2026-03-01T/) } },
    });
    expect(undone.account.roleInlinePolicies['etl-pipeline']).toEqual({});
  });

  it('does not plan session revocation on a service-linked role, and says why', async () => {
    const input = variant('assumed-role-exfiltration', (s) => {
      const role = s.iam.roles.find((candidate) => candidate.roleName === 'etl-pipeline');
      if (role) role.path = '/aws-service-role/etl.amazonaws.com/';
    });

    const result = await run(input);

    expect(result.incidents[0]?.plan.map((item) => item.action)).not.toContain('revokeRoleSessions');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/not planned: etl-pipeline is a service-linked role/);
  });

  it('refuses a merge that would push a 19.9 KB policy over 20 KB: partially contained, reported, nothing written', async () => {
    const endpoints: string[] = [];
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'VpceOnly',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::customer-records/*',
          Condition: { StringEquals: { 'aws:SourceVpce': endpoints } },
        },
      ],
    };
    while (JSON.stringify(policy).length < 20_300)
      endpoints.push(`vpce-${endpoints.length.toString(16).padStart(8, '0')}`);
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      (s.s3.buckets[0] as { policy: unknown }).policy = policy;
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.status).toBe('partially_contained');
    expect(incident?.applied).toContainEqual(
      expect.objectContaining({ action: 'denyBucketAccess', result: 'failed', error: 'PolicyTooLarge' }),
    );
    expect(result.account.bucketPolicies['customer-records']).toEqual(policy);
    expect(incident?.reportMarkdown).toMatch(
      /\[ \] Bucket policy of customer-records denies the principal - failed: PolicyTooLarge/,
    );
  });

  it('with an S3 endpoint configured: the endpoint policy keeps its Allow and gains the deny and the data perimeter', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      s.config = { ...s.config, vpcEndpointIds: [ENDPOINT], trustedAccounts: ['210987654321'], denyNonVpcAccess: true };
      s.vpcEndpoints = [{ id: ENDPOINT, serviceName: 'com.amazonaws.us-east-1.s3', policy: null }];
    });

    const result = await run(input);

    const endpoint = result.account.vpcEndpointPolicies[ENDPOINT] as Policy;
    const bucket = result.account.bucketPolicies['customer-records'] as Policy;
    expect(result.incidents[0]?.status).toBe('contained');
    expect(endpoint.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' });
    expect(endpoint.Statement.map((statement) => statement.Sid?.replace(/^IR\w{20}/, 'IR…'))).toEqual([
      undefined,
      'IR…Vpce0a1b2c3d4e5f60718DenyPrincipal',
      'IR…Vpce0a1b2c3d4e5f60718DataPerimeter',
    ]);
    expect(endpoint.Statement[2]?.Condition).toMatchObject({
      StringNotEquals: { 's3:ResourceAccount': ['123456789012', '210987654321'] },
    });
    expect(bucket.Statement.at(-1)).toMatchObject({
      Effect: 'Deny',
      Condition: { StringNotEquals: { 'aws:SourceVpce': [ENDPOINT] } },
    });
  });

  it('root credentials: no credential action, a root deny on the bucket, and a clear recommendation', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      const detail = (s.events[0] as { detail: { resource: { accessKeyDetails: unknown } } }).detail;
      detail.resource.accessKeyDetails = {
        accessKeyId: 'ASIA3EXAMPLEROOT0001',
        principalId: '123456789012',
        userName: 'Root',
        userType: 'Root',
      };
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.plan.map((item) => item.action)).toEqual(['startMacieJob', 'denyBucketAccess']);
    expect(incident?.reportMarkdown).toMatch(/Root credentials were used: sign in as root/);
    expect(JSON.stringify(result.account.bucketPolicies['customer-records'])).toContain(
      'arn:aws:iam::123456789012:root',
    );
  });

  it('an anonymous caller is denied by source address', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      const detail = (
        s.events[0] as {
          detail: {
            resource: { accessKeyDetails: unknown };
            service: { action: { awsApiCallAction: { remoteIpDetails: { ipAddressV4: string } } } };
          };
        }
      ).detail;
      detail.resource.accessKeyDetails = { principalId: 'ANONYMOUS_PRINCIPAL', userType: 'AWSAccount' };
      // A public address: the scenario's documentation address is one no real caller has.
      detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4 = '185.220.101.23';
    });

    const result = await run(input);

    const policy = result.account.bucketPolicies['customer-records'] as Policy;
    expect(result.incidents[0]?.status).toBe('contained');
    expect(policy.Statement.at(-1)?.Condition).toMatchObject({ IpAddress: { 'aws:SourceIp': ['185.220.101.23/32'] } });
  });

  it("an IAM user's temporary credentials: a user-level revoke, the long-term keys untouched", async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      const detail = (s.events[0] as { detail: { resource: { accessKeyDetails: { accessKeyId: string } } } }).detail;
      detail.resource.accessKeyDetails.accessKeyId = 'ASIA3EXAMPLEJANETMP1';
    });

    const result = await run(input);

    expect(result.incidents[0]?.plan.map((item) => item.action)).toEqual([
      'revokeRoleSessions',
      'startMacieJob',
      'denyBucketAccess',
    ]);
    expect(result.account.userInlinePolicies['developer-jane']).toHaveProperty('AWSRevokeOlderSessions');
    expect(result.account.accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Active');
  });

  it('a role made by IAM Identity Center: not edited, the report says to revoke in Identity Center', async () => {
    const input = variant('assumed-role-exfiltration', (s) => {
      const role = s.iam.roles.find((candidate) => candidate.roleName === 'etl-pipeline');
      if (role) role.path = '/aws-reserved/sso.amazonaws.com/';
    });

    const result = await run(input);

    expect(result.incidents[0]?.plan.map((item) => item.action)).not.toContain('revokeRoleSessions');
    expect(result.incidents[0]?.reportMarkdown).toMatch(/Revoke the user's active sessions in IAM Identity Center/);
  });

  it('a third party edits the bucket policy between our read and our write: nothing is lost', async () => {
    const theirs = {
      Sid: 'PlatformTeamReporting',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/reporting' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::customer-records/*',
    };
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      s.concurrentEdits = [{ bucket: 'customer-records', afterReads: 3, statement: theirs }];
    });

    const result = await run(input);

    const policy = result.account.bucketPolicies['customer-records'] as Policy;
    expect(result.incidents[0]?.status).toBe('contained');
    expect(policy.Statement.map((statement) => statement.Sid?.replace(/^IR\w+/, 'IR…'))).toEqual([
      'DenyInsecureTransport',
      'AllowAnalyticsRead',
      'PlatformTeamReporting',
      'IR…',
    ]);
  });

  it('Macie disabled: the job is not planned and the report says so', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      oneEvent(s);
      s.macie = { ...s.macie, enabled: false };
    });

    const result = await run(input);

    expect(result.incidents[0]?.plan.map((item) => item.action)).toEqual([
      'deactivateAccessKey',
      'deactivateAccessKey',
      'revokeUserSessions',
      'denyBucketAccess',
    ]);
    expect(result.incidents[0]?.reportMarkdown).toMatch(/not planned: Macie is not enabled in this account/);
    expect(result.account.macieJobs).toEqual([]);
  });
});
