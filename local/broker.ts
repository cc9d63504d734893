import { TaskTokenStale } from '../handlers/shared/errors.js';
import type { TaskCallbackPort } from '../handlers/shared/ports.js';
import { systemRandom } from './clock.js';

/** Step Functions caps SendTaskSuccess output at 256 KB. */
const MAX_OUTPUT_CHARS = 262_144;

class CallbackError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The `.waitForTaskToken` half that aws-local-stepfunctions lacks: issues a token per invocation,
 * settles it on SendTaskSuccess/SendTaskFailure (as the Slack handler would call them), and
 * rejects unknown or already-settled tokens the way Step Functions does (`TaskTokenStale`).
 */
export class TokenBroker implements TaskCallbackPort {
  private readonly pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly settled = new Set<string>();

  issue(): { token: string; settled: Promise<unknown> } {
    const token = `local-task-token-${systemRandom.token()}${systemRandom.token()}`;
    const settled = new Promise<unknown>((resolve, reject) => this.pending.set(token, { resolve, reject }));
    // The waiting task awaits this later; a decision can settle it first without being "unhandled".
    settled.catch(() => undefined);
    return { token, settled };
  }

  private take(token: string) {
    const waiter = this.pending.get(token);
    if (!waiter) {
      throw this.settled.has(token)
        ? new TaskTokenStale('TaskTimedOut', 'Task Timed Out: the task was already completed or timed out')
        : new TaskTokenStale('TaskDoesNotExist', 'Task does not exist anymore');
    }
    this.pending.delete(token);
    this.settled.add(token);
    return waiter;
  }

  async sendTaskSuccess(args: { taskToken: string; output: unknown }): Promise<void> {
    const text = JSON.stringify(args.output);
    if (text.length > MAX_OUTPUT_CHARS)
      throw new CallbackError('InvalidOutput', `output is ${text.length} chars, over 256 KB`);
    this.take(args.taskToken).resolve(JSON.parse(text));
  }

  async sendTaskFailure(args: { taskToken: string; error: string; cause: string }): Promise<void> {
    this.take(args.taskToken).reject(new CallbackError(args.error, args.cause));
  }

  /** What Step Functions does when no heartbeat arrives in time. */
  expire(token: string, error: 'States.HeartbeatTimeout' | 'States.Timeout'): void {
    this.take(token).reject(
      new CallbackError(
        error,
        `${error}: no response within the task's ${error === 'States.Timeout' ? 'timeout' : 'heartbeat'}`,
      ),
    );
  }

  /** Whether a task still waits on this token (not yet settled nor expired). */
  isPending(token: string): boolean {
    return this.pending.has(token);
  }

  get outstanding(): number {
    return this.pending.size;
  }
}
