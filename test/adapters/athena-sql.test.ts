import { describe, expect, it } from 'vitest';
import type { DataEventsQuery } from '../../handlers/shared/ports.js';
import { athenaString, buildDataEventQueries, partitionRange } from '../../handlers/shared/queries/data-events-sql.js';

const base: DataEventsQuery = {
  principalArn: 'arn:aws:iam::111111111111:user/alice',
  accessKeyId: 'AKIAEXAMPLE000000001',
  buckets: ['customer-records'],
  startTime: '2024-06-01T10:00:00.000Z',
  endTime: '2024-06-03T23:30:00.000Z',
};

const build = (query: Partial<DataEventsQuery>, names: { database?: string; table?: string } = {}) =>
  buildDataEventQueries({
    database: names.database ?? 'security',
    table: names.table ?? 'cloudtrail_logs',
    query: { ...base, ...query },
  });

const placeholders = (sql: string) => sql.split('?').length - 1;

const HOSTILE = [`'`, `"`, `;`, `--`, `\\`, '\n', '\r', '\u0000', `' OR '1'='1`, `x'; DROP TABLE t; --`];

function expectRefusedOrParameterOnly(query: Partial<DataEventsQuery>, value: string) {
  let queries: ReturnType<typeof build>;
  try {
    queries = build(query);
  } catch (error) {
    expect((error as Error).name).toBe('InvalidTaskInput');
    return;
  }
  for (const q of queries) {
    expect(q.sql).not.toContain(value);
    expect(q.parameters.some((p) => p.includes(value))).toBe(true);
  }
}

describe('buildDataEventQueries', () => {
  it('filters on the account partition when asked, as a parameter, and refuses anything but an account id', () => {
    const queries = buildDataEventQueries({
      database: 'security',
      table: 'cloudtrail_logs',
      query: base,
      accountPartition: '111111111111',
    });
    for (const q of queries) {
      expect(q.sql).toContain('WHERE account = ?');
      expect(q.parameters[0]).toBe(`'111111111111'`);
      expect(placeholders(q.sql)).toBe(q.parameters.length);
    }
    for (const hostile of ["111111111111' OR '1'='1", '11111111111', '']) {
      expect(() =>
        buildDataEventQueries({
          database: 'security',
          table: 'cloudtrail_logs',
          query: base,
          accountPartition: hostile,
        }),
      ).toThrow(expect.objectContaining({ name: 'InvalidTaskInput' }));
    }
    expect(build({}).every((q) => !q.sql.includes('account = ?'))).toBe(true);
  });

  it('builds the six queries, each with one parameter per placeholder and no finding value in the SQL', () => {
    const queries = build({ sourceIps: ['203.0.113.7'] });
    expect(queries.map((q) => q.name)).toEqual([
      'totals',
      'byBucket',
      'byEventName',
      'sourceIps',
      'userAgents',
      'crossAccountCopies',
    ]);
    for (const q of queries) {
      expect(placeholders(q.sql)).toBe(q.parameters.length);
      expect(q.sql).toContain('FROM "security"."cloudtrail_logs"');
      for (const value of ['alice', 'AKIAEXAMPLE000000001', 'customer-records', '203.0.113.7', '2024']) {
        expect(q.sql).not.toContain(value);
      }
      expect(q.parameters).toEqual([
        `'2024/06/01'`,
        `'2024/06/04'`,
        `'2024-06-01T10:00:00.000Z'`,
        `'2024-06-03T23:30:00.000Z'`,
        `'arn:aws:iam::111111111111:user/alice'`,
        `'arn:aws:iam::111111111111:user/alice'`,
        `'AKIAEXAMPLE000000001'`,
        `'203.0.113.7'`,
        `'customer-records'`,
        `'arn:aws:s3:::customer-records'`,
      ]);
    }
  });

  it('matches the principal by user ARN, session issuer, key, or anonymous + IP, and the buckets by name or resource ARN', () => {
    const [totals] = build({ sourceIps: ['203.0.113.7', '2001:db8::1'] });
    const sql = totals?.sql ?? '';
    expect(sql).toContain('useridentity.arn = ?');
    expect(sql).toContain('useridentity.sessioncontext.sessionissuer.arn = ?');
    expect(sql).toContain('useridentity.accesskeyid = ?');
    expect(sql).toContain('sourceipaddress IN (?, ?)');
    expect(sql).toContain("'ANONYMOUS_PRINCIPAL'");
    expect(sql).toContain(`json_extract_scalar(requestparameters, '$.bucketName') IN (?)`);
    expect(sql).toContain('arrays_overlap');
    expect(sql).toContain(`eventsource = 's3.amazonaws.com'`);
    expect(sql).toContain(`json_extract_scalar(additionaleventdata, '$.bytesTransferredOut')`);
  });

  it('selects nothing when no principal is named, and every bucket when none is', () => {
    const [totals] = build({ principalArn: undefined, accessKeyId: undefined, buckets: [] });
    expect(totals?.sql).toContain('FALSE');
    expect(totals?.sql).not.toContain('bucketName');
    expect(totals?.parameters).toHaveLength(4);
  });

  it('maps the window to its partition days (UTC), plus the delivery day after the end', () => {
    expect(partitionRange(new Date('2024-06-01T10:00:00Z'), new Date('2024-06-03T23:30:00Z'))).toEqual({
      first: '2024/06/01',
      last: '2024/06/04',
    });
    expect(partitionRange(new Date('2023-12-31T23:59:59Z'), new Date('2023-12-31T23:59:59Z'))).toEqual({
      first: '2023/12/31',
      last: '2024/01/01',
    });
    const [totals] = build({ startTime: '2024-02-28T22:00:00-05:00', endTime: '2024-02-29T05:00:00Z' });
    expect(totals?.sql).toContain('"timestamp" BETWEEN ? AND ?');
    expect(totals?.parameters.slice(0, 4)).toEqual([
      `'2024/02/29'`,
      `'2024/03/01'`,
      `'2024-02-29T03:00:00.000Z'`,
      `'2024-02-29T05:00:00.000Z'`,
    ]);
  });

  it.each(HOSTILE)('refuses or parameterizes a bucket name containing %j', (bad) => {
    expectRefusedOrParameterOnly({ buckets: [`bucket${bad}name`] }, `bucket${bad}name`);
  });
  it.each(HOSTILE)('refuses or parameterizes an access key id containing %j', (bad) => {
    expectRefusedOrParameterOnly({ accessKeyId: `AKIA${bad}EXAMPLE00000` }, `AKIA${bad}EXAMPLE00000`);
  });
  it.each(HOSTILE)('refuses or parameterizes a principal ARN containing %j', (bad) => {
    const arn = `arn:aws:iam::111111111111:user/al${bad}ice`;
    expectRefusedOrParameterOnly({ principalArn: arn }, arn);
  });
  it.each(HOSTILE)('refuses or parameterizes a source IP containing %j', (bad) => {
    expectRefusedOrParameterOnly({ sourceIps: [`203.0.113.7${bad}`] }, `203.0.113.7${bad}`);
  });
  it.each(HOSTILE)('refuses a timestamp containing %j', (bad) => {
    expect(() => build({ startTime: `2024-06-01T10:00:00Z${bad}` })).toThrow(
      expect.objectContaining({ name: 'InvalidTaskInput' }),
    );
  });

  it('refuses quotes, backslashes and control characters before any format check', () => {
    for (const bad of [`'`, `"`, `\\`, '\n', '\u2028']) {
      expect(() => build({ principalArn: `arn:aws:iam::111111111111:user/a${bad}` })).toThrow(
        /must not contain quotes, backslashes or control characters/,
      );
    }
  });

  it('refuses an end before the start, and values of the wrong kind', () => {
    expect(() => build({ startTime: '2024-06-02T00:00:00Z', endTime: '2024-06-01T00:00:00Z' })).toThrow(
      expect.objectContaining({ name: 'InvalidTaskInput' }),
    );
    expect(() => build({ sourceIps: ['fe80::1%eth0'] })).toThrow(expect.objectContaining({ name: 'InvalidTaskInput' }));
    expect(() => build({ buckets: ['Not_A_Bucket'] })).toThrow(expect.objectContaining({ name: 'InvalidTaskInput' }));
    expect(() => build({ principalArn: 'arn:aws:s3:::customer-records' })).toThrow(
      expect.objectContaining({ name: 'InvalidTaskInput' }),
    );
  });

  it.each([
    ['database', 'Security'],
    ['database', 'sec"urity'],
    ['database', 'sec.urity'],
    ['database', ''],
    ['table', 'cloudtrail-logs'],
    ['table', 'logs"; DROP TABLE x; --'],
    ['table', 'a'.repeat(256)],
  ])('refuses the %s name %j', (which, name) => {
    expect(() => build({}, { [which]: name })).toThrow(expect.objectContaining({ name: 'InvalidTaskInput' }));
  });

  it('accepts identifiers of lower-case letters, digits and underscores, double-quoted', () => {
    const [totals] = build({}, { database: 'db_1', table: 'a'.repeat(255) });
    expect(totals?.sql).toContain(`FROM "db_1"."${'a'.repeat(255)}"`);
  });

  it('escapes single quotes in a parameter as an Athena string literal', () => {
    expect(athenaString(`it's`)).toBe(`'it''s'`);
    expect(athenaString('plain')).toBe(`'plain'`);
  });
});
