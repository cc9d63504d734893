import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  IAMServiceException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsIamPort } from '../../handlers/shared/clients/iam.js';
import {
  AwsAccessDenied,
  AwsResourceNotFound,
  AwsServiceError,
  AwsThrottling,
  PolicyTooLarge,
  RETRYABLE_ERRORS,
} from '../../handlers/shared/errors.js';

const iam = mockClient(IAMClient);
const ACCOUNT = '111111111111';
const ROLE = { accountId: ACCOUNT, kind: 'role', name: 'app-role', policyName: 'S3ExfilResponderDeny' } as const;
const USER = { accountId: ACCOUNT, kind: 'user', name: 'alice', policyName: 'S3ExfilResponderDeny' } as const;

/** A policy with characters that URL-encoding changes: braces, quotes, spaces, `*`, `+`, `%`, non-ASCII. */
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Deny all S3 (incident inc-1 + follow up 100%)',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: '*',
      Condition: {
        StringLike: { 'aws:userid': 'AROAEXAMPLE:*' },
        StringEquals: { 'aws:PrincipalTag/team': 'données' },
      },
    },
  ],
});
/** How IAM answers it: RFC 3986 URL-encoded. */
const ENCODED = encodeURIComponent(POLICY);

const serviceError = (name: string, message: string) =>
  new IAMServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('awsIamPort inline policies', () => {
  beforeEach(() => {
    iam.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reads a role policy and decodes the URL-encoded document to the JSON text', async () => {
    expect(ENCODED).not.toBe(POLICY);
    iam
      .on(GetRolePolicyCommand)
      .resolves({ RoleName: 'app-role', PolicyName: 'S3ExfilResponderDeny', PolicyDocument: ENCODED });

    const document = await awsIamPort().getInlinePolicy(ROLE);

    expect(document).toBe(POLICY);
    expect(JSON.parse(document ?? '')).toEqual(JSON.parse(POLICY));
    expect(iam).toHaveReceivedCommandTimes(GetRolePolicyCommand, 1);
    expect(iam.commandCalls(GetRolePolicyCommand)[0]?.args[0].input).toEqual({
      RoleName: 'app-role',
      PolicyName: 'S3ExfilResponderDeny',
    });
    expect(iam).not.toHaveReceivedCommand(GetUserPolicyCommand);
  });

  it('keeps a literal + as + (RFC 3986, not form encoding)', async () => {
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: '%7B%22Sid%22%3A%22a+b%20c%22%7D' });

    await expect(awsIamPort().getInlinePolicy(ROLE)).resolves.toBe('{"Sid":"a+b c"}');
  });

  it('reads a user policy with GetUserPolicy and decodes it', async () => {
    iam
      .on(GetUserPolicyCommand)
      .resolves({ UserName: 'alice', PolicyName: 'S3ExfilResponderDeny', PolicyDocument: ENCODED });

    const document = await awsIamPort().getInlinePolicy(USER);

    expect(document).toBe(POLICY);
    expect(iam.commandCalls(GetUserPolicyCommand)[0]?.args[0].input).toEqual({
      UserName: 'alice',
      PolicyName: 'S3ExfilResponderDeny',
    });
    expect(iam).not.toHaveReceivedCommand(GetRolePolicyCommand);
  });

  it('answers undefined when there is no such policy (NoSuchEntity), for a role and for a user', async () => {
    iam.on(GetRolePolicyCommand).rejects(
      new NoSuchEntityException({
        message: 'The role policy with name S3ExfilResponderDeny cannot be found.',
        $metadata: {},
      }),
    );
    iam
      .on(GetUserPolicyCommand)
      .rejects(serviceError('NoSuchEntity', 'The user policy with name S3ExfilResponderDeny cannot be found.'));
    const port = awsIamPort();

    await expect(port.getInlinePolicy(ROLE)).resolves.toBeUndefined();
    await expect(port.getInlinePolicy(USER)).resolves.toBeUndefined();
  });

  it('passes other read failures on as named errors, not as a missing policy', async () => {
    iam.on(GetRolePolicyCommand).rejects(serviceError('AccessDenied', 'not authorized to perform: iam:GetRolePolicy'));
    iam.on(GetUserPolicyCommand).rejects(serviceError('Throttling', 'Rate exceeded'));
    const port = awsIamPort();

    await expect(port.getInlinePolicy(ROLE)).rejects.toBeInstanceOf(AwsAccessDenied);
    const throttled = port.getInlinePolicy(USER);
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^iam:GetUserPolicy failed: Throttling/);
  });

  it('fails on an answer without a document or with a document that is not URL-encoded text', async () => {
    iam
      .on(GetRolePolicyCommand)
      .resolvesOnce({ RoleName: 'app-role', PolicyName: 'S3ExfilResponderDeny' })
      .resolvesOnce({ PolicyDocument: '%E0%A4%A' });
    const port = awsIamPort();

    const missing = port.getInlinePolicy(ROLE);
    await expect(missing).rejects.toBeInstanceOf(AwsServiceError);
    await expect(missing).rejects.toThrow(/iam:GetRolePolicy answered without PolicyDocument/);
    await expect(port.getInlinePolicy(ROLE)).rejects.toBeInstanceOf(AwsServiceError);
  });

  it('writes a role policy with the document text exactly as given', async () => {
    iam.on(PutRolePolicyCommand).resolves({});

    await awsIamPort().putInlinePolicy({ ...ROLE, document: POLICY });

    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
    expect(iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input).toEqual({
      RoleName: 'app-role',
      PolicyName: 'S3ExfilResponderDeny',
      PolicyDocument: POLICY,
    });
    expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
  });

  it('writes a user policy with PutUserPolicy', async () => {
    iam.on(PutUserPolicyCommand).resolves({});

    await awsIamPort().putInlinePolicy({ ...USER, document: POLICY });

    expect(iam.commandCalls(PutUserPolicyCommand)[0]?.args[0].input).toEqual({
      UserName: 'alice',
      PolicyName: 'S3ExfilResponderDeny',
      PolicyDocument: POLICY,
    });
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  });

  it('maps write failures to named errors, a missing identity included', async () => {
    iam.on(PutRolePolicyCommand).rejects(serviceError('NoSuchEntity', 'The role with name app-role cannot be found.'));
    iam.on(PutUserPolicyCommand).rejects(serviceError('Throttling', 'Rate exceeded'));
    const port = awsIamPort();

    const missing = port.putInlinePolicy({ ...ROLE, document: POLICY });
    await expect(missing).rejects.toBeInstanceOf(AwsResourceNotFound);
    await expect(missing).rejects.toThrow(/^iam:PutRolePolicy failed: NoSuchEntity/);
    const throttled = port.putInlinePolicy({ ...USER, document: POLICY });
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^iam:PutUserPolicy failed: Throttling/);
  });

  it('reports the inline policy size quota (LimitExceeded) as PolicyTooLarge with the limit, not as throttling', async () => {
    iam
      .on(PutRolePolicyCommand)
      .rejects(serviceError('LimitExceededException', 'Maximum policy size of 10240 bytes exceeded for role app-role'));
    iam.on(PutUserPolicyCommand).rejects(serviceError('LimitExceeded', 'Maximum policy size of 2048 bytes exceeded'));
    const port = awsIamPort();

    const role = await port.putInlinePolicy({ ...ROLE, document: POLICY }).catch((error: unknown) => error);
    const user = await port.putInlinePolicy({ ...USER, document: POLICY }).catch((error: unknown) => error);

    expect(role).toBeInstanceOf(PolicyTooLarge);
    expect(role).toMatchObject({ name: 'PolicyTooLarge', limit: 10_240, unit: 'characters' });
    expect((role as Error).message).toMatch(
      /iam:PutRolePolicy failed: LimitExceededException.*over the 10240-character limit/,
    );
    expect(user).toMatchObject({ name: 'PolicyTooLarge', limit: 2_048, unit: 'characters' });
    expect(RETRYABLE_ERRORS).not.toContain('PolicyTooLarge');
  });

  it('deletes a role policy and a user policy by name', async () => {
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(DeleteUserPolicyCommand).resolves({});
    const port = awsIamPort();

    await port.deleteInlinePolicy(ROLE);
    await port.deleteInlinePolicy(USER);

    expect(iam.commandCalls(DeleteRolePolicyCommand).map((call) => call.args[0].input)).toEqual([
      { RoleName: 'app-role', PolicyName: 'S3ExfilResponderDeny' },
    ]);
    expect(iam.commandCalls(DeleteUserPolicyCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'alice', PolicyName: 'S3ExfilResponderDeny' },
    ]);
  });

  it('treats deleting a policy that is already gone (NoSuchEntity) as done', async () => {
    iam
      .on(DeleteRolePolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'The role policy cannot be found.', $metadata: {} }));
    iam.on(DeleteUserPolicyCommand).rejects(serviceError('NoSuchEntity', 'The user policy cannot be found.'));
    const port = awsIamPort();

    await expect(port.deleteInlinePolicy(ROLE)).resolves.toBeUndefined();
    await expect(port.deleteInlinePolicy(USER)).resolves.toBeUndefined();
  });

  it('maps other delete failures to named errors', async () => {
    iam.on(DeleteRolePolicyCommand).rejects(serviceError('Throttling', 'Rate exceeded'));
    iam
      .on(DeleteUserPolicyCommand)
      .rejects(serviceError('AccessDenied', 'not authorized to perform: iam:DeleteUserPolicy'));
    const port = awsIamPort();

    const throttled = port.deleteInlinePolicy(ROLE);
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^iam:DeleteRolePolicy failed: Throttling/);
    await expect(port.deleteInlinePolicy(USER)).rejects.toBeInstanceOf(AwsAccessDenied);
  });

  it('acts in the account it is given, with its own client', async () => {
    const member = '222222222222';
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: ENCODED });
    const port = awsIamPort();

    await port.getInlinePolicy(ROLE);
    await port.getInlinePolicy({ ...ROLE, accountId: member });

    const clients = iam.commandCalls(GetRolePolicyCommand).map((call) => call.thisValue);
    expect(clients).toHaveLength(2);
    expect(clients[0]).not.toBe(clients[1]);
  });
});
