import './polyfills.js';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Ports } from '../handlers/shared/define-task.js';
import { runTask } from '../handlers/shared/define-task.js';
import type { TaskName } from '../handlers/shared/task-names.js';
import type { Asl, AslState } from '../infra/asl.js';
import type { TokenBroker } from './broker.js';
import type { SimClock } from './clock.js';
import { TASKS } from './tasks.js';
import { validateAsl } from './validate-asl.js';

/** Simulated time a Lambda invocation takes. */
const TASK_MILLISECONDS = 2000;
const WAIT_FOR_TOKEN = /:states:::lambda:invoke\.waitForTaskToken$/;
const FUNCTION_ARN = /:function:responder-([A-Za-z]+)$/;

/** An entry of the engine's event log (the package does not export the type). */
export type EventLog = {
  type: string;
  state?: { name: string; type: string; output?: unknown };
  Error?: string;
  Cause?: unknown;
} & Record<string, unknown>;

/** Decides a waiting approval (through the same decision path Slack uses), or lets it time out. */
export type Approver = (request: {
  incidentId: string;
  nonce: string;
  round: number;
  heartbeatSeconds: number;
}) => Promise<'decided' | 'no-response'>;

export interface ExecutionOptions {
  readonly asl: Asl;
  readonly input: unknown;
  readonly executionName: string;
  readonly stateMachineArn: string;
  readonly ports: Ports;
  readonly broker: TokenBroker;
  readonly clock: SimClock;
  readonly approver: Approver;
  readonly onEvent?: (event: EventLog) => void;
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: { name: string; cause: string };
  /** Every state entered, in order (nested ones included). */
  readonly states: string[];
  /** State transitions, as Standard workflows bill them. */
  readonly transitions: number;
  readonly events: EventLog[];
}

/** An error as a Lambda function reports it: the name is the error type, the cause is Lambda's JSON. */
class LambdaFunctionError extends Error {
  constructor(error: Error) {
    super(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }));
    this.name = error.name;
  }
}

function taskOf(arn: unknown): TaskName {
  const match = typeof arn === 'string' ? FUNCTION_ARN.exec(arn) : null;
  const name = match?.[1] as TaskName | undefined;
  if (!name || !(name in TASKS)) throw new Error(`no local task for function ${String(arn)}`);
  return name;
}

/** Every Task state in the definition, including those inside Parallel branches and Map processors. */
export function taskStates(asl: Pick<Asl, 'States'>): [string, AslState][] {
  const found: [string, AslState][] = [];
  for (const [name, state] of Object.entries(asl.States)) {
    if (state.Type === 'Task') found.push([name, state]);
    for (const branch of (state.Branches as Asl[] | undefined) ?? []) found.push(...taskStates(branch));
    const processor = (state.ItemProcessor ?? state.Iterator) as Asl | undefined;
    if (processor) found.push(...taskStates(processor));
  }
  return found;
}

/**
 * Runs one execution of the definition with aws-local-stepfunctions. Each Task state is bound by
 * its function ARN to the task's real core with the local ports; `.waitForTaskToken` goes through
 * the token broker; retries wait no real time.
 */
export async function runExecution(options: ExecutionOptions): Promise<ExecutionResult> {
  const { ports, broker, clock } = options;
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of taskStates(options.asl)) {
    retryIntervalOverrides[name] = 0;
    const resource = String(state.Resource);
    if (WAIT_FOR_TOKEN.test(resource)) {
      const parameters = state.Parameters as { FunctionName?: string };
      const task = TASKS[taskOf(parameters.FunctionName)];
      handlers[name] = async (input) => {
        const { Payload } = input as { Payload: Record<string, unknown> };
        const { token, settled } = broker.issue();
        clock.advance(TASK_MILLISECONDS);
        let requested: { nonce: string; round: number };
        try {
          requested = (await runTask(task, { ...Payload, taskToken: token }, ports)) as {
            nonce: string;
            round: number;
          };
        } catch (error) {
          throw new LambdaFunctionError(error as Error);
        }
        const heartbeatSeconds = Number(state.HeartbeatSeconds ?? 3600);
        const outcome = await options.approver({
          incidentId: String(Payload.incidentId),
          nonce: requested.nonce,
          round: requested.round,
          heartbeatSeconds,
        });
        // A closing may have withdrawn the request meanwhile (SendTaskFailure): nothing left to time out.
        if (outcome === 'no-response' && broker.isPending(token)) {
          clock.advance(heartbeatSeconds * 1000);
          broker.expire(token, 'States.HeartbeatTimeout');
        }
        return settled;
      };
    } else {
      const task = TASKS[taskOf(resource)];
      handlers[name] = async (input) => {
        clock.advance(TASK_MILLISECONDS);
        try {
          return await runTask(task, input, ports);
        } catch (error) {
          throw new LambdaFunctionError(error as Error);
        }
      };
    }
  }
  for (const [name, state] of Object.entries(options.asl.States)) {
    if (state.Retry) retryIntervalOverrides[name] = 0;
  }

  validateAsl(options.asl);
  const machine = new StateMachine(options.asl as never, { validationOptions: { noValidate: true } });
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
    context: {
      Execution: {
        Id: `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${options.executionName}`,
        Name: options.executionName,
        RedriveCount: 0,
      },
      StateMachine: { Id: options.stateMachineArn },
      Task: { Token: 'issued-per-invocation-by-the-local-token-broker' },
    },
  });
  const events: EventLog[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      const entry = event as unknown as EventLog;
      events.push(entry);
      options.onEvent?.(entry);
    }
  })();
  let result: ExecutionResult;
  try {
    const output = await execution.result;
    await logging;
    result = { status: 'SUCCEEDED', output, ...tally(events), events };
  } catch (error) {
    await logging.catch(() => undefined);
    const cause = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
    result = {
      status: 'FAILED',
      error: { name: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(error) },
      ...tally(events),
      events,
    };
  }
  return result;
}

function tally(events: readonly EventLog[]) {
  const states = events.filter((event) => event.type === 'StateEntered').map((event) => event.state?.name ?? '?');
  return { states, transitions: states.length };
}
