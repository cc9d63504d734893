import { spawnSync } from 'node:child_process';
import { responder } from '../../cli/responder.js';
import { ROOT } from './fixtures.js';

/** What a `responder` run printed and its exit code. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `responder <args>` in this process: the same dispatch, output and exit code as the command line,
 * without starting Node and a TypeScript loader for each case (about a second of CPU each).
 * Relative paths are read from the repository root, as the command line tests run it.
 */
export async function runResponder(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  if (cwd !== ROOT) process.chdir(ROOT);
  try {
    const code = await responder(args, {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      terminal: false,
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    if (cwd !== ROOT) process.chdir(cwd);
  }
}

/** `responder <args>` as its own process (`node --import tsx cli/responder.ts`): for what only a process shows. */
export function spawnResponder(...args: string[]): CliRun {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/responder.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
