import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExecutionInput } from '../../handlers/shared/schemas/execution-input.js';
import { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding, normalizeFindings } from '../../handlers/shared/schemas/normalize.js';
import { DEFAULT_FINDING_TYPES } from '../../infra/config.js';
import { anyInput, EVENT, refusedInput } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, deepArray, deepObject, expectAtLeast, hugeArray, ONE_MB, outcomeSync, runs } from './support.js';

/**
 * The pure layers every execution input passes first: the execution-input union and GuardDuty
 * normalization. Whatever arrives, the answer is a recognized form, an accepted or ignored finding,
 * or a named error (`InvalidExecutionInput`, `InvalidFinding`), never a TypeError or a RangeError.
 */

const distinct = new Distinct();
const OPTIONS = { findingTypes: DEFAULT_FINDING_TYPES };

/** The whole pure path of register-incident: parse the form, then normalize a finding form. */
function classify(input: unknown): string {
  distinct.add(input);
  const parsed = outcomeSync(() => parseExecutionInput(input), input);
  if (!parsed.ok) return parsed.error;
  const { value } = parsed;
  if (value.form !== 'event' && value.form !== 'findings' && value.form !== 'finding') return value.form;
  const normalized = outcomeSync(() => normalizeFinding(value.raw, OPTIONS), input);
  if (!normalized.ok) return normalized.error;
  if (normalized.value.status === 'accepted') expect(Incident.safeParse(normalized.value.incident).success).toBe(true);
  else expect(normalized.value.reason).toMatch(/\S/);
  return normalized.value.status;
}

const HAND_PICKED: [string, unknown][] = [
  ['null', null],
  ['a number', 42],
  ['a string', 'GuardDuty Finding'],
  ['truncated JSON text', '{"detail-type":"GuardDuty Finding","detail":{'],
  ['an array of events', [EVENT, EVENT]],
  ['an empty object', {}],
  ['a 1 MB string', ONE_MB],
  ['an array of 100,000 entries', hugeArray()],
  ['an object nested 5,000 deep', { id: 'x', type: 'Exfiltration:S3/X', extra: deepObject(5_000) }],
  ['arrays nested 5,000 deep', { Findings: deepArray(5_000) }],
  ['{"Findings": []}', { Findings: [] }],
  ['{"Findings": [two]}', { Findings: [EVENT.detail, EVENT.detail] }],
  ['{"Findings": "x"}', { Findings: 'x' }],
  ['detail a string', { ...EVENT, detail: 'x' }],
  ['detail null', { ...EVENT, detail: null }],
  [
    'an EC2 state-change event',
    { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} },
  ],
  [
    'a Security Hub finding',
    { 'detail-type': 'Security Hub Findings - Imported', source: 'aws.securityhub', detail: { findings: [] } },
  ],
  ['__proto__ keys', JSON.parse('{"__proto__":{"rerun":true},"id":"x","type":"Exfiltration:S3/X"}')],
  ['a rerun with a SQL id', { incidentId: "20260101-000000000000' OR 1=1", rerun: true }],
  ['a rerun with rerun "true"', { incidentId: '20260101-000000000000', rerun: 'true' }],
  ['a finding reference with a 1 MB id', { findingId: ONE_MB, detectorId: 'd1' }],
  ['a detection with an empty incident', { rule: 'bulk-download', incident: {} }],
  ['our envelope with a GuardDuty incident', { source: 's3-exfil-responder.detection', detail: { rule: 'x' } }],
  ['severity NaN', { ...EVENT, detail: { ...(EVENT.detail as object), severity: Number.NaN } }],
  ['updatedAt Infinity', { ...EVENT, detail: { ...(EVENT.detail as object), updatedAt: Number.POSITIVE_INFINITY } }],
];

describe('execution inputs, pure layers (parseExecutionInput + normalizeFinding)', () => {
  afterAll(() => expectAtLeast(distinct, PLAN.executionInput));

  it.each(HAND_PICKED)('%s: a form, a finding outcome or a named error', (_label, input) => {
    expect(classify(input)).toMatch(
      /^(event|findings|finding|finding-reference|rerun|detection|accepted|ignored|Invalid\w+)$/,
    );
  });

  it('generated inputs of every form: never an unnamed error', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        classify(input);
      }),
      runs(300),
    );
  });

  it('refused inputs (hostile identifiers, other services, samples): a named error or ignored, as expected', () => {
    fc.assert(
      fc.property(refusedInput, ({ input, expected }) => {
        const outcome = classify(input);
        expect(outcome === 'ignored' ? 'ignored' : 'InvalidExecutionInput').toBe(expected);
        expect(['ignored', 'InvalidFinding']).toContain(outcome);
      }),
      runs(150),
    );
  });

  it('normalizeFindings over {"Findings":[…]} of many hostile findings names the index of the first bad one', () => {
    fc.assert(
      fc.property(fc.array(refusedInput, { minLength: 2, maxLength: 5 }), (list) => {
        const input = { Findings: list.map(({ input: event }) => (event as { detail: unknown }).detail) };
        distinct.add(input);
        const result = outcomeSync(() => normalizeFindings(input, OPTIONS), input);
        if (result.ok) expect(result.value.every((entry) => entry.status === 'ignored')).toBe(true);
        else expect(result.message).toMatch(/^Findings\[\d+\]/);
      }),
      runs(40),
    );
  });
});
