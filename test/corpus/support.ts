import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import * as errors from '../../handlers/shared/errors.js';

/**
 * Shared pieces of the bad-input corpus: the named errors an input may end in, a seeded fast-check
 * configuration, a distinct-input counter, and arbitraries for hostile values.
 */

/** One seed for the whole corpus (override with CORPUS_SEED to explore); fast-check prints it on failure. */
export const SEED = Number(process.env.CORPUS_SEED ?? 20_260_223);

/** Seeded fast-check parameters; `numRuns` counts towards the corpus size. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns, endOnFailure: true };
}

/** The `name` of every error class exported by handlers/shared/errors.ts (the Step Functions error codes). */
export const NAMED_ERRORS: ReadonlySet<string> = new Set(
  (Object.values(errors) as unknown[])
    .filter(
      (value): value is new (...args: string[]) => Error =>
        typeof value === 'function' && value.prototype instanceof errors.ResponderError,
    )
    .map((ErrorClass) => new ErrorClass('x', 'x', 'x').name),
);

/** What an unnamed failure looks like: a bug, never an answer. */
export const GENERIC_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/** The name of a named error, or a failure message naming what was thrown instead. */
export function namedError(error: unknown, input?: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  if (!(error instanceof Error) || GENERIC_NAMES.has(name) || !NAMED_ERRORS.has(name)) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `expected a named error, got ${name}: ${message.slice(0, 300)}\ninput: ${describe(input)}\n${error instanceof Error ? error.stack?.split('\n').slice(1, 6).join('\n') : ''}`,
    );
  }
  return name;
}

/** Runs `work`: its value, or the name of the named error it threw (anything else fails the test). */
export async function outcome<T>(
  work: () => T | Promise<T>,
  input?: unknown,
): Promise<{ ok: true; value: T } | { ok: false; error: string; message: string }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: namedError(error, input), message: (error as Error).message };
  }
}

/** The synchronous `outcome`. */
export function outcomeSync<T>(
  work: () => T,
  input?: unknown,
): { ok: true; value: T } | { ok: false; error: string; message: string } {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    return { ok: false, error: namedError(error, input), message: (error as Error).message };
  }
}

/** A short, safe rendering of an input for a failure message. */
export function describe(input: unknown): string {
  try {
    const text = typeof input === 'string' ? JSON.stringify(input) : JSON.stringify(input);
    return text === undefined
      ? String(input)
      : text.length > 400
        ? `${text.slice(0, 400)}… (${text.length} chars)`
        : text;
  } catch {
    return `<${typeof input} that JSON.stringify cannot render>`;
  }
}

/** Counts distinct inputs (by a hash of their JSON, or a label for values JSON cannot hold). */
export class Distinct {
  private readonly seen = new Set<string>();
  add(input: unknown, label?: string): void {
    let key: string;
    try {
      key = label ?? JSON.stringify(input) ?? String(input);
    } catch {
      key = `unserializable:${String(label)}`;
    }
    this.seen.add(
      createHash('sha1')
        .update(`${typeof input}:${key}`)
        .digest('hex'),
    );
  }
  get size(): number {
    return this.seen.size;
  }
}

/** Asserts the count at the end of a file's corpus, so a shrunken generator cannot quietly run fewer inputs. */
export function expectAtLeast(distinct: Distinct, planned: number): void {
  expect(distinct.size).toBeGreaterThanOrEqual(planned);
}

export const ONE_MB = 'A'.repeat(1 << 20);

/** Values aimed at SQL, shells, templates, logs, Slack mrkdwn and path handling. */
export const INJECTIONS = [
  `' OR '1'='1`,
  `x'; DROP TABLE cloudtrail_logs; --`,
  `"; DELETE FROM t; --`,
  `\\'; SELECT 1; --`,
  `customer-records' UNION SELECT * FROM secrets --`,
  `$(rm -rf /)`,
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, literally
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '<!channel> *bold* <https://evil.example|click>',
  '../../etc/passwd',
  'line\nbreak',
  'tab\tand\rreturn',
  'nul\u0000byte',
  '\u2028line-separator',
  '__proto__',
  'constructor',
] as const;

/** Unicode that looks like, or hides inside, an identifier. */
export const UNICODE = [
  'bücket-ünïcode',
  'сustomer-records', // Cyrillic с
  'customer\u200b-records', // zero width space
  'customer-records\u202e', // right-to-left override
  'ｃｕｓｔｏｍｅｒ', // full width
  '🪣-bucket',
  '日本語のバケット',
  'e\u0301tude', // combining accent
  '\ud800', // lone surrogate
  'İstanbul',
] as const;

/** Arbitrary strings of every kind, including the hand-picked hostile ones and a 1 MB string. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', ONE_MB, 'a'.repeat(64), 'a'.repeat(301)) },
);

/** Arbitrary JSON-ish values: hostile strings, odd numbers, huge and nested containers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(-1, 0, 11, 1e21, -0, 2 ** 53, Number.MAX_VALUE),
      fc.boolean(),
      fc.constant(null),
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      labelled(hugeArray(), '<array of 100,000 strings>'),
      labelled(deepObject(2_000) as object, '<object nested 2,000 deep>'),
      labelled(deepArray(2_000) as object, '<array nested 2,000 deep>'),
      [],
      {},
    ),
  },
);

/** A value that fast-check prints as `label` in a counterexample (its own printer recurses and would overflow). */
export function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false });
  return value;
}

/** An array of 100,000 entries. */
export function hugeArray(): string[] {
  return Array.from({ length: 100_000 }, (_, index) => `item-${index}`);
}

/** `{"a":{"a":…}}` nested `depth` levels. */
export function deepObject(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

/** `[[[…]]]` nested `depth` levels. */
export function deepArray(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}
