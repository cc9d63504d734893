import type { z } from 'zod';
import { InvalidTaskInput } from './errors.js';
import { correlationOf, log } from './log.js';
import { observe } from './observe.js';
import type {
  ChatPort,
  Clock,
  CloudTrailPort,
  DataEventsPort,
  Ec2Port,
  EvidencePort,
  GuardDutyPort,
  IamPort,
  MaciePort,
  RandomSource,
  S3Port,
  TaskCallbackPort,
  Timer,
} from './ports.js';
import { formatPath } from './schemas/primitives.js';
import type { IncidentStore } from './store/types.js';
import type { TaskName } from './task-names.js';

/** Every port a task may ask for. Each task declares the subset it uses. */
export interface Ports {
  readonly iam: IamPort;
  readonly s3: S3Port;
  readonly ec2: Ec2Port;
  readonly macie: MaciePort;
  readonly cloudtrail: CloudTrailPort;
  readonly dataEvents: DataEventsPort;
  readonly chat: ChatPort;
  readonly callbacks: TaskCallbackPort;
  readonly evidence: EvidencePort;
  readonly guardduty: GuardDutyPort;
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly timer: Timer;
  readonly random: RandomSource;
}

/** A task: its input schema and a pure core that reaches the world only through ports. */
export interface Task<S extends z.ZodType, P extends Partial<Ports>, O> {
  readonly name: TaskName;
  readonly input: S;
  run(input: z.infer<S>, ports: P): Promise<O>;
}

/** Declares a task's core (in `handlers/<task>/core.ts`). */
export function task<S extends z.ZodType, P extends Partial<Ports>, O>(definition: Task<S, P, O>): Task<S, P, O> {
  return definition;
}

/** Validates a task's input; a mismatch is a wiring bug and fails loudly as `InvalidTaskInput`. */
export function parseInput<S extends z.ZodType>(name: string, schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidTaskInput(name, formatPath(issue?.path ?? []), issue?.message ?? 'invalid');
  }
  return parsed.data;
}

/** Runs a task core against the given ports, validating its input first. */
export async function runTask<S extends z.ZodType, P extends Partial<Ports>, O>(
  definition: Task<S, P, O>,
  raw: unknown,
  ports: P,
): Promise<O> {
  return definition.run(parseInput(definition.name, definition.input, raw), ports);
}

/**
 * The Lambda handler for a task: ports are built once per container (lazily, so a cold start pays
 * only for the clients this task uses), input is validated, and only the outcome is logged —
 * never the input, which may hold a task token or finding details. Each line carries the
 * invocation's correlation keys (`observe`), the incident id of the output too once known.
 * `measure` counts what the task's outcome says (`handlers/shared/metrics.ts`).
 */
export function lambdaHandler<S extends z.ZodType, P extends Partial<Ports>, O>(
  definition: Task<S, P, O>,
  makePorts: () => P,
  measure?: (output: O) => void,
): (event: unknown) => Promise<O> {
  let ports: P | undefined;
  return observe(definition.name, async (event: unknown) => {
    const started = Date.now();
    ports ??= makePorts();
    try {
      const output = await runTask(definition, event, ports);
      log.correlate(correlationOf(output));
      measure?.(output);
      log.info('task completed', { task: definition.name, ms: Date.now() - started });
      return output;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      log.error('task failed', { task: definition.name, error: name, ms: Date.now() - started });
      throw error;
    }
  });
}
