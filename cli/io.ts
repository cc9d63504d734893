import { readFileSync } from 'node:fs';
import { ResponderError } from '../handlers/shared/errors.js';

/** Exit codes: 0 done, 1 an unexpected failure, 2 bad input or usage (contract §10). */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/** A usage mistake: printed as one line, exit 2. */
export class UsageError extends ResponderError {
  override readonly name = 'UsageError';
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** One line on stderr naming the error and, for named errors, its code. */
export function errorLine(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return `Error: ${String(error)}`;
}

const BAD_INPUT = new Set(['InvalidFinding', 'InvalidScenario', 'ConfigError', 'UsageError', 'InvalidExecutionInput']);

export function exitCodeFor(error: unknown): number {
  return error instanceof Error && BAD_INPUT.has(error.name) ? EXIT.badInput : EXIT.failure;
}
