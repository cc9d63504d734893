import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { closeCommand } from '../../cli/commands/close.js';

const ARN = 'arn:aws:lambda:eu-west-3:123456789012:function:S3ExfilResponder-IncidentCloserHandler1A2B';
const ID = '20260223-16e8db698d27';
const lambda = mockClient(LambdaClient);
const sts = mockClient(STSClient);
/** The caller's credentials, as STS GetCallerIdentity answers for an assumed role. */
const CALLER = 'arn:aws:sts::123456789012:assumed-role/SecurityOnCall/alice@example.com';
/** A Lambda response payload as the SDK hands it over. */
const encode = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value)) as unknown as NonNullable<InvokeCommandOutput['Payload']>;
const run = (args: string[]) => closeCommand(args, { user: () => 'alice' });

afterEach(() => {
  lambda.reset();
  sts.reset();
});

const callerIs = (arn: string) =>
  sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: '123456789012', UserId: 'AROA3EXAMPLE:alice' });
const sentBy = () =>
  JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array)).by;

describe('responder close', () => {
  it('invokes the close function in the Region of its ARN with the incident, resolution, note and caller', async () => {
    callerIs(CALLER);
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: encode({ incidentId: ID, state: 'closed', message: `Incident ${ID} closed: false positive.` }),
    });

    const output = await run([ID, '--resolution', 'false-positive', '--note', 'backup job', '--function', ARN]);

    const call = lambda.commandCalls(InvokeCommand)[0];
    expect(JSON.parse(new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array))).toEqual({
      incidentId: ID,
      resolution: 'false_positive',
      note: 'backup job',
      by: `cli:alice (${CALLER})`,
    });
    expect(await ((call as NonNullable<typeof call>).thisValue as LambdaClient).config.region()).toBe('eu-west-3');
    expect(output).toBe(`Incident ${ID} closed: false positive.`);
  });

  it('records the identity of the credentials next to the name the caller gives, whatever that name', async () => {
    callerIs(CALLER);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ state: 'closed', message: 'closed' }) });

    await closeCommand([ID, '--resolution', 'benign', '--function', ARN], { user: () => 'the-ciso' });

    expect(sentBy()).toBe(`cli:the-ciso (${CALLER})`);
    const [asked] = sts.commandCalls(GetCallerIdentityCommand);
    expect(await (asked?.thisValue as STSClient | undefined)?.config.region()).toBe('eu-west-3');
  });

  it('a long name is cut so the identity is kept whole within the close function’s 200 characters', async () => {
    const longest = `arn:aws:sts::123456789012:assumed-role/${'r'.repeat(64)}/${'s'.repeat(64)}`;
    callerIs(longest);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ state: 'closed', message: 'closed' }) });

    await closeCommand([ID, '--resolution', 'benign', '--function', ARN], { user: () => 'n'.repeat(300) });

    const by = sentBy() as string;
    expect(by.length).toBeLessThanOrEqual(200);
    expect(by.endsWith(`(${longest})`)).toBe(true);
    expect(by.startsWith('cli:nnn')).toBe(true);
  });

  it('an IAM user ARN longer than the bound keeps its account and user name, its path cut in the middle', async () => {
    const path = Array.from({ length: 40 }, (_, index) => `team${index}`).join('/');
    const userArn = `arn:aws:iam::123456789012:user/${path}/alice-oncall`;
    callerIs(userArn);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ state: 'closed', message: 'closed' }) });

    await closeCommand([ID, '--resolution', 'benign', '--function', ARN], { user: () => 'alice' });

    const by = sentBy() as string;
    expect(by.length).toBeLessThanOrEqual(200);
    expect(by.startsWith('cli:alice (arn:aws:iam::123456789012:user/team0/')).toBe(true);
    expect(by.endsWith('…/alice-oncall)')).toBe(true);
  });

  it('without a confirmed identity nothing is closed', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('expired'), { name: 'ExpiredToken' }));

    const closing = run([ID, '--resolution', 'benign', '--function', ARN]);

    await expect(closing).rejects.toThrow(/could not confirm who is closing \(STS GetCallerIdentity: ExpiredToken\)/);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('a second close prints the one-line already-closed answer', async () => {
    callerIs(CALLER);
    const message = `Incident ${ID} is already closed (benign, by cli:bob at 2026-02-23T05:00:00.000Z); nothing changed.`;
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ state: 'already-closed', message }) });

    expect(await run([ID, '--resolution', 'benign', '--function', ARN])).toBe(message);
  });

  it('refuses a resolution that is not one of the three before calling anything', async () => {
    const closing = run([ID, '--resolution', 'resolved', '--function', ARN]);

    await expect(closing).rejects.toMatchObject({
      name: 'UsageError',
      message: '--resolution "resolved" is not one of true-positive, false-positive, benign',
    });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });

  it('an unknown incident is a usage error naming it', async () => {
    callerIs(CALLER);
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'IncidentNotFound', errorMessage: `incident ${ID} is not in the store` }),
    });

    await expect(run([ID, '--resolution', 'benign', '--function', ARN])).rejects.toMatchObject({
      name: 'UsageError',
      message: `incident ${ID} not found: incident ${ID} is not in the store`,
    });
  });

  it('without the function ARN or a resolution it prints the usage', async () => {
    await expect(run([ID, '--resolution', 'benign'])).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('usage: responder close <incidentId>'),
    });
    await expect(run([ID, '--function', ARN])).rejects.toMatchObject({ name: 'UsageError' });
  });
});
