import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CASES, type CaseName } from './cases.js';

/**
 * `npm run integ`: synthesizes every integration case offline (bundling skipped, placeholder
 * account and Region) and compares each stack's template, hashes stripped, with the committed
 * snapshot under `test/integ/__snapshots__/<case>/<stack>.json`. `--update` rewrites them.
 * Exit 1 naming each differing path; a stack without a snapshot, or a snapshot without a stack,
 * is a difference too.
 */
const SNAPSHOTS = join(import.meta.dirname, '__snapshots__');
const ENV = { account: '123456789012', region: 'us-east-1' };
const HASH = /[0-9a-f]{64}/g;

/** The template with asset and bundle hashes (64 hex) and the assertions' `salt` (a timestamp) replaced. */
export function stripHashes(value: unknown, key?: string): unknown {
  if (key === 'salt') return '[SALT REMOVED]';
  if (typeof value === 'string') return value.replace(HASH, '[HASH REMOVED]');
  if (Array.isArray(value)) return value.map((item) => stripHashes(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, stripHashes(inner, name)]));
  }
  return value;
}

/** The paths at which two JSON values differ, at most `limit`. */
export function differences(expected: unknown, actual: unknown, path = '$', limit = 10): string[] {
  if (JSON.stringify(expected) === JSON.stringify(actual)) return [];
  const bothObjects =
    expected &&
    actual &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    Array.isArray(expected) === Array.isArray(actual);
  if (!bothObjects)
    return [
      `${path}: expected ${JSON.stringify(expected)?.slice(0, 120)}, got ${JSON.stringify(actual)?.slice(0, 120)}`,
    ];
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  const found: string[] = [];
  for (const key of keys) {
    if (found.length >= limit) break;
    const inner = differences(
      (expected as Record<string, unknown>)[key],
      (actual as Record<string, unknown>)[key],
      `${path}.${key}`,
      limit - found.length,
    );
    found.push(...inner);
  }
  return found;
}

/** The case's stacks as `cdk synth` writes them, hashes stripped, by stack name. */
export async function synthCase(name: CaseName): Promise<Record<string, unknown>> {
  const outdir = mkdtempSync(join(tmpdir(), `integ-${name}-`));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    await CASES[name](app, ENV);
    const assembly = app.synth();
    return Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, stripHashes(stack.template)]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function main(update: boolean): Promise<number> {
  let failures = 0;
  for (const name of Object.keys(CASES) as CaseName[]) {
    const templates = await synthCase(name);
    const directory = join(SNAPSHOTS, name);
    if (update) {
      rmSync(directory, { recursive: true, force: true });
      mkdirSync(directory, { recursive: true });
      for (const [stack, template] of Object.entries(templates)) {
        writeFileSync(join(directory, `${stack}.json`), `${JSON.stringify(template, null, 2)}\n`);
      }
      process.stdout.write(`${name}: ${Object.keys(templates).length} snapshots written\n`);
      continue;
    }
    const committed = readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
      entry.isFile() && entry.name.endsWith('.json') ? [entry.name.slice(0, -'.json'.length)] : [],
    );
    for (const stack of new Set([...committed, ...Object.keys(templates)])) {
      const problems = !committed.includes(stack)
        ? ['no committed snapshot']
        : !(stack in templates)
          ? ['the snapshot names a stack the case no longer has']
          : differences(JSON.parse(readFileSync(join(directory, `${stack}.json`), 'utf8')), templates[stack]);
      if (problems.length === 0) continue;
      failures += 1;
      process.stderr.write(
        `${name}/${stack}: differs from its snapshot\n${problems.map((line) => `  ${line}`).join('\n')}\n`,
      );
    }
    if (failures === 0)
      process.stdout.write(`${name}: ${Object.keys(templates).length} stacks match their snapshots\n`);
  }
  if (failures > 0)
    process.stderr.write('run `npm run integ -- --update` if the change is intended, and commit the snapshots\n');
  return failures > 0 ? 1 : 0;
}

if (process.argv[1] === import.meta.filename) process.exitCode = await main(process.argv.includes('--update'));
