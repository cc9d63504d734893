import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import LRUCache from '../../infra/bundling/lru-cache.js';

/** mnemonist's LRU cache, the module the bundles replace: the oracle (CommonJS, `module.exports` the class). */
const MnemonistLRUCache = createRequire(import.meta.url)('mnemonist/lru-cache') as new (
  capacity: number,
) => Pick<LRUCache<string, number>, 'get' | 'set' | 'peek' | 'has' | 'clear' | 'size'>;

/** The calls the SDK's endpoint cache makes, in a fixed pseudo-random order over a few keys. */
function operations(count: number): [op: 'get' | 'set' | 'peek' | 'has' | 'clear', key: string][] {
  let state = 7;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const ops = ['get', 'set', 'set', 'peek', 'has', 'get'] as const;
  return Array.from({ length: count }, (_, n) => [
    n % 97 === 96 ? 'clear' : (ops[next() % ops.length] ?? 'get'),
    `k${next() % 7}`,
  ]);
}

describe('the endpoint-discovery cache stand-in in the bundles', () => {
  it('answers every get, peek and has as mnemonist’s LRU cache does, evictions included', () => {
    const ours = new LRUCache<string, number>(4);
    const theirs = new MnemonistLRUCache(4);
    const answers: [unknown, unknown][] = [];

    operations(2_000).forEach(([op, key], n) => {
      if (op === 'set') {
        ours.set(key, n);
        theirs.set(key, n);
      } else if (op === 'clear') {
        ours.clear();
        theirs.clear();
      } else {
        answers.push([ours[op](key), theirs[op](key)]);
      }
    });

    expect(answers.length).toBeGreaterThan(1_000);
    expect(answers.filter(([a, b]) => a !== b)).toEqual([]);
    expect(answers.some(([a]) => a === undefined || a === false)).toBe(true);
    expect(ours.size).toBe(theirs.size);
  });
});
