import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './bundle.js';

/** Where `npm run build:cli` writes the bundled `responder` command (not committed). */
export const CLI_OUTDIR = join(ROOT, 'dist', 'cli');

/**
 * The `responder` command as plain JavaScript: one ESM entry, `dist/cli/responder.js`, and a chunk
 * per command it loads on demand, with source maps; `detect-worker.js` is detect's reading thread. Node starts it without a TypeScript loader,
 * which is most of a short run's time (`responder detect` over a day of CloudTrail).
 */
export async function bundleResponderCli(outdir = CLI_OUTDIR): Promise<string> {
  await rm(outdir, { recursive: true, force: true });
  await build({
    // `detect` starts worker threads on `detect-worker.js`, beside the chunks that start them;
    // `detect.js` is the command as a module (the bench runs it in its own process).
    entryPoints: {
      responder: join(ROOT, 'cli', 'responder.ts'),
      detect: join(ROOT, 'cli', 'commands', 'detect.ts'),
      'detect-worker': join(ROOT, 'cli', 'detect-worker.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    packages: 'external',
    logLevel: 'warning',
  });
  return join(outdir, 'responder.js');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  process.stdout.write(`${await bundleResponderCli()}\n`);
}
