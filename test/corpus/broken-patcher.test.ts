import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyDocument, Statement } from '../../handlers/shared/policy/document.js';
import { patchPolicy } from '../../handlers/shared/policy/patch.js';
import { type Patch, patch, patcherProperty } from './patcher-property.js';
import { SEED } from './support.js';

/**
 * A test of the test: the patcher property of patcher.test.ts must fail for a patcher that drops
 * an existing statement. The real `patchPolicy` runs here with its merge module swapped for one
 * that drops the first existing statement (and, separately, with its own dropped-statement guard
 * switched off as well), and behind a policy slot that drops it on the way to S3.
 */

const broken = vi.hoisted(() => ({ merge: false, guard: false, version: false }));

vi.mock('../../handlers/shared/policy/merge.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../handlers/shared/policy/merge.js')>();
  return {
    ...real,
    mergeStatements: (current: PolicyDocument | undefined, ours: readonly Statement[]) => {
      const merged = real.mergeStatements(current, ours);
      if (broken.version) return { ...merged, document: { Version: '2012-10-17', ...merged.document } };
      if (!broken.merge || !current?.Statement.length) return merged;
      return { ...merged, document: { ...merged.document, Statement: merged.document.Statement.slice(1) } };
    },
    droppedStatements: (...args: Parameters<typeof real.droppedStatements>) =>
      broken.guard ? [] : real.droppedStatements(...args),
  };
});

afterEach(() => {
  broken.merge = false;
  broken.guard = false;
  broken.version = false;
});

/** Runs the property (same generator, same seed as the corpus) without throwing. */
const check = (apply: Patch) => fc.check(patcherProperty(apply), { seed: SEED, numRuns: 250 });

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
});

describe('the patcher property catches a patcher that drops an existing statement', () => {
  it('holds for the real patcher', async () => {
    const result = await check(patchPolicy);

    expect(result.failed).toBe(false);
    expect(result.numRuns).toBe(250);
  });

  it('fails when the merge drops the first statement and the guard is off', async () => {
    broken.merge = true;
    broken.guard = true;

    const result = await check(patchPolicy);
    const single = await patch(patchPolicy, POLICY, 'bucket');

    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/existing statements?, \d+ kept|changed, moved or dropped/);
    expect(single).toEqual({
      outcome: 'applied',
      problems: ['1 existing statements, 0 kept', 'existing statement 0 changed, moved or dropped'],
      visible: true,
    });
  });

  it('with the guard on, the broken merge of a third-party statement is refused: LostUpdate, nothing written', async () => {
    broken.merge = true;

    const single = await patch(patchPolicy, POLICY, 'bucket');

    expect(single).toEqual({ outcome: 'LostUpdate', problems: [] });
  });

  it('fails when the merge adds a Version to a policy that had none', async () => {
    broken.version = true;

    const result = await check(patchPolicy);
    const single = await patch(patchPolicy, JSON.stringify({ Statement: JSON.parse(POLICY).Statement }), 'bucket');

    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/top-level Version added/);
    expect(single).toMatchObject({ outcome: 'applied', problems: ['top-level Version added'] });
  });

  it('fails when the statement is dropped on the way to S3 (a slot wrapper)', async () => {
    const dropOnWrite: Patch = (slot, ...rest) =>
      patchPolicy(
        {
          ...slot,
          write: (text) => {
            const document = JSON.parse(text) as PolicyDocument;
            return slot.write(JSON.stringify({ ...document, Statement: document.Statement.slice(1) }));
          },
        },
        ...rest,
      );

    const result = await check(dropOnWrite);

    expect(result.failed).toBe(true);
    expect(result.counterexample).not.toBeNull();
  });
});
