import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataEventsQuery } from '../../handlers/shared/ports.js';
import { athenaString, buildDataEventQueries } from '../../handlers/shared/queries/data-events-sql.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, hostileString, INJECTIONS, outcomeSync, runs, UNICODE } from './support.js';

/**
 * The Athena SQL builder, property-tested: whatever the bucket names, key ids, ARNs, IPs and times
 * (the finding's values), the SQL text is exactly the text built for benign values of the same
 * shape. Values reach Athena only as `?` parameters (each a well-formed string literal) or are
 * refused with InvalidTaskInput.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.athenaSql));

const BENIGN = {
  principalArn: 'arn:aws:iam::111111111111:user/alice',
  accessKeyId: 'AKIAEXAMPLE000000001',
  sourceIp: '203.0.113.7',
  bucket: 'customer-records',
  startTime: '2024-06-01T10:00:00.000Z',
  endTime: '2024-06-03T23:30:00.000Z',
};

/** A valid value, the valid value with a hostile part spliced in, or any hostile string. */
const around = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 8, arbitrary: valid },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.oneof(hostileString, fc.constantFrom(...INJECTIONS, ...UNICODE)), fc.nat())
        .map(([value, bad, at]) => {
          const index = at % (value.length + 1);
          return `${value.slice(0, index)}${bad}${value.slice(index)}`;
        }),
    },
    { weight: 1, arbitrary: hostileString },
  );

const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
const arb = {
  principalArn: around(
    fc.oneof(
      name.map((user) => `arn:aws:iam::111111111111:user/${user}`),
      fc.tuple(name, name).map(([role, session]) => `arn:aws:sts::111111111111:assumed-role/${role}/${session}`),
    ),
  ),
  accessKeyId: around(fc.stringMatching(/^(AKIA|ASIA)[A-Z0-9]{16}$/)),
  sourceIp: around(fc.oneof(fc.ipV4(), fc.ipV6())),
  bucket: around(name),
  time: around(
    fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  ),
};

const queryArb: fc.Arbitrary<DataEventsQuery> = fc.record(
  {
    principalArn: arb.principalArn,
    accessKeyId: arb.accessKeyId,
    sourceIps: fc.array(arb.sourceIp, { maxLength: 3 }),
    buckets: fc.array(arb.bucket, { maxLength: 3 }),
    startTime: fc.oneof(fc.constant(BENIGN.startTime), arb.time),
    endTime: fc.oneof(fc.constant(BENIGN.endTime), arb.time),
  },
  { requiredKeys: ['buckets', 'startTime', 'endTime'] },
);

/** The same shape (which fields, how many IPs and buckets) with benign values; an empty value is no value. */
function benignTwin(query: DataEventsQuery): DataEventsQuery {
  return {
    principalArn: query.principalArn ? BENIGN.principalArn : undefined,
    accessKeyId: query.accessKeyId ? BENIGN.accessKeyId : undefined,
    sourceIps: query.sourceIps?.map(() => BENIGN.sourceIp),
    buckets: query.buckets.map(() => BENIGN.bucket),
    startTime: BENIGN.startTime,
    endTime: BENIGN.endTime,
  };
}

const build = (query: DataEventsQuery, database = 'security', table = 'cloudtrail_logs') =>
  buildDataEventQueries({ database, table, query });

const LITERAL = /^'(?:[^']|'')*'$/s;

describe('the Athena SQL builder under hostile values', () => {
  it('the SQL text never depends on a value: values are parameters or refused with InvalidTaskInput', () => {
    let built = 0;
    let refused = 0;
    fc.assert(
      fc.property(queryArb, (query) => {
        distinct.add(query);
        const result = outcomeSync(() => build(query), query);
        if (!result.ok) {
          refused += 1;
          expect(result.error).toBe('InvalidTaskInput');
          return;
        }
        built += 1;
        const twin = build(benignTwin(query));
        expect(result.value.map((q) => q.sql)).toEqual(twin.map((q) => q.sql));
        const values = [
          ...(query.principalArn ? [query.principalArn] : []),
          ...(query.accessKeyId ? [query.accessKeyId] : []),
          ...(query.sourceIps ?? []),
          ...query.buckets,
        ];
        for (const q of result.value) {
          expect(q.sql.split('?').length - 1).toBe(q.parameters.length);
          for (const parameter of q.parameters) expect(parameter).toMatch(LITERAL);
          for (const value of values) expect(q.parameters).toContain(athenaString(value));
        }
      }),
      runs(300),
    );
    // Both branches ran: refused values, and values that went through as parameters.
    expect(built).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('database and table names: a quoted identifier of [a-z0-9_] or InvalidTaskInput', () => {
    fc.assert(
      fc.property(
        fc.oneof(hostileString, fc.stringMatching(/^[a-z0-9_]{1,40}$/)),
        fc.oneof(hostileString, fc.stringMatching(/^[a-z0-9_]{1,40}$/)),
        (database, table) => {
          distinct.add([database, table]);
          const query = benignTwin({ ...BENIGN, sourceIps: [], buckets: ['x'] });
          const result = outcomeSync(() => build(query, database, table), [database, table]);
          if (!result.ok) expect(result.error).toBe('InvalidTaskInput');
          else for (const q of result.value) expect(q.sql).toContain(`FROM "${database}"."${table}"`);
          if (result.ok) expect(`${database}${table}`).toMatch(/^[a-z0-9_]+$/);
        },
      ),
      runs(60),
    );
  });
});
