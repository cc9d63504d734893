import '../local/polyfills.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DetectOutput } from './commands/detect.js';
import { EXIT, errorLine, exitCodeFor, UsageError } from './io.js';
import { isCommand, USAGE, wantsHelp } from './usage.js';

const COMMANDS = Object.values(USAGE)
  .map((line) => line.replace(/^responder /, ''))
  .join(' | ');

/** Where the command writes: the process's stdout and stderr, or a caller's buffers. */
export type ResponderIo = DetectOutput;

const processIo: ResponderIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  terminal: process.stderr.isTTY === true,
};

/**
 * The `responder` command (DESIGN §9, contracts §10): runs `argv` (the arguments after
 * `responder`) and returns the exit code; an error is one line on `io.err`.
 */
export async function responder(argv: string[], io: ResponderIo = processIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    io.err(`${errorLine(error)}\n`);
    return exitCodeFor(error);
  }
}

async function main(argv: string[], io: ResponderIo): Promise<number> {
  process.env.RESPONDER_SILENT ??= '1';
  const [command, ...args] = argv;
  const write = (text: string) => io.out(`${text}\n`);
  if (isCommand(command) && wantsHelp(args)) {
    write(`usage: ${USAGE[command]}`);
    return EXIT.ok;
  }
  switch (command) {
    case 'normalize': {
      const { normalizeCommand } = await import('./commands/normalize.js');
      write(normalizeCommand(args));
      return EXIT.ok;
    }
    case 'detect': {
      const { detectCommand } = await import('./commands/detect.js');
      return detectCommand(args, io);
    }
    case 'rollback': {
      const { rollbackCommand } = await import('./commands/rollback.js');
      write(await rollbackCommand(args));
      return EXIT.ok;
    }
    case 'rerun': {
      const { rerunCommand } = await import('./commands/rerun.js');
      write(await rerunCommand(args));
      return EXIT.ok;
    }
    case 'close': {
      const { closeCommand } = await import('./commands/close.js');
      write(await closeCommand(args));
      return EXIT.ok;
    }
    case 'slack-preview': {
      const { slackPreviewCommand } = await import('./commands/slack-preview.js');
      write(await slackPreviewCommand(args));
      return EXIT.ok;
    }
    case 'plan': {
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(args, write);
      return EXIT.ok;
    }
    case 'simulate': {
      const { simulateCommand } = await import('./commands/simulate.js');
      const result = await simulateCommand(args, write);
      // Contract §10: 1 when any event ended `failed`; the result was printed all the same.
      return result.incidents.some((incident) => incident.status === 'failed') ? EXIT.failure : EXIT.ok;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      write(`usage: responder ${COMMANDS}`);
      return command === undefined ? EXIT.badInput : EXIT.ok;
    default:
      throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS}`);
  }
}

/** True when this module is the program node started (not imported by a test or a script). */
function isEntry(): boolean {
  const started = process.argv[1];
  if (!started) return false;
  try {
    return realpathSync(started) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  responder(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
