import { defineConfig } from 'vitest/config';
import { COMMON, DEEP_TESTS } from './vitest.config.js';

/** `npm run test:deep`: the exhaustive suites only (see vitest.config.ts). */
export default defineConfig({ test: { ...COMMON, include: DEEP_TESTS, exclude: ['**/node_modules/**'] } });
