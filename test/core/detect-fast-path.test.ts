import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anonymousRareSource } from '../../handlers/detect/anonymous-rare-source.js';
import { crossAccountCopy } from '../../handlers/detect/cross-account-copy.js';
import { type Item, mayFire } from '../../handlers/detect/dispatch.js';
import { externalKmsCopy } from '../../handlers/detect/external-kms-copy.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import {
  CloudTrailRecord,
  CloudTrailUserIdentity,
  isCloudTrailRecord,
} from '../../handlers/shared/schemas/cloudtrail.js';
import { setPath } from '../corpus/inputs.js';
import { runs } from '../corpus/support.js';
import { ATTACKER, anonymous, copy, dataEvent, etl, replication } from '../support/detections.js';

/**
 * The two shortcuts that make `detect` read at the speed of parsing: a shape check that accepts a
 * record exactly when the schema does (without the schema's copy), and a pre-filter on
 * `eventSource`/`eventName` that never drops a record a rule fires on.
 */

const BASES: Record<string, unknown>[] = [
  copy(),
  copy({ kmsKeyId: `arn:aws:kms:us-east-1:${ATTACKER}:key/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f` }),
  replication(ATTACKER),
  dataEvent(),
  dataEvent({ identity: etl, eventName: 'ListObjects' }),
];

/** Every path to a value in a JSON object (array indexes as path parts), and each field the schema names. */
function paths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...paths(child, path)];
  });
}
const SCHEMA_PATHS = [
  ...Object.keys(CloudTrailRecord.shape),
  ...Object.keys(CloudTrailUserIdentity.shape).map((key) => `userIdentity.${key}`),
  ...['type', 'principalId', 'arn', 'accountId', 'userName'].map(
    (key) => `userIdentity.sessionContext.sessionIssuer.${key}`,
  ),
  ...['creationDate', 'mfaAuthenticated'].map((key) => `userIdentity.sessionContext.attributes.${key}`),
  'resources.0.type',
  'resources.0.ARN',
  'resources.0.accountId',
  'resources.1',
];

const jsonValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{}]),
  fc.constant({ __proto__: null, type: 1 }),
  fc.json().map((text) => JSON.parse(text) as unknown),
);

const mutated = fc.nat().chain((index) => {
  const base = BASES[index % BASES.length] as Record<string, unknown>;
  const change = fc.tuple(fc.constantFrom(...new Set([...paths(base), ...SCHEMA_PATHS])), jsonValue);
  return fc
    .array(change, { minLength: 0, maxLength: 3 })
    .map((changes) => changes.reduce<unknown>((record, [path, value]) => setPath(record, path, value), base));
});

describe('the record shape check', () => {
  it('accepts a record exactly when the schema does, as parsed from JSON and as given', () => {
    fc.assert(
      fc.property(mutated, (record) => {
        const fromJson = JSON.parse(JSON.stringify(record) ?? 'null') as unknown;

        expect(isCloudTrailRecord(fromJson)).toBe(CloudTrailRecord.safeParse(fromJson).success);
        if (isCloudTrailRecord(record)) expect(CloudTrailRecord.safeParse(record).success).toBe(true);
      }),
      runs(600),
    );
  });

  it('refuses what is not an object', () => {
    for (const value of [null, 'x', 1, [], [copy()], true]) {
      expect(isCloudTrailRecord(value)).toBe(false);
      expect(CloudTrailRecord.safeParse(value).success).toBe(false);
    }
  });
});

describe('the detect pre-filter', () => {
  const eventNames = fc.constantFrom(
    'CopyObject',
    'UploadPartCopy',
    'PutBucketReplication',
    'PutBucketReplicationConfiguration',
    'PutObject',
    'CreateMultipartUpload',
    'GetObject',
    'ListObjects',
    'ListObjectsV2',
    'ListBucket',
    'DeleteObject',
    'HeadObject',
    'GetBucketPolicy',
    'AssumeRole',
    'copyobject',
  );
  const sources = fc.constantFrom('s3.amazonaws.com', 'sts.amazonaws.com', 'S3.amazonaws.com', 'kms.amazonaws.com');
  const identities = fc.constantFrom(anonymous, etl);

  it('passes every record some rule fires on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), eventNames, sources, identities, async (index, eventName, eventSource, identity) => {
        const base = [
          copy(),
          replication(ATTACKER),
          dataEvent({ identity, eventName, ip: `203.0.113.${index % 250}` }),
        ];
        const record = { ...(base[index % base.length] as CloudTrailRecord), eventName, eventSource };
        const item: Item = { path: '', record };
        const config = { trustedAccounts: [] };

        const fired = [
          crossAccountCopy(record, config),
          externalKmsCopy(record, config),
          await anonymousRareSource(record, new InMemoryNewTermsStore()),
        ].filter(Boolean);

        if (fired.length > 0) expect(mayFire(item)).toBe(true);
        if (!mayFire(item)) expect(fired).toEqual([]);
      }),
      runs(400),
    );
  });
});
