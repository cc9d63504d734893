import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_MINIMUM, PLAN } from './plan.js';

/**
 * The size of the bad-input corpus: each corpus file asserts, after its last test, that it ran at
 * least its planned number of distinct inputs (fast-check runs plus the hand-picked cases); here
 * the plans add up to the minimum, and every plan is asserted by some file.
 */

const DIR = new URL('./', import.meta.url);
const sources = readdirSync(DIR)
  .filter((file) => file.endsWith('.test.ts') && file !== 'count.test.ts')
  .map((file) => readFileSync(new URL(file, DIR), 'utf8'));

describe('the corpus size', () => {
  const total = Object.values(PLAN).reduce((sum, count) => sum + count, 0);

  it(`runs at least ${CORPUS_MINIMUM} distinct inputs (${total} planned: ${Object.entries(PLAN)
    .map(([category, count]) => `${category} ${count}`)
    .join(', ')})`, () => {
    expect(total).toBeGreaterThanOrEqual(CORPUS_MINIMUM);
  });

  it.each(Object.keys(PLAN))('the %s plan is asserted by a corpus file', (category) => {
    const asserting = sources.filter((source) => source.includes(`expectAtLeast(distinct, PLAN.${category})`));
    expect(asserting).toHaveLength(1);
  });
});
