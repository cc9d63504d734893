import { bundleHandler } from './bundle.js';

/**
 * `node --import tsx infra/bundling/cli.ts <entry> <outdir>`: bundles one handler. CDK's local
 * bundling is synchronous and esbuild plugins need its asynchronous API, so `TaskFunction` runs
 * this in a child process.
 */
const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: node --import tsx infra/bundling/cli.ts <entry> <outdir>');
  process.exit(2);
}
await bundleHandler(entry, outdir);
