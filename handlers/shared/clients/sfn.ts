import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsErrorCode, mapAwsError, ResponderError, STALE_TOKEN_CODES, TaskTokenStale } from '../errors.js';
import type { RollbackStarterPort, TaskCallbackPort } from '../ports.js';
import { traced } from '../tracing.js';

/** SendTaskSuccess `output`: at most 262,144 bytes of UTF-8. */
export const MAX_TASK_OUTPUT_BYTES = 262_144;
/** SendTaskFailure `error` and `cause`: at most 256 and 32,768 characters. */
export const MAX_TASK_ERROR_CHARS = 256;
export const MAX_TASK_CAUSE_CHARS = 32_768;

/** The callback output is over Step Functions' 256 KB limit; nothing was sent. */
export class TaskOutputTooLarge extends ResponderError {
  override readonly name = 'TaskOutputTooLarge';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`task output would be ${size} bytes, over the ${limit}-byte SendTaskSuccess limit; nothing was sent`);
  }
}

/** At most `max` UTF-16 units, never splitting a surrogate pair (so also at most `max` code points). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** The mapped error, with the token cut out of its message in case the service echoed it. */
function callbackError(call: string, error: unknown, taskToken: string): Error {
  const code = awsErrorCode(error);
  const stale = STALE_TOKEN_CODES.find((candidate) => candidate === code);
  if (stale) return new TaskTokenStale(stale, `${call} failed: ${stale}: the task no longer waits on this token`);
  const mapped = mapAwsError(call, error);
  if (taskToken && mapped.message.includes(taskToken)) {
    mapped.message = mapped.message.split(taskToken).join('<task token>');
  }
  return mapped;
}

/**
 * The Step Functions callback port against AWS (home account: the state machine runs there).
 * SendTaskSuccess sends `JSON.stringify(output)` and refuses, before any call, an output over
 * 256 KB (TaskOutputTooLarge). SendTaskFailure truncates `error` to 256 and `cause` to 32,768
 * characters, the API's limits. The task token is never logged nor put in an error message.
 * TaskTimedOut, TaskDoesNotExist and InvalidToken surface as TaskTokenStale naming the code.
 */
export function awsTaskCallbackPort(): TaskCallbackPort {
  let client: SFNClient | undefined;
  const sfn = () => {
    client ??= traced(new SFNClient({}));
    return client;
  };
  return {
    sendTaskSuccess: async ({ taskToken, output }) => {
      const text = JSON.stringify(output ?? null);
      const size = Buffer.byteLength(text, 'utf8');
      if (size > MAX_TASK_OUTPUT_BYTES) throw new TaskOutputTooLarge(size, MAX_TASK_OUTPUT_BYTES);
      try {
        await sfn().send(new SendTaskSuccessCommand({ taskToken, output: text }));
      } catch (error) {
        throw callbackError('sfn:SendTaskSuccess', error, taskToken);
      }
    },

    sendTaskFailure: async ({ taskToken, error, cause }) => {
      try {
        await sfn().send(
          new SendTaskFailureCommand({
            taskToken,
            error: truncate(error, MAX_TASK_ERROR_CHARS),
            cause: truncate(cause, MAX_TASK_CAUSE_CHARS),
          }),
        );
      } catch (failure) {
        throw callbackError('sfn:SendTaskFailure', failure, taskToken);
      }
    },
  };
}

/** The ARN of execution `name` of a state machine: `arn:<p>:states:<r>:<a>:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The rollback starter against AWS: `StartExecution` of the rollback state machine. Starting the
 * same name again resolves with `alreadyStarted` (Step Functions answers an identical running
 * execution with its ARN, and `ExecutionAlreadyExists` once it has finished or when the input
 * differs): either way no second rollback runs. Other failures surface as the named AWS errors.
 */
export function awsRollbackStarter(stateMachineArn: string): RollbackStarterPort {
  let client: SFNClient | undefined;
  return {
    startRollback: async ({ incidentId, executionName, reactivateKeys }) => {
      client ??= traced(new SFNClient({}));
      try {
        const started = await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: executionName,
            input: JSON.stringify({ incidentId, reactivateKeys }),
          }),
        );
        return {
          executionArn: started.executionArn ?? executionArnOf(stateMachineArn, executionName),
          alreadyStarted: false,
        };
      } catch (error) {
        if (awsErrorCode(error) === 'ExecutionAlreadyExists') {
          return { executionArn: executionArnOf(stateMachineArn, executionName), alreadyStarted: true };
        }
        throw mapAwsError('sfn:StartExecution', error);
      }
    },
  };
}
