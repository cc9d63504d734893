import { defineConfig } from 'vitest/config';

/**
 * The exhaustive suites: the bad-input corpus (hundreds of generated inputs per entry point, whole
 * executions among them) and the fault matrix (every containment action against every injected
 * failure). `npm run test:deep` runs them (vitest.deep.config.ts); `npm test` runs everything else.
 */
export const DEEP_TESTS = ['test/corpus/**/*.test.ts', 'test/faults/**/*.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...DEEP_TESTS],
    setupFiles: ['local/polyfills.ts', 'test/support/setup-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
