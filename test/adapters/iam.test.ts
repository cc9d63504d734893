import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsIamPort } from '../../handlers/shared/clients/iam.js';
import { AwsAccessDenied, AwsResourceNotFound, AwsThrottling } from '../../handlers/shared/errors.js';

const iam = mockClient(IAMClient);
const ACCOUNT = '111111111111';

const serviceError = (name: string, message: string) =>
  new IAMServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('awsIamPort', () => {
  beforeEach(() => {
    iam.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('deactivates exactly the key it is given', async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});

    await awsIamPort().updateAccessKey({
      accountId: ACCOUNT,
      userName: 'alice',
      accessKeyId: 'AKIAEXAMPLE1',
      status: 'Inactive',
    });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam.commandCalls(UpdateAccessKeyCommand)[0]?.args[0].input).toEqual({
      UserName: 'alice',
      AccessKeyId: 'AKIAEXAMPLE1',
      Status: 'Inactive',
    });
  });

  it('lists the keys of every page', async () => {
    iam
      .on(ListAccessKeysCommand, { UserName: 'alice' })
      .resolvesOnce({
        AccessKeyMetadata: [
          {
            UserName: 'alice',
            AccessKeyId: 'AKIAEXAMPLE1',
            Status: 'Active',
            CreateDate: new Date('2024-01-02T03:04:05Z'),
          },
        ],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .resolvesOnce({
        AccessKeyMetadata: [{ UserName: 'alice', AccessKeyId: 'AKIAEXAMPLE2', Status: 'Inactive' }],
        IsTruncated: false,
      });

    const keys = await awsIamPort().listAccessKeys({ accountId: ACCOUNT, userName: 'alice' });

    expect(keys).toEqual([
      { accessKeyId: 'AKIAEXAMPLE1', userName: 'alice', status: 'Active', createDate: '2024-01-02T03:04:05.000Z' },
      { accessKeyId: 'AKIAEXAMPLE2', userName: 'alice', status: 'Inactive', createDate: undefined },
    ]);
    expect(iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'alice', Marker: undefined },
      { UserName: 'alice', Marker: 'page-2' },
    ]);
  });

  it('describes a user, and answers undefined for one that no longer exists', async () => {
    iam.on(GetUserCommand, { UserName: 'alice' }).resolves({
      User: {
        UserName: 'alice',
        UserId: 'AIDAEXAMPLE',
        Path: '/',
        Arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        CreateDate: new Date('2023-05-06T00:00:00Z'),
      },
    });
    iam
      .on(GetUserCommand, { UserName: 'gone' })
      .rejects(new NoSuchEntityException({ message: 'The user with name gone cannot be found.', $metadata: {} }));
    const port = awsIamPort();

    const user = await port.getUser({ accountId: ACCOUNT, userName: 'alice' });
    const gone = await port.getUser({ accountId: ACCOUNT, userName: 'gone' });

    expect(user).toEqual({
      userName: 'alice',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      createDate: '2023-05-06T00:00:00.000Z',
    });
    expect(gone).toBeUndefined();
    expect(iam).toHaveReceivedCommandWith(GetUserCommand, { UserName: 'gone' });
  });

  it('describes a role with its path, and answers undefined for one that no longer exists', async () => {
    iam.on(GetRoleCommand, { RoleName: 'AWSServiceRoleForSupport' }).resolves({
      Role: {
        RoleName: 'AWSServiceRoleForSupport',
        RoleId: 'AROAEXAMPLE',
        Path: '/aws-service-role/support.amazonaws.com/',
        Arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
        CreateDate: new Date('2022-01-01T00:00:00Z'),
      },
    });
    iam
      .on(GetRoleCommand, { RoleName: 'gone' })
      .rejects(serviceError('NoSuchEntity', 'The role with name gone cannot be found.'));
    const port = awsIamPort();

    const role = await port.getRole({ accountId: ACCOUNT, roleName: 'AWSServiceRoleForSupport' });
    const gone = await port.getRole({ accountId: ACCOUNT, roleName: 'gone' });

    expect(role).toEqual({
      roleName: 'AWSServiceRoleForSupport',
      arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`,
      path: '/aws-service-role/support.amazonaws.com/',
      createDate: '2022-01-01T00:00:00.000Z',
    });
    expect(gone).toBeUndefined();
  });

  it('reports last use, and nothing for a key never used', async () => {
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAEXAMPLE1' }).resolves({
      UserName: 'alice',
      AccessKeyLastUsed: { LastUsedDate: new Date('2024-06-01T12:00:00Z'), ServiceName: 's3', Region: 'us-east-1' },
    });
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAEXAMPLE2' }).resolves({
      UserName: 'alice',
      AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' },
    });
    const port = awsIamPort();

    const used = await port.getAccessKeyLastUsed({ accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLE1' });
    const unused = await port.getAccessKeyLastUsed({ accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLE2' });

    expect(used).toEqual({ lastUsedDate: '2024-06-01T12:00:00.000Z', serviceName: 's3', region: 'us-east-1' });
    expect(unused).toEqual({ lastUsedDate: undefined, serviceName: undefined, region: undefined });
  });

  it('maps throttling and access denied to named errors', async () => {
    iam.on(UpdateAccessKeyCommand).rejects(serviceError('Throttling', 'Rate exceeded'));
    iam
      .on(ListAccessKeysCommand)
      .rejects(serviceError('AccessDenied', 'not authorized to perform: iam:ListAccessKeys'));
    const port = awsIamPort();

    const update = port.updateAccessKey({
      accountId: ACCOUNT,
      userName: 'alice',
      accessKeyId: 'AKIAEXAMPLE1',
      status: 'Inactive',
    });
    const list = port.listAccessKeys({ accountId: ACCOUNT, userName: 'alice' });

    await expect(update).rejects.toBeInstanceOf(AwsThrottling);
    await expect(update).rejects.toThrow(/^iam:UpdateAccessKey failed: Throttling/);
    await expect(list).rejects.toBeInstanceOf(AwsAccessDenied);
  });

  it('passes other failures of GetUser on as named errors, not as a missing user', async () => {
    iam.on(GetUserCommand).rejects(serviceError('AccessDenied', 'not authorized to perform: iam:GetUser'));

    await expect(awsIamPort().getUser({ accountId: ACCOUNT, userName: 'alice' })).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
  });

  it('reads the tags of every page of ListUserTags; AccessDenied is a named error', async () => {
    iam
      .on(ListUserTagsCommand, { UserName: 'alice' })
      .resolvesOnce({ Tags: [{ Key: 'slack-user-id', Value: 'U0ALICE1' }], IsTruncated: true, Marker: 'm2' })
      .resolvesOnce({ Tags: [{ Key: 'team', Value: 'data' }], IsTruncated: false });

    const tags = await awsIamPort().listUserTags({ accountId: ACCOUNT, userName: 'alice' });

    expect(tags).toEqual({ 'slack-user-id': 'U0ALICE1', team: 'data' });
    expect(iam.commandCalls(ListUserTagsCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'alice', Marker: undefined },
      { UserName: 'alice', Marker: 'm2' },
    ]);
    iam.on(ListUserTagsCommand).rejects(serviceError('AccessDenied', 'not authorized to perform iam:ListUserTags'));
    await expect(awsIamPort().listUserTags({ accountId: ACCOUNT, userName: 'alice' })).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
  });

  it('lists the MFA devices of every page', async () => {
    iam
      .on(ListMFADevicesCommand, { UserName: 'alice' })
      .resolvesOnce({
        MFADevices: [
          {
            UserName: 'alice',
            SerialNumber: `arn:aws:iam::${ACCOUNT}:mfa/alice-phone`,
            EnableDate: new Date('2024-02-03T04:05:06Z'),
          },
        ],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .resolvesOnce({
        MFADevices: [{ UserName: 'alice', SerialNumber: 'GAHT12345678', EnableDate: new Date('2024-03-01T00:00:00Z') }],
        IsTruncated: false,
      });

    const devices = await awsIamPort().listMfaDevices({ accountId: ACCOUNT, userName: 'alice' });

    expect(devices).toEqual([
      { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/alice-phone`, enableDate: '2024-02-03T04:05:06.000Z' },
      { serialNumber: 'GAHT12345678', enableDate: '2024-03-01T00:00:00.000Z' },
    ]);
    expect(iam.commandCalls(ListMFADevicesCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'alice', Marker: undefined },
      { UserName: 'alice', Marker: 'page-2' },
    ]);
  });

  it('answers no MFA devices as an empty list, and maps a failure to a named error', async () => {
    iam.on(ListMFADevicesCommand, { UserName: 'alice' }).resolves({ MFADevices: [], IsTruncated: false });
    iam.on(ListMFADevicesCommand, { UserName: 'bob' }).rejects(serviceError('Throttling', 'Rate exceeded'));
    iam
      .on(ListMFADevicesCommand, { UserName: 'gone' })
      .rejects(new NoSuchEntityException({ message: 'The user with name gone cannot be found.', $metadata: {} }));
    const port = awsIamPort();

    await expect(port.listMfaDevices({ accountId: ACCOUNT, userName: 'alice' })).resolves.toEqual([]);
    await expect(port.listMfaDevices({ accountId: ACCOUNT, userName: 'bob' })).rejects.toBeInstanceOf(AwsThrottling);
    await expect(port.listMfaDevices({ accountId: ACCOUNT, userName: 'gone' })).rejects.toBeInstanceOf(
      AwsResourceNotFound,
    );
  });

  it('reads the console password, and answers undefined for a user without one (NoSuchEntity)', async () => {
    iam.on(GetLoginProfileCommand, { UserName: 'alice' }).resolves({
      LoginProfile: { UserName: 'alice', CreateDate: new Date('2024-06-01T02:00:00Z'), PasswordResetRequired: false },
    });
    iam
      .on(GetLoginProfileCommand, { UserName: 'builder' })
      .rejects(
        new NoSuchEntityException({ message: 'Login Profile for User builder cannot be found.', $metadata: {} }),
      );
    iam
      .on(GetLoginProfileCommand, { UserName: 'ci' })
      .rejects(serviceError('NoSuchEntity', 'Login Profile for User ci cannot be found.'));
    iam
      .on(GetLoginProfileCommand, { UserName: 'locked' })
      .rejects(serviceError('AccessDenied', 'not authorized to perform: iam:GetLoginProfile'));
    const port = awsIamPort();

    const profile = await port.getLoginProfile({ accountId: ACCOUNT, userName: 'alice' });
    const none = await port.getLoginProfile({ accountId: ACCOUNT, userName: 'builder' });
    const noneEither = await port.getLoginProfile({ accountId: ACCOUNT, userName: 'ci' });

    expect(profile).toEqual({ createDate: '2024-06-01T02:00:00.000Z', passwordResetRequired: false });
    expect(none).toBeUndefined();
    expect(noneEither).toBeUndefined();
    expect(iam.commandCalls(GetLoginProfileCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'alice' },
      { UserName: 'builder' },
      { UserName: 'ci' },
    ]);
    await expect(port.getLoginProfile({ accountId: ACCOUNT, userName: 'locked' })).rejects.toBeInstanceOf(
      AwsAccessDenied,
    );
  });
});
