import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionOutput,
  GetQueryResultsCommand,
  type GetQueryResultsOutput,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { athenaDataEventsPort, clientRequestToken, MAX_START_ATTEMPTS } from '../../handlers/shared/clients/athena.js';
import type { DataEventsQuery } from '../../handlers/shared/ports.js';
import { buildDataEventQueries } from '../../handlers/shared/queries/data-events-sql.js';

const athena = mockClient(AthenaClient);
const ACCOUNT = '111111111111';
const CONFIG = { database: 'security', table: 'cloudtrail_logs', workgroup: 'ir' };

const QUERY: DataEventsQuery = {
  principalArn: 'arn:aws:iam::111111111111:user/alice',
  accessKeyId: 'AKIAEXAMPLE000000001',
  buckets: ['customer-records'],
  startTime: '2024-06-01T10:00:00.000Z',
  endTime: '2024-06-03T23:30:00.000Z',
};
const QUERIES = buildDataEventQueries({ ...CONFIG, query: QUERY });
const NAMES = QUERIES.map((q) => q.name);

type Table = { columns: string[]; rows: (string | undefined)[][] };
const RESULTS: Record<string, Table> = {
  totals: {
    columns: ['requests', 'first_event_time', 'last_event_time', 'objects_read', 'bytes_out'],
    rows: [['1300', '2024-06-02T03:01:00Z', '2024-06-02T04:12:00Z', '1200', '4.7E9']],
  },
  byBucket: {
    columns: ['bucket', 'objects', 'bytes'],
    rows: [
      ['customer-records', '1100', '4.5E9'],
      ['unknown', '100', '2.0E8'],
    ],
  },
  byEventName: {
    columns: ['event_name', 'event_count'],
    rows: [
      ['GetObject', '1250'],
      ['CopyObject', '25'],
      ['ListObjects', '25'],
    ],
  },
  sourceIps: { columns: ['source_ip', 'event_count'], rows: [['185.0.2.10', '1300']] },
  userAgents: { columns: ['user_agent', 'event_count'], rows: [['aws-cli/2.15.0', '1300']] },
  crossAccountCopies: {
    columns: ['destination_bucket', 'destination_account', 'event_count', 'objects', 'bytes'],
    rows: [['attacker-drop', '999999999999', '25', '3', '104857600']],
  },
};

const idOf = (name: string) => `qe-${name}`;
const nameOf = (id: string | undefined) => (id ?? '').replace(/^qe-/, '');

/** Results in pages of `pageSize` rows, the header row first on the first page, as Athena returns them. */
function resultsPages(table: Table, pageSize = 1): GetQueryResultsOutput[] {
  const header = { Data: table.columns.map((c) => ({ VarCharValue: c })) };
  const rows = [
    header,
    ...table.rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
  ];
  const pages: GetQueryResultsOutput[] = [];
  for (let i = 0; i < rows.length; i += pageSize) {
    pages.push({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: table.columns.map((c) => ({ Name: c, Label: c, Type: 'varchar' })) },
        Rows: rows.slice(i, i + pageSize),
      },
      NextToken: i + pageSize < rows.length ? `page-${i + pageSize}` : undefined,
    });
  }
  return pages;
}

const execution = (
  id: string | undefined,
  State: string,
  extra: Record<string, unknown> = {},
): GetQueryExecutionOutput =>
  ({
    QueryExecution: { QueryExecutionId: id, Status: { State }, Statistics: { DataScannedInBytes: 1_000 }, ...extra },
  }) as GetQueryExecutionOutput;

function mockStarts() {
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString?: string }) => {
    const q = QUERIES.find((query) => query.sql === input.QueryString);
    return { QueryExecutionId: idOf(q?.name ?? 'unknown') };
  });
}

function mockResults() {
  athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId?: string; NextToken?: string }) => {
    const table = RESULTS[nameOf(input.QueryExecutionId)];
    if (!table) throw new Error(`no results for ${input.QueryExecutionId}`);
    const pages = resultsPages(table);
    const index = input.NextToken ? pages.findIndex((_, i) => `page-${i}` === input.NextToken) : 0;
    return pages[index] ?? pages[0];
  });
}

const args = { accountId: ACCOUNT, region: 'us-east-1', query: QUERY };

describe('athenaDataEventsPort', () => {
  let sleeps: number[];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  beforeEach(() => {
    athena.reset();
    resetClientCache();
    sleeps = [];
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
    vi.stubEnv('RESPONDER_SILENT', '1');
    mockStarts();
    mockResults();
    athena.on(StopQueryExecutionCommand).resolves({});
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reads only the finding account’s partition of the stack’s own table (an organization trail)', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .callsFake((input: { QueryExecutionId?: string }) => execution(input.QueryExecutionId, 'SUCCEEDED'));
    // The result fakes are keyed by the queries without the partition: only the inputs matter here.
    await athenaDataEventsPort({ ...CONFIG, sleep, accountPartition: true })
      .summarize(args)
      .catch(() => undefined);

    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 6);
    for (const call of athena.commandCalls(StartQueryExecutionCommand)) {
      const input = call.args[0].input;
      expect(input.QueryString).toMatch(/WHERE account = \?\n/);
      expect(input.ExecutionParameters?.[0]).toBe(`'${args.accountId}'`);
    }
  });

  it('starts each query with its parameters, workgroup, database and a deterministic token', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .callsFake((input: { QueryExecutionId?: string }) => execution(input.QueryExecutionId, 'SUCCEEDED'));
    await athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 6);
    QUERIES.forEach((q, i) => {
      expect(athena).toHaveReceivedNthCommandWith(StartQueryExecutionCommand, i + 1, {
        QueryString: q.sql,
        QueryExecutionContext: { Database: 'security' },
        WorkGroup: 'ir',
        ExecutionParameters: q.parameters,
        ClientRequestToken: clientRequestToken('ir', q),
      });
    });
    const first = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(first?.ExecutionParameters).toEqual([
      `'2024/06/01'`,
      `'2024/06/04'`,
      `'2024-06-01T10:00:00.000Z'`,
      `'2024-06-03T23:30:00.000Z'`,
      `'arn:aws:iam::111111111111:user/alice'`,
      `'arn:aws:iam::111111111111:user/alice'`,
      `'AKIAEXAMPLE000000001'`,
      `'customer-records'`,
      `'arn:aws:s3:::customer-records'`,
    ]);
    const tokens = athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.ClientRequestToken);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(tokens).size).toBe(6);

    // A retry of the same incident asks for the same executions; another window gets other tokens.
    athena.resetHistory();
    await athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);
    expect(
      athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.ClientRequestToken),
    ).toEqual(tokens);
    athena.resetHistory();
    await athenaDataEventsPort({ ...CONFIG, sleep }).summarize({
      ...args,
      query: { ...QUERY, endTime: '2024-06-03T23:31:00.000Z' },
    });
    const other = athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.ClientRequestToken);
    expect(other.some((token) => tokens.includes(token))).toBe(false);
  });

  it('polls until every query succeeds, reads every page, and assembles the summary', async () => {
    const polls = new Map<string, number>();
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) => {
      const id = input.QueryExecutionId ?? '';
      const n = (polls.get(id) ?? 0) + 1;
      polls.set(id, n);
      return execution(id, n < 3 ? (n === 1 ? 'QUEUED' : 'RUNNING') : 'SUCCEEDED');
    });
    const summary = await athenaDataEventsPort({ ...CONFIG, sleep, pollIntervalMs: 500 }).summarize(args);

    expect(sleeps).toEqual([500, 500]);
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 18);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, {
      QueryExecutionId: 'qe-byBucket',
      NextToken: 'page-1',
    });
    expect(summary).toEqual({
      requests: 1300,
      objectsRead: 1200,
      bytesOut: 4_700_000_000,
      firstEventTime: '2024-06-02T03:01:00Z',
      lastEventTime: '2024-06-02T04:12:00Z',
      byBucket: [
        { bucket: 'customer-records', objects: 1100, bytes: 4_500_000_000 },
        { bucket: 'unknown', objects: 100, bytes: 200_000_000 },
      ],
      byEventName: [
        { eventName: 'GetObject', count: 1250 },
        { eventName: 'CopyObject', count: 25 },
        { eventName: 'ListObjects', count: 25 },
      ],
      sourceIps: [{ ip: '185.0.2.10', count: 1300 }],
      userAgents: [{ userAgent: 'aws-cli/2.15.0', count: 1300 }],
      crossAccountCopies: [
        {
          destinationBucket: 'attacker-drop',
          destinationAccount: '999999999999',
          count: 25,
          objects: 3,
          bytes: 104857600,
        },
      ],
    });
  });

  it('returns an empty summary for a window with no events', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .callsFake((input: { QueryExecutionId?: string }) => execution(input.QueryExecutionId, 'SUCCEEDED'));
    athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId?: string }) => {
      const table = RESULTS[nameOf(input.QueryExecutionId)] as Table;
      const empty: Table =
        nameOf(input.QueryExecutionId) === 'totals'
          ? { columns: table.columns, rows: [['0', undefined, undefined, '0', '0.0']] }
          : { columns: table.columns, rows: [] };
      return resultsPages(empty, 10)[0] as GetQueryResultsOutput;
    });
    const summary = await athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);
    expect(summary).toEqual({
      requests: 0,
      objectsRead: 0,
      bytesOut: 0,
      firstEventTime: undefined,
      lastEventTime: undefined,
      byBucket: [],
      byEventName: [],
      sourceIps: [],
      userAgents: [],
      crossAccountCopies: [],
    });
  });

  it('runs nothing when the query names no principal', async () => {
    const summary = await athenaDataEventsPort({ ...CONFIG, sleep }).summarize({
      ...args,
      query: { ...QUERY, principalArn: undefined, accessKeyId: undefined },
    });
    expect(summary.requests).toBe(0);
    expect(athena).not.toHaveReceivedCommand(StartQueryExecutionCommand);
  });

  it('throws AwsServiceError with the reason when a query FAILED, and stops the others', async () => {
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) =>
      input.QueryExecutionId === 'qe-byBucket'
        ? execution(input.QueryExecutionId, 'FAILED', {
            Status: {
              State: 'FAILED',
              StateChangeReason: 'TABLE_NOT_FOUND',
              AthenaError: { ErrorMessage: "line 2:6: Table 'security.cloudtrail_logs' does not exist" },
            },
          })
        : execution(input.QueryExecutionId, 'RUNNING'),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);
    await expect(run).rejects.toMatchObject({
      name: 'AwsServiceError',
      message: expect.stringMatching(/byBucket.*FAILED.*does not exist/),
    });
    const stopped = athena.commandCalls(StopQueryExecutionCommand).map((call) => call.args[0].input.QueryExecutionId);
    expect(stopped.sort()).toEqual(
      NAMES.filter((n) => n !== 'byBucket')
        .map(idOf)
        .sort(),
    );
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('treats CANCELLED as a failure too', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .callsFake((input: { QueryExecutionId?: string }) =>
        execution(input.QueryExecutionId, input.QueryExecutionId === 'qe-totals' ? 'CANCELLED' : 'SUCCEEDED'),
      );
    await expect(athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args)).rejects.toMatchObject({
      name: 'AwsServiceError',
      message: expect.stringContaining('CANCELLED'),
    });
  });

  it('stops the queries still running and throws AwsTimeout past the time budget', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .callsFake((input: { QueryExecutionId?: string }) =>
        execution(input.QueryExecutionId, input.QueryExecutionId === 'qe-totals' ? 'SUCCEEDED' : 'RUNNING'),
      );
    const run = athenaDataEventsPort({ ...CONFIG, sleep, pollIntervalMs: 1_000, timeoutMs: 5_000 }).summarize(args);
    await expect(run).rejects.toMatchObject({ name: 'AwsTimeout', message: expect.stringContaining('5000 ms') });
    expect(sleeps).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    const stopped = athena.commandCalls(StopQueryExecutionCommand).map((call) => call.args[0].input.QueryExecutionId);
    expect(stopped.sort()).toEqual(
      NAMES.filter((n) => n !== 'totals')
        .map(idOf)
        .sort(),
    );
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('refuses the results of a query that scanned more than maxBytesScanned', async () => {
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) =>
      input.QueryExecutionId === 'qe-sourceIps'
        ? execution(input.QueryExecutionId, 'SUCCEEDED', {
            Status: { State: 'SUCCEEDED' },
            Statistics: { DataScannedInBytes: 20_000_000_001 },
          })
        : execution(input.QueryExecutionId, 'SUCCEEDED'),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep, maxBytesScanned: 20_000_000_000 }).summarize(args);
    await expect(run).rejects.toMatchObject({
      name: 'DataScanLimitExceeded',
      limit: 20_000_000_000,
      scanned: 20_000_000_001,
      message: expect.stringMatching(/sourceIps.*scanned 20000000001 bytes.*20000000000-byte limit.*refused/),
    });
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('stops a query that passes maxBytesScanned while still running', async () => {
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) =>
      execution(input.QueryExecutionId, 'RUNNING', {
        Status: { State: 'RUNNING' },
        Statistics: { DataScannedInBytes: input.QueryExecutionId === 'qe-totals' ? 2_000 : 10 },
      }),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep, maxBytesScanned: 1_000 }).summarize(args);
    await expect(run).rejects.toMatchObject({
      name: 'DataScanLimitExceeded',
      message: expect.stringContaining('maxBytesScanned'),
    });
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: 'qe-totals' });
  });

  it('maps an AWS error from StartQueryExecution to a named error', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args)).rejects.toMatchObject({
      name: 'AwsAccessDenied',
      message: expect.stringContaining('athena:StartQueryExecution'),
    });
  });

  it('refuses invalid input before calling Athena', async () => {
    await expect(
      athenaDataEventsPort({ ...CONFIG, sleep }).summarize({ ...args, query: { ...QUERY, buckets: ["x'; --"] } }),
    ).rejects.toMatchObject({ name: 'InvalidTaskInput' });
    await expect(athenaDataEventsPort({ ...CONFIG, table: 'logs;drop', sleep }).summarize(args)).rejects.toMatchObject({
      name: 'InvalidTaskInput',
    });
    expect(athena).not.toHaveReceivedCommand(StartQueryExecutionCommand);
  });
});

describe('athenaDataEventsPort on a retry, at the scan cutoff and on Athena errors', () => {
  const sleep = async () => {};
  const GIB_200 = 200 * 1024 ** 3;
  const token = (q: (typeof QUERIES)[number], attempt: number) => clientRequestToken('ir', q, attempt);
  const startInput = (q: (typeof QUERIES)[number], attempt: number) => ({
    QueryString: q.sql,
    QueryExecutionContext: { Database: 'security' },
    WorkGroup: 'ir',
    ExecutionParameters: q.parameters,
    ClientRequestToken: token(q, attempt),
  });
  const query = (name: string) => QUERIES.find((q) => q.name === name) as (typeof QUERIES)[number];
  const startedTokens = () =>
    athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input.ClientRequestToken);
  const stoppedIds = () =>
    athena
      .commandCalls(StopQueryExecutionCommand)
      .map((call) => call.args[0].input.QueryExecutionId)
      .sort();

  /**
   * Athena as it answers tokens: each token always gives the same execution, `qe-<query>-<attempt>`,
   * whatever its state; `state` says what GetQueryExecution reports for it (n: the n-th poll).
   */
  function mockAthena(state: (name: string, attempt: number, n: number) => GetQueryExecutionOutput) {
    const byToken = new Map(
      QUERIES.flatMap((q) => [0, 1, 2, 3].map((attempt) => [token(q, attempt), `qe-${q.name}-${attempt}`] as const)),
    );
    athena.on(StartQueryExecutionCommand).callsFake((input: { ClientRequestToken?: string }) => ({
      QueryExecutionId: byToken.get(input.ClientRequestToken ?? ''),
    }));
    const polls = new Map<string, number>();
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId?: string }) => {
      const id = input.QueryExecutionId ?? '';
      const [, name = '', attempt = '0'] = /^qe-(\w+)-(\d)$/.exec(id) ?? [];
      const n = (polls.get(id) ?? 0) + 1;
      polls.set(id, n);
      return state(name, Number(attempt), n);
    });
    athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId?: string }) => {
      const table = RESULTS[(input.QueryExecutionId ?? '').replace(/^qe-|-\d$/g, '')] as Table;
      return resultsPages(table, 10)[0] as GetQueryResultsOutput;
    });
  }
  const status = (id: string, Status: Record<string, unknown>, scanned = 1_000) =>
    ({
      QueryExecution: { QueryExecutionId: id, Status, Statistics: { DataScannedInBytes: scanned } },
    }) as GetQueryExecutionOutput;

  beforeEach(() => {
    athena.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
    vi.stubEnv('RESPONDER_SILENT', '1');
    athena.on(StopQueryExecutionCommand).resolves({});
  });
  afterEach(() => vi.unstubAllEnvs());

  it('after a timeout, resumes what succeeded and starts what was cancelled again under the next token', async () => {
    // The first invocation timed out: totals had finished, the others were stopped by us.
    mockAthena((name, attempt) =>
      attempt === 0 && name !== 'totals'
        ? status(`qe-${name}-0`, { State: 'CANCELLED', StateChangeReason: 'Query was cancelled by user' })
        : status(`qe-${name}-${attempt}`, { State: 'SUCCEEDED' }),
    );
    const summary = await athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    const expected = QUERIES.flatMap((q) =>
      q.name === 'totals' ? [startInput(q, 0)] : [startInput(q, 0), startInput(q, 1)],
    );
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, expected.length);
    expected.forEach((input, i) => {
      expect(athena.commandCalls(StartQueryExecutionCommand)[i]?.args[0].input).toEqual(input);
    });
    const tokens = startedTokens();
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, { QueryExecutionId: 'qe-totals-0' });
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, { QueryExecutionId: 'qe-byBucket-1' });
    expect(athena).not.toHaveReceivedCommandWith(GetQueryResultsCommand, { QueryExecutionId: 'qe-byBucket-0' });
    expect(athena).not.toHaveReceivedCommand(StopQueryExecutionCommand);
    expect(summary.requests).toBe(1300);
    expect(summary.crossAccountCopies).toHaveLength(1);
  });

  it('keeps a query that is still running from the earlier invocation: one start, no second scan', async () => {
    mockAthena((name, attempt, n) => status(`qe-${name}-${attempt}`, { State: n < 2 ? 'RUNNING' : 'SUCCEEDED' }));
    await athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    expect(startedTokens()).toEqual(QUERIES.map((q) => token(q, 0)));
  });

  it(`starts a query at most ${MAX_START_ATTEMPTS} times, then reports the last execution`, async () => {
    mockAthena((name, attempt) =>
      status(
        `qe-${name}-${attempt}`,
        name === 'byBucket'
          ? { State: 'CANCELLED', StateChangeReason: 'Query was cancelled by user' }
          : { State: 'SUCCEEDED' },
      ),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    await expect(run).rejects.toMatchObject({
      name: 'AwsServiceError',
      message: 'athena query byBucket (qe-byBucket-2) CANCELLED: Query was cancelled by user',
    });
    const byBucket = query('byBucket');
    expect(startedTokens().filter((t) => [0, 1, 2, 3].some((a) => t === token(byBucket, a)))).toEqual([
      token(byBucket, 0),
      token(byBucket, 1),
      token(byBucket, 2),
    ]);
  });

  it('names the workgroup cutoff when Athena cancels a query at BytesScannedCutoffPerQuery, and stops the others', async () => {
    mockAthena((name, attempt, n) =>
      name === 'sourceIps' && n >= 2
        ? status(
            `qe-${name}-${attempt}`,
            { State: 'CANCELLED', StateChangeReason: 'Bytes scanned limit was exceeded' },
            GIB_200 + 4096,
          )
        : status(`qe-${name}-${attempt}`, { State: 'RUNNING' }),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep, maxBytesScanned: GIB_200 }).summarize(args);

    await expect(run).rejects.toMatchObject({
      name: 'DataScanLimitExceeded',
      limit: GIB_200,
      scanned: GIB_200 + 4096,
      message: `athena query sourceIps (qe-sourceIps-0) was cancelled by the per-query scan cutoff of workgroup ir (BytesScannedCutoffPerQuery) after scanning ${GIB_200 + 4096} bytes; the responder's limit is ${GIB_200} bytes (athena.maxBytesScanned): Bytes scanned limit was exceeded`,
    });
    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, startInput(query('sourceIps'), 0));
    expect(startedTokens()).toEqual(QUERIES.map((q) => token(q, 0)));
    expect(stoppedIds()).toEqual(
      NAMES.filter((name) => name !== 'sourceIps')
        .map((name) => `qe-${name}-0`)
        .sort(),
    );
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('never starts again a query the cutoff cancelled: the same scan would be cut again', async () => {
    mockAthena((name, attempt) =>
      name === 'totals'
        ? status(
            `qe-${name}-${attempt}`,
            { State: 'CANCELLED', StateChangeReason: 'Bytes scanned limit was exceeded' },
            GIB_200,
          )
        : status(`qe-${name}-${attempt}`, { State: 'SUCCEEDED' }),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    await expect(run).rejects.toMatchObject({
      name: 'DataScanLimitExceeded',
      limit: undefined,
      message: expect.stringMatching(
        /^athena query totals \(qe-totals-0\) was cancelled by the per-query scan cutoff of workgroup ir/,
      ),
    });
    expect(startedTokens().filter((t) => t === token(query('totals'), 1))).toEqual([]);
  });

  it('maps TooManyRequestsException to AwsThrottling with its reason, and leaves started queries for the retry', async () => {
    mockAthena((name, attempt) => status(`qe-${name}-${attempt}`, { State: 'RUNNING' }));
    athena.on(StartQueryExecutionCommand, startInput(query('byEventName'), 0)).rejects(
      new TooManyRequestsException({
        message: 'Too many queries',
        Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
        $metadata: {},
      }),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    await expect(run).rejects.toMatchObject({
      name: 'AwsThrottling',
      message:
        'athena:StartQueryExecution failed: TooManyRequestsException (CONCURRENT_QUERY_LIMIT_EXCEEDED): Too many queries',
    });
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 3);
    expect(athena).not.toHaveReceivedCommand(StopQueryExecutionCommand);
  });

  it('maps InvalidRequestException to a final AwsServiceError naming the AthenaErrorCode, and stops what it started', async () => {
    mockAthena((name, attempt) => status(`qe-${name}-${attempt}`, { State: 'RUNNING' }));
    athena.on(StartQueryExecutionCommand, startInput(query('byEventName'), 0)).rejects(
      new InvalidRequestException({
        message: 'Idempotent parameters do not match',
        AthenaErrorCode: 'INVALID_INPUT',
        $metadata: {},
      }),
    );
    const run = athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args);

    await expect(run).rejects.toMatchObject({
      name: 'AwsServiceError',
      message:
        'athena:StartQueryExecution failed: InvalidRequestException (INVALID_INPUT): Idempotent parameters do not match',
    });
    expect(athena).toHaveReceivedCommandTimes(StopQueryExecutionCommand, 2);
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: 'qe-totals-0' });
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: 'qe-byBucket-0' });
  });

  it('maps an unknown workgroup (InvalidRequestException) to AwsResourceNotFound', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new InvalidRequestException({ message: 'WorkGroup ir is not found.', $metadata: {} }));
    await expect(athenaDataEventsPort({ ...CONFIG, sleep }).summarize(args)).rejects.toMatchObject({
      name: 'AwsResourceNotFound',
      message: 'athena:StartQueryExecution failed: InvalidRequestException: WorkGroup ir is not found.',
    });
    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 1);
  });
});
