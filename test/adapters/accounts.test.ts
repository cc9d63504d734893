import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AccountClientConfig,
  callAws,
  clientFor,
  resetClientCache,
} from '../../handlers/shared/clients/accounts.js';
import { AwsAccessDenied, AwsThrottling } from '../../handlers/shared/errors.js';

// fromTemporaryCredentials builds its STS client from @aws-sdk/nested-clients, not @aws-sdk/client-sts.
const sts = mockClient(STSClient);

const HOME = '111111111111';
const MEMBER = '222222222222';

function capture() {
  const configs: AccountClientConfig[] = [];
  const make = (config: AccountClientConfig) => {
    configs.push(config);
    return { config };
  };
  return { configs, make };
}

describe('clientFor', () => {
  beforeEach(() => {
    sts.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', HOME);
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    resetClientCache();
  });

  it('uses the default credentials in the home account', () => {
    const { configs, make } = capture();

    clientFor('iam', make, { accountId: HOME });
    clientFor('s3', make, { accountId: HOME, region: 'eu-west-1' });

    expect(configs).toEqual([{}, { region: 'eu-west-1' }]);
  });

  it('assumes the read-only member role in another account when the function was not told its role', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'session',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    const { configs, make } = capture();

    clientFor('iam', make, { accountId: MEMBER, region: 'us-west-2' });
    const credentials = await configs[0]?.credentials?.();

    expect(configs[0]?.region).toBe('us-west-2');
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAMEMBER',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: `arn:aws:iam::${MEMBER}:role/S3ExfilResponderMemberRead`, RoleSessionName: 's3-exfil-responder' },
    ]);
  });

  it('builds the role ARN from MEMBER_ROLE_NAME and AWS_PARTITION', async () => {
    vi.stubEnv('MEMBER_ROLE_NAME', 'IrMember');
    vi.stubEnv('AWS_PARTITION', 'aws-cn');
    sts
      .on(AssumeRoleCommand)
      .resolves({ Credentials: { AccessKeyId: 'A', SecretAccessKey: 'S', SessionToken: 'T', Expiration: new Date() } });
    const { configs, make } = capture();

    clientFor('s3', make, { accountId: MEMBER });
    await configs[0]?.credentials?.();

    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: `arn:aws-cn:iam::${MEMBER}:role/IrMember` });
  });

  it('fails the role assumption as AccessDenied when STS refuses', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }));
    const { configs, make } = capture();

    clientFor('s3', make, { accountId: MEMBER });

    await expect(callAws('s3:GetBucketPolicy', async () => configs[0]?.credentials?.())).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
  });

  it('keeps one client per key, account and Region', () => {
    const { configs, make } = capture();

    const first = clientFor('s3', make, { accountId: HOME, region: 'us-east-1' });
    const again = clientFor('s3', make, { accountId: HOME, region: 'us-east-1' });
    const otherRegion = clientFor('s3', make, { accountId: HOME, region: 'eu-west-1' });
    const otherService = clientFor('iam', make, { accountId: HOME, region: 'us-east-1' });

    expect(again).toBe(first);
    expect(otherRegion).not.toBe(first);
    expect(otherService).not.toBe(first);
    expect(configs).toHaveLength(3);
  });

  it('names HOME_ACCOUNT_ID when it is not set', () => {
    vi.stubEnv('HOME_ACCOUNT_ID', '');
    const { make } = capture();

    expect(() => clientFor('s3', make, { accountId: HOME })).toThrow(/HOME_ACCOUNT_ID/);
  });
});

describe('callAws', () => {
  it('maps an SDK error to a named error that keeps the call name', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

    const failure = callAws('macie2:ListFindings', async () => {
      throw throttled;
    });

    await expect(failure).rejects.toBeInstanceOf(AwsThrottling);
    await expect(failure).rejects.toThrow('macie2:ListFindings failed: ThrottlingException: Rate exceeded');
  });
});
