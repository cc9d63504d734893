import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The exhaustive suites: the bad-input corpus (hundreds of generated inputs per entry point, whole
 * executions among them) and the fault matrix (every containment action against every injected
 * failure). `npm run test:deep` runs them (vitest.deep.config.ts); `npm test` runs everything else.
 */
export const DEEP_TESTS = ['test/corpus/**/*.test.ts', 'test/faults/**/*.test.ts'];

/**
 * Files that build stacks and run simulations against fresh objects only (no module mocks, no SDK
 * client stubs, no environment read at import): they share one module graph per worker instead
 * of importing aws-cdk-lib, the local engine and the SDK again for each file. Importing that graph
 * again for each file was most of the suite's CPU time.
 */
export const SHARED_MODULE_TESTS = ['test/playbook/**/*.test.ts', 'test/infra/**/*.test.ts'];

/**
 * What makes a test file elsewhere need a module graph of its own: it mocks modules, stubs SDK
 * clients, globals or timers, spies on shared objects, or touches the environment or the process.
 */
export const NEEDS_OWN_MODULES =
  /\bvi\.(mock|doMock|unmock|stubEnv|stubGlobal|spyOn|useFakeTimers|resetModules)\b|\bmockClient\(|\bprocess\.(env|on|once|chdir|exit|exitCode|stdout|stderr|stdin)\b|\bglobalThis\b/;

/**
 * The test files outside test/playbook and test/infra that do none of that (read when the suite
 * starts, so a new file is classified by what it does): they share one module graph per worker too.
 */
export function sharedByContent(root = import.meta.dirname): string[] {
  const deep = /^test\/(corpus|faults)\//;
  const folderShared = /^test\/(playbook|infra)\//;
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .map((file) => `test/${file.split('\\').join('/')}`)
    .filter((file) => file.endsWith('.test.ts') && !deep.test(file) && !folderShared.test(file))
    .filter((file) => !NEEDS_OWN_MODULES.test(readFileSync(join(root, file), 'utf8')))
    .sort();
}

const SHARED_TESTS = [...SHARED_MODULE_TESTS, ...sharedByContent()];

/** What both suites share. */
export const COMMON = {
  setupFiles: ['local/polyfills.ts', 'test/support/setup-env.ts'],
  testTimeout: 60_000,
  // The stack tests synthesize in beforeAll: with one worker per core on a busy two-core machine
  // that has taken over a minute.
  hookTimeout: 180_000,
  pool: 'forks' as const,
  // One worker per core (vitest's default leaves one core idle: a single worker on two cores).
  maxWorkers: '100%',
};

export default defineConfig({
  test: {
    ...COMMON,
    projects: [
      { extends: true, test: { name: 'shared', include: SHARED_TESTS, isolate: false } },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...DEEP_TESTS, ...SHARED_TESTS],
        },
      },
    ],
  },
});
