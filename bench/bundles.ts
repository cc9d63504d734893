import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { bundleHandler, MAX_BUNDLE_BYTES, provideLayerLocally, ROOT } from '../infra/bundling/bundle.js';
import { runBundledSlackRequest, startSlackFakes } from '../local/bundled-slack.js';

/** Slack's limit for acknowledging an interaction. */
export const SLACK_BUDGET_MS = 3000;

export interface HandlerFigures {
  readonly handler: string;
  /** Minified bundle as deployed, source map apart. */
  readonly bytes: number;
  /** `import()` of the bundle in a fresh `node --enable-source-maps` (median). */
  readonly coldImportMs: number;
}

export interface SlackFigures {
  readonly importMs: number;
  readonly requestMs: number;
  /** Cold import plus the first signed request, median of the runs' sums. */
  readonly totalMs: number;
  readonly budgetFraction: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const IMPORT = `
const start = performance.now();
await import(process.env.BUNDLE_URL);
console.log(performance.now() - start);
`;

/** One `import()` of a bundle in a fresh process, with the variables a function has and nothing else. */
async function coldImport(file: string): Promise<number> {
  await provideLayerLocally(file);
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', IMPORT], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '--enable-source-maps',
      AWS_REGION: 'us-east-1',
      BUNDLE_URL: pathToFileURL(file).href,
    },
  });
  return Number(stdout.trim().split('\n').at(-1));
}

/**
 * Every handler bundled as the stack bundles it (`infra/bundling`), its size, and `runs` cold
 * imports of each, one process at a time; then `runs` cold starts of the Slack handler, each
 * answering one signed Approve click (`local/bundled-slack.ts`).
 */
export async function benchBundles(runs = 10): Promise<{ handlers: HandlerFigures[]; slack: SlackFigures }> {
  const outdir = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  const fakes = await startSlackFakes();
  try {
    const folders = (await readdir(join(ROOT, 'handlers'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
      .map((entry) => entry.name)
      .sort();
    const bundles = await Promise.all(
      folders.map(async (handler) => ({
        handler,
        ...(await bundleHandler(join(ROOT, 'handlers', handler, 'index.ts'), join(outdir, handler))),
      })),
    );
    const handlers: HandlerFigures[] = [];
    for (const { handler, bytes, file } of bundles) {
      const times: number[] = [];
      for (let run = 0; run < runs; run += 1) times.push(await coldImport(file));
      handlers.push({ handler, bytes, coldImportMs: median(times) });
    }
    const slackFile = bundles.find((bundle) => bundle.handler === 'slack')?.file;
    if (!slackFile) throw new Error('no Slack handler bundle');
    const requests = [];
    for (let run = 0; run < runs; run += 1) {
      const request = await runBundledSlackRequest(slackFile, fakes);
      if (request.statusCode !== 200) throw new Error(`the bundled Slack handler answered ${request.statusCode}`);
      requests.push(request);
    }
    const totalMs = median(requests.map((request) => request.importMs + request.requestMs));
    return {
      handlers,
      slack: {
        importMs: median(requests.map((request) => request.importMs)),
        requestMs: median(requests.map((request) => request.requestMs)),
        totalMs,
        budgetFraction: totalMs / SLACK_BUDGET_MS,
      },
    };
  } finally {
    await fakes.stop();
    await rm(outdir, { recursive: true, force: true });
  }
}

/** The bundle table `npm run bench` prints. */
export function bundleTable(handlers: readonly HandlerFigures[], runs: number): string {
  const header = ['handler', `bundle (KB, limit ${MAX_BUNDLE_BYTES / 1024})`, `cold import (ms, median of ${runs})`];
  const rows = handlers.map(({ handler, bytes, coldImportMs }) => [
    handler,
    (bytes / 1024).toFixed(0),
    coldImportMs.toFixed(0),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
