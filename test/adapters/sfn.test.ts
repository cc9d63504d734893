import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsTaskCallbackPort, MAX_TASK_OUTPUT_BYTES, TaskOutputTooLarge } from '../../handlers/shared/clients/sfn.js';
import { AwsServiceError, AwsThrottling, TaskTokenStale } from '../../handlers/shared/errors.js';

const sfn = mockClient(SFNClient);
const TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAA${'x'.repeat(600)}`;

describe('awsTaskCallbackPort', () => {
  beforeEach(() => sfn.reset());

  it('sends the output as JSON text', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const decision = { outcome: 'approved', decidedBy: ['U012345'], approvedPlan: [{ action: 'deactivateAccessKey' }] };

    await awsTaskCallbackPort().sendTaskSuccess({ taskToken: TOKEN, output: decision });

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      output: JSON.stringify(decision),
    });
  });

  it('sends an output of exactly 256 KB', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const output = 'a'.repeat(MAX_TASK_OUTPUT_BYTES - 2);

    await awsTaskCallbackPort().sendTaskSuccess({ taskToken: TOKEN, output });

    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('refuses an output over 256 KB of UTF-8 before calling', async () => {
    const output = 'é'.repeat(MAX_TASK_OUTPUT_BYTES / 2);

    const sent = awsTaskCallbackPort().sendTaskSuccess({ taskToken: TOKEN, output });

    await expect(sent).rejects.toBeInstanceOf(TaskOutputTooLarge);
    await expect(sent).rejects.toMatchObject({
      name: 'TaskOutputTooLarge',
      size: MAX_TASK_OUTPUT_BYTES + 2,
      limit: MAX_TASK_OUTPUT_BYTES,
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('truncates error to 256 and cause to 32,768 characters', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    await awsTaskCallbackPort().sendTaskFailure({
      taskToken: TOKEN,
      error: 'E'.repeat(300),
      cause: `${'c'.repeat(32_767)}😀tail`,
    });

    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input).toEqual({ taskToken: TOKEN, error: 'E'.repeat(256), cause: 'c'.repeat(32_767) });
  });

  it('sends a short failure unchanged', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    await awsTaskCallbackPort().sendTaskFailure({
      taskToken: TOKEN,
      error: 'ApprovalDenied',
      cause: 'denied by U012345',
    });

    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalDenied',
      cause: 'denied by U012345',
    });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist anymore', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: `Invalid token: ${TOKEN}`, $metadata: {} })],
  ])('names %s in TaskTokenStale, which never carries the token', async (code, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error);
    sfn.on(SendTaskFailureCommand).rejects(error);

    const results = await Promise.all([
      awsTaskCallbackPort()
        .sendTaskSuccess({ taskToken: TOKEN, output: {} })
        .catch((caught: unknown) => caught),
      awsTaskCallbackPort()
        .sendTaskFailure({ taskToken: TOKEN, error: 'ApprovalDenied', cause: 'denied' })
        .catch((caught: unknown) => caught),
    ]);

    for (const [index, failure] of results.entries()) {
      expect(failure).toBeInstanceOf(TaskTokenStale);
      expect(failure).toMatchObject({ name: 'TaskTokenStale', code });
      expect((failure as Error).message).toMatch(
        `sfn:${index === 0 ? 'SendTaskSuccess' : 'SendTaskFailure'} failed: ${code}`,
      );
      expect((failure as Error).message).not.toContain(TOKEN);
    }
  });

  it('keeps other callback errors as the mapped AWS errors', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('bad output'), { name: 'InvalidOutput' }));

    const sent = awsTaskCallbackPort().sendTaskSuccess({ taskToken: TOKEN, output: {} });

    await expect(sent).rejects.toBeInstanceOf(AwsServiceError);
    await expect(sent).rejects.toThrow('sfn:SendTaskSuccess failed: InvalidOutput');
  });

  it('maps throttling of SendTaskFailure to AwsThrottling', async () => {
    sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(
      awsTaskCallbackPort().sendTaskFailure({ taskToken: TOKEN, error: 'ApprovalDenied', cause: 'denied' }),
    ).rejects.toBeInstanceOf(AwsThrottling);
  });
});
