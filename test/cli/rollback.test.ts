import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { rollbackCommand } from '../../cli/commands/rollback.js';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:RollbackStateMachine1A2B3C';

describe('responder rollback', () => {
  it('starts the rollback state machine with a readable unique name and prints its output', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:exec` });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ incidentId: '20260223-16e8db698d27', steps: [] }) });

    const output = await rollbackCommand(['20260223-16e8db698d27', '--state-machine', ARN, '--reactivate-keys'], {
      client: new SFNClient({ region: 'us-east-1' }),
      sleep: async () => undefined,
      now: () => new Date('2026-02-24T09:30:00Z'),
    });

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'rollback-20260223-16e8db698d27-20260224093000',
      input: '{"incidentId":"20260223-16e8db698d27","reactivateKeys":true}',
    });
    expect(JSON.parse(output)).toEqual({ incidentId: '20260223-16e8db698d27', steps: [] });
    sfn.restore();
  });

  it('calls the Region of the state machine ARN, not the default Region', async () => {
    const sfn = mockClient(SFNClient);
    const arn = 'arn:aws:states:eu-west-3:123456789012:stateMachine:RollbackStateMachine1A2B3C';
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${arn}:exec` });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' });

    await rollbackCommand(['20260223-16e8db698d27', '--state-machine', arn], { sleep: async () => undefined });

    const client = sfn.commandCalls(StartExecutionCommand)[0]?.thisValue as SFNClient;
    expect(await client.config.region()).toBe('eu-west-3');
    sfn.restore();
  });

  it.each([
    [['not-an-id', '--state-machine', ARN], /not an incident id/],
    [['20260223-16e8db698d27', '--state-machine', 'arn:aws:iam::1:role/x'], /not a state machine ARN/],
    [['20260223-16e8db698d27'], /usage: responder rollback/],
  ])('refuses bad arguments %#', async (args, message) => {
    await expect(rollbackCommand(args as string[])).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(message),
    });
  });

  it('reports a failed rollback execution', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:exec` });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'AwsAccessDenied', cause: 'no' });

    await expect(
      rollbackCommand(['20260223-16e8db698d27', '--state-machine', ARN], {
        client: new SFNClient({ region: 'us-east-1' }),
        sleep: async () => undefined,
      }),
    ).rejects.toThrow(/rollback FAILED: AwsAccessDenied/);
    sfn.restore();
  });
});
