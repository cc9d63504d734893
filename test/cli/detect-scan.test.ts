import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generalEntries, scanPiece } from '../../cli/detect-scan.js';
import { setPath } from '../corpus/inputs.js';
import { runs } from '../corpus/support.js';
import { ATTACKER, anonymous, copy, dataEvent, etl, replication } from '../support/detections.js';

/**
 * `detect` scans a CloudTrail log file (`{"Records":[…]}`) without making an item of each record
 * that no rule can fire on. What it gives must be what the general path gives for any input: each
 * item of `itemsOf` in order, where a run of well-formed records `mayFire` refuses is a count.
 */

const BASES: Record<string, unknown>[] = [
  copy(),
  copy({ kmsKeyId: `arn:aws:kms:us-east-1:${ATTACKER}:key/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f` }),
  replication(ATTACKER),
  dataEvent(),
  dataEvent({ identity: anonymous }),
  dataEvent({ identity: etl, eventName: 'ListObjects' }),
];

const FIELDS = [
  'eventSource',
  'eventName',
  'eventTime',
  'errorCode',
  'userIdentity',
  'userIdentity.type',
  'userIdentity.principalId',
  'userIdentity.accountId',
  'requestParameters',
  'resources',
  'readOnly',
];

const fieldValue = fc.oneof(
  fc.constantFrom('s3.amazonaws.com', 'GetObject', 'CopyObject', 'AWSAccount', 'anonymous', 'AccessDenied'),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
);

/** A real-shaped record, maybe with a field changed (to a value of another type, or removed), or not a record at all. */
const recordValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BASES) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...BASES), fc.constantFrom(...FIELDS), fieldValue)
      .map(([base, path, value]) => setPath(base, path, value)),
  },
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.constant([]), fc.constant({})) },
);

describe('scanning a CloudTrail log file', () => {
  it('gives the entries of the general path for any records, parsed from JSON', () => {
    fc.assert(
      fc.property(fc.array(recordValue, { maxLength: 12 }), (records) => {
        const value = JSON.parse(JSON.stringify({ Records: records })) as unknown;

        const scan = scanPiece({ value });

        expect(scan).toEqual({ line: undefined, entries: generalEntries(value) });
      }),
      runs(400),
    );
  });

  it('keeps the line of a line-by-line file and leaves Records that is not an array to the general path', () => {
    const value = { Records: { eventName: 'GetObject' } };

    const scan = scanPiece({ value, line: 3 });

    expect(scan).toEqual({ line: 3, entries: generalEntries(value) });
    expect(generalEntries(value)).toHaveLength(1);
  });
});
