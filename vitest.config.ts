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
 * of importing aws-cdk-lib, the local engine and the SDK again for each file.
 */
export const SHARED_MODULE_TESTS = ['test/playbook/**/*.test.ts', 'test/infra/**/*.test.ts'];

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
      { extends: true, test: { name: 'shared', include: SHARED_MODULE_TESTS, isolate: false } },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...DEEP_TESTS, ...SHARED_MODULE_TESTS],
        },
      },
    ],
  },
});
