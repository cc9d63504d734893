import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX } from '../../handlers/detect/detection.js';
import { detect, parseDetectText } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { Incident } from '../../handlers/shared/schemas/incident.js';
import { bulkAlarm, copy, dataEvent, replication } from '../support/detections.js';
import { setPath } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, deepArray, expectAtLeast, hostileString, hostileValue, ONE_MB, outcome, runs } from './support.js';

/**
 * The detectors behind `responder detect` and the detection Lambda, on CloudTrail records, alarm
 * events and NDJSON with hostile fields: detections whose incidents validate, or `InvalidFinding`
 * naming the path, never a TypeError or a RangeError.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.detect));

const CONFIG = { trustedAccounts: ['210987654321'], bulkDownloadAlarmPrefix: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX };
const BASES: Record<string, unknown>[] = [copy(), replication('444455556666'), dataEvent(), bulkAlarm()];

/** Every path to a value in a JSON object, up to a depth (array indexes as path parts). */
function paths(value: unknown, prefix = '', depth = 0): string[] {
  if (typeof value !== 'object' || value === null || depth > 5) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...paths(child, path, depth + 1)];
  });
}

const mutatedRecord = fc.nat().chain((index) => {
  const base = BASES[index % BASES.length] as Record<string, unknown>;
  const change = fc.tuple(fc.constantFrom(...paths(base)), fc.option(hostileValue, { nil: undefined }));
  return fc
    .array(change, { minLength: 1, maxLength: 3 })
    .map((changes) => changes.reduce<unknown>((record, [path, value]) => setPath(record, path, value), base));
});

async function run(input: unknown): Promise<string> {
  distinct.add(input);
  const result = await outcome(() => detect(input, { newTerms: new InMemoryNewTermsStore() }, CONFIG), input);
  if (!result.ok) {
    expect(result.error).toBe('InvalidFinding');
    return result.error;
  }
  for (const detection of result.value) expect(Incident.safeParse(detection.incident).success).toBe(true);
  return `${result.value.length} detections`;
}

describe('hostile CloudTrail input to the detectors', () => {
  it('records and alarms with hostile fields', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRecord, fc.constantFrom('bare', 'records', 'event', 'array'), async (record, wrap) => {
        const input =
          wrap === 'records'
            ? { Records: [record] }
            : wrap === 'event'
              ? { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: record }
              : wrap === 'array'
                ? [record, record]
                : record;
        await run(input);
      }),
      runs(250),
    );
  });

  it('anything at all, and NDJSON text with hostile lines', async () => {
    const line = fc.oneof(
      hostileString,
      mutatedRecord.map((record) => JSON.stringify(record)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileValue,
          fc.array(line, { minLength: 2, maxLength: 4 }).map((l) => l.join('\n')),
        ),
        async (input) => {
          await run(input);
        },
      ),
      runs(80),
    );
  });

  it.each<[string, unknown]>([
    ['arrays nested 10,000 deep', deepArray(10_000)],
    ['{"Records": 1 MB}', { Records: ONE_MB }],
    ['a record with eventTime a number', { ...copy(), eventTime: 1_700_000_000 }],
    ['a GuardDuty event', { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: {} }],
    ['an alarm with a 1 MB name', bulkAlarm({ alarmName: ONE_MB })],
    ['100,000 empty records', { Records: Array.from({ length: 100_000 }, () => ({})) }],
  ])('%s: detections or InvalidFinding', async (_label, input) => {
    expect(await run(input)).toMatch(/^(\d+ detections|InvalidFinding)$/);
  });

  it('NDJSON with a bad line names the line', () => {
    const text = `${JSON.stringify(copy())}\n{"eventName": \n${JSON.stringify(copy())}`;
    distinct.add(text);
    expect(() => parseDetectText(text)).toThrow(expect.objectContaining({ name: 'InvalidFinding', path: '(line 2)' }));
  });
});
