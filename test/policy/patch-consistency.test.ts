import { describe, expect, it } from 'vitest';
import { LostUpdate, SidConflict } from '../../handlers/shared/errors.js';
import { byteSize, type Statement } from '../../handlers/shared/policy/document.js';
import { type PatchOptions, type PolicySlot, patchPolicy } from '../../handlers/shared/policy/patch.js';
import { SETTLE_BACKOFF_MS } from '../../handlers/shared/policy/settle.js';

/**
 * The patcher against an eventually consistent store: a re-read that still shows the exact prior
 * document is waited out (bounded), then reported "not yet visible"; a third document without ours
 * is a lost update, re-read, re-merged and re-written.
 */

const IR_ROLE = 'arn:aws:iam::123456789012:role/IncidentResponder';
const OURS: Statement = {
  Sid: 'IR20260223abcdef012345DenyPrincipal',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::customer-records', 'arn:aws:s3:::customer-records/*'],
  Condition: {
    ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:user/developer-jane'] },
    ArnNotLike: { 'aws:PrincipalArn': [IR_ROLE] },
  },
};
const READER = {
  Sid: 'AnalyticsRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:role/analytics-reader' },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::customer-records/*',
};
const PARTNER = { ...READER, Sid: 'PartnerRead', Principal: { AWS: 'arn:aws:iam::210987654321:root' } };
const PRIOR = JSON.stringify({ Version: '2012-10-17', Statement: [READER] });

/**
 * A bucket policy store. `stale` re-reads after a write answer the document from before it;
 * `interfere(n)` replaces the document after our n-th write (another writer), before we re-read.
 */
function store(options: { stale?: number; interfere?: (write: number, text: string) => string | undefined } = {}) {
  let stored: string | undefined = PRIOR;
  let previous: string | undefined;
  let staleLeft = options.stale ?? 0;
  const writes: string[] = [];
  const slot: PolicySlot = {
    label: 'bucket customer-records',
    read: async () => {
      if (previous !== undefined && staleLeft > 0) {
        staleLeft -= 1;
        return previous;
      }
      previous = undefined;
      return stored;
    },
    write: async (text) => {
      writes.push(text);
      previous = stored;
      stored = options.interfere?.(writes.length, text) ?? text;
    },
    limit: 20_480,
    measure: byteSize,
  };
  return { slot, writes, now: () => stored };
}

function timing(extra: Partial<PatchOptions> = {}) {
  const waits: number[] = [];
  const options: PatchOptions = { sleep: async (milliseconds) => void waits.push(milliseconds), ...extra };
  return { waits, options };
}

const statementsOf = (text: string | undefined) => (JSON.parse(text ?? '{}') as { Statement: unknown[] }).Statement;

describe('patchPolicy under eventual consistency', () => {
  it('waits out a re-read that still shows the prior document, then reports the write applied and visible', async () => {
    const { slot, writes } = store({ stale: 2 });
    const { waits, options } = timing();

    const outcome = await patchPolicy(slot, [OURS], [IR_ROLE], async () => undefined, options);

    expect(outcome).toMatchObject({ result: 'applied', visible: true });
    expect(writes).toHaveLength(1);
    expect(waits).toEqual(SETTLE_BACKOFF_MS.slice(0, 2));
  });

  it('reports "applied, not yet visible" after the bounded backoff instead of failing, writing once', async () => {
    const { slot, writes, now } = store({ stale: 1_000 });
    const { waits, options } = timing();

    const outcome = await patchPolicy(slot, [OURS], [IR_ROLE], async () => undefined, options);

    expect(outcome).toMatchObject({ result: 'applied', visible: false });
    expect(writes).toHaveLength(1);
    expect(waits).toEqual([...SETTLE_BACKOFF_MS]);
    expect(statementsOf(now())).toEqual([READER, OURS]);
  });

  it('retries a genuine lost update: re-reads, re-merges the other writer\u2019s statement and writes again', async () => {
    const theirs = JSON.stringify({ Version: '2012-10-17', Statement: [READER, PARTNER] });
    const { slot, writes, now } = store({ interfere: (write) => (write === 1 ? theirs : undefined) });
    const { waits, options } = timing();

    const outcome = await patchPolicy(slot, [OURS], [IR_ROLE], async () => undefined, options);

    expect(outcome).toMatchObject({ result: 'applied', visible: true });
    expect(writes).toHaveLength(2);
    expect(statementsOf(now())).toEqual([READER, PARTNER, OURS]);
    expect(waits).toEqual([]);
  });

  it('gives up with LostUpdate after three lost writes, never reporting success', async () => {
    const theirs = (write: number) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [READER, { ...PARTNER, Sid: `PartnerRead${write}` }] });
    const { slot, writes } = store({ interfere: (write) => theirs(write) });

    const patch = patchPolicy(slot, [OURS], [IR_ROLE], async () => undefined, timing().options);

    await expect(patch).rejects.toBeInstanceOf(LostUpdate);
    expect(writes).toHaveLength(3);
  });

  it('counts a re-read holding ours plus a later writer\u2019s statement as visible', async () => {
    const { slot, writes } = store({
      interfere: (_write, text) => JSON.stringify({ ...JSON.parse(text), Statement: [...statementsOf(text), PARTNER] }),
    });

    const outcome = await patchPolicy(slot, [OURS], [IR_ROLE], async () => undefined, timing().options);

    expect(outcome).toMatchObject({ result: 'applied', visible: true });
    expect(writes).toHaveLength(1);
  });
});

describe('patchPolicy and statements we did not write', () => {
  const foreign = { ...PARTNER, Sid: OURS.Sid };
  const withForeign = JSON.stringify({ Version: '2012-10-17', Statement: [READER, foreign] });

  it('refuses our Sid on someone else\u2019s statement with SidConflict: no backup, no record, no write', async () => {
    const calls: string[] = [];
    const slot: PolicySlot = {
      label: 'bucket customer-records',
      read: async () => withForeign,
      write: async () => void calls.push('write'),
      limit: 20_480,
      measure: byteSize,
    };

    const patch = patchPolicy(slot, [OURS], [IR_ROLE], async () => void calls.push('backup'), {
      record: async () => void calls.push('record'),
    });

    await expect(patch).rejects.toBeInstanceOf(SidConflict);
    await expect(patch).rejects.toThrow(/bucket customer-records already holds a statement with Sid IR20260223/);
    expect(calls).toEqual([]);
  });

  it('rewrites in place a statement the incident recorded writing, and records the Sids before writing', async () => {
    let stored: string | undefined = withForeign;
    const calls: string[] = [];
    const slot: PolicySlot = {
      label: 'bucket customer-records',
      read: async () => stored,
      write: async (text) => {
        calls.push('write');
        stored = text;
      },
      limit: 20_480,
      measure: byteSize,
    };

    const outcome = await patchPolicy(slot, [OURS], [IR_ROLE], async () => void calls.push('backup'), {
      owns: (statement) => statement.Sid === OURS.Sid,
      record: async (sids) => void calls.push(`record ${sids.join(',')}`),
    });

    expect(outcome.result).toBe('applied');
    expect(calls).toEqual(['backup', `record ${OURS.Sid}`, 'write']);
    expect(statementsOf(stored)).toEqual([READER, OURS]);
  });
});
