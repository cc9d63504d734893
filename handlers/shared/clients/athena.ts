import { createHash } from 'node:crypto';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  AwsResourceNotFound,
  AwsServiceError,
  AwsThrottling,
  AwsTimeout,
  DataScanLimitExceeded,
  mapAwsError,
  RETRYABLE_ERRORS,
} from '../errors.js';
import type { AccountScope, DataEventsPort, DataEventsSummary } from '../ports.js';
import {
  buildDataEventQueries,
  type DataEventsQueryName,
  type DataEventsSql,
  selectsNothing,
} from '../queries/data-events-sql.js';
import { clientFor } from './accounts.js';

export interface AthenaDataEventsConfig {
  readonly database: string;
  readonly table: string;
  readonly workgroup: string;
  /**
   * Refuse a query's results when it scanned more than this many bytes. Set it to the workgroup's
   * `BytesScannedCutoffPerQuery` (the stack passes both from `athena.maxBytesScanned`): Athena
   * cancels at the cutoff, this check covers a workgroup without one.
   */
  readonly maxBytesScanned?: number;
  readonly pollIntervalMs?: number;
  /** The time budget for all the queries together, from the first StartQueryExecution. */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The table has an `account` partition (the stack's own table): read only the finding's account. */
  readonly accountPartition?: boolean;
  /** Where the table is, when not in the finding's account and Region (an organization trail). */
  readonly accountId?: string;
  readonly region?: string;
}

const DEFAULT_POLL_MS = 2_000;
/** Executions started per query and invocation before a cancelled or failed one is reported. */
export const MAX_START_ATTEMPTS = 3;
const RETRYABLE: ReadonlySet<string> = new Set(RETRYABLE_ERRORS);
/** How Athena words a query cancelled by the workgroup's `BytesScannedCutoffPerQuery`. */
const SCAN_CUTOFF = /bytes scanned limit|BytesScannedCutoffPerQuery/i;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Row = Record<string, string | undefined>;

const athenaIn = (scope: AccountScope) => clientFor('athena', (config) => new AthenaClient(config), scope);

/**
 * The idempotency token of one query: a SHA-256 over everything the query depends on (workgroup,
 * SQL with database and table, and the parameters, which carry the principal, buckets and incident
 * window) and the attempt. Athena answers a repeated token with the execution it already created,
 * whatever its state, so a retried Lambda gets the same QueryExecutionId instead of a second scan;
 * an execution that was cancelled (our own timeout) or failed is started again under the next
 * attempt's token. 64 hex characters, inside StartQueryExecution's 32-128.
 */
export function clientRequestToken(workgroup: string, query: DataEventsSql, attempt = 0): string {
  return createHash('sha256')
    .update(JSON.stringify([workgroup, query.name, query.sql, query.parameters, attempt]))
    .digest('hex');
}

/**
 * Runs one Athena call and rethrows its failure as a named error. `TooManyRequestsException`
 * (throttled, or over the concurrent-query quota: its `Reason`) is AwsThrottling, retried by the
 * state machine; `InvalidRequestException` (bad input, unknown or disabled workgroup, a reused token
 * with other parameters) is never retried: AwsResourceNotFound when it names something missing,
 * else AwsServiceError with Athena's `AthenaErrorCode`. Anything else: `mapAwsError`.
 */
export async function callAthena<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw athenaError(call, error);
  }
}

function athenaError(call: string, error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    Reason?: unknown;
    AthenaErrorCode?: unknown;
  };
  const text = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'TooManyRequestsException') {
    const why = typeof e.Reason === 'string' ? ` (${e.Reason})` : '';
    return new AwsThrottling(`${call} failed: TooManyRequestsException${why}${text ? `: ${text}` : ''}`);
  }
  if (e.name === 'InvalidRequestException') {
    const code = typeof e.AthenaErrorCode === 'string' ? ` (${e.AthenaErrorCode})` : '';
    const message = `${call} failed: InvalidRequestException${code}${text ? `: ${text}` : ''}`;
    return /not found|does not exist/i.test(text) ? new AwsResourceNotFound(message) : new AwsServiceError(message);
  }
  return mapAwsError(call, error);
}

const emptySummary = (): DataEventsSummary => ({
  requests: 0,
  objectsRead: 0,
  bytesOut: 0,
  byBucket: [],
  byEventName: [],
  sourceIps: [],
  userAgents: [],
  crossAccountCopies: [],
});

function number(value: string | undefined): number {
  const parsed = value === undefined || value === '' ? 0 : Number(value);
  return Number.isFinite(parsed) ? parsed : 0;
}

const text = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** The same order as the in-memory summary: count descending, then the key by localeCompare. */
function byCount<T>(rows: T[], count: (row: T) => number, key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => count(b) - count(a) || key(a).localeCompare(key(b)));
}

/** Assembles the summary from the rows of the six queries, shaped like `summarizeDataEvents`. */
export function assembleSummary(results: Record<DataEventsQueryName, Row[]>): DataEventsSummary {
  const totals = results.totals[0] ?? {};
  return {
    requests: number(totals.requests),
    objectsRead: number(totals.objects_read),
    bytesOut: number(totals.bytes_out),
    firstEventTime: text(totals.first_event_time),
    lastEventTime: text(totals.last_event_time),
    byBucket: results.byBucket
      .map((row) => ({ bucket: row.bucket ?? 'unknown', objects: number(row.objects), bytes: number(row.bytes) }))
      .sort((a, b) => b.objects - a.objects),
    byEventName: byCount(
      results.byEventName.map((row) => ({ eventName: row.event_name ?? '', count: number(row.event_count) })),
      (row) => row.count,
      (row) => row.eventName,
    ),
    sourceIps: byCount(
      results.sourceIps.map((row) => ({ ip: row.source_ip ?? '', count: number(row.event_count) })),
      (row) => row.count,
      (row) => row.ip,
    ),
    userAgents: byCount(
      results.userAgents.map((row) => ({ userAgent: row.user_agent ?? '', count: number(row.event_count) })),
      (row) => row.count,
      (row) => row.userAgent,
    ),
    crossAccountCopies: results.crossAccountCopies.map((row) => ({
      destinationBucket: row.destination_bucket ?? '',
      destinationAccount: text(row.destination_account),
      count: number(row.event_count),
      objects: number(row.objects),
      bytes: number(row.bytes),
    })),
  };
}

/**
 * The data-events port against Athena over the CloudTrail table: the six queries of
 * `buildDataEventQueries` run together in the workgroup, with execution parameters and a
 * deterministic ClientRequestToken each (a retry resumes what is still running or succeeded, and
 * starts again what was cancelled or failed: see `start`). Polling is bounded by `timeoutMs` (past
 * it, the queries still running are stopped and AwsTimeout is thrown); a FAILED or CANCELLED query
 * stops the others and throws AwsServiceError with Athena's reason; a query cut off by the
 * workgroup's scan cutoff, or that scanned more than `maxBytesScanned`, stops the others and throws
 * DataScanLimitExceeded naming the limit. Results are read page by page.
 */
export function athenaDataEventsPort(config: AthenaDataEventsConfig): DataEventsPort {
  const pollIntervalMs = config.pollIntervalMs ?? DEFAULT_POLL_MS;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = config.sleep ?? realSleep;
  return {
    summarize: async ({ query, ...findingScope }) => {
      const queries = buildDataEventQueries({
        database: config.database,
        table: config.table,
        query,
        accountPartition: config.accountPartition ? findingScope.accountId : undefined,
      });
      if (selectsNothing(query)) return emptySummary();
      const scope: AccountScope = {
        accountId: config.accountId ?? findingScope.accountId,
        region: config.region ?? findingScope.region,
      };
      const athena = athenaIn(scope);

      const ids = new Map<DataEventsQueryName, string>();
      // The state each query was in when started: the first round of polling needs no call.
      const latest = new Map<DataEventsQueryName, QueryExecution | undefined>();
      const pending = new Set<DataEventsQueryName>();
      // Best effort: a query that cannot be stopped is left to the workgroup's own limits.
      const stopPending = async () => {
        await Promise.all(
          [...pending].map(async (name) => {
            try {
              await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: ids.get(name) }));
            } catch {
              // Already finished, or no permission: nothing more to do.
            }
          }),
        );
      };

      try {
        for (const q of queries) {
          const { id, execution } = await start(athena, config, q);
          ids.set(q.name, id);
          latest.set(q.name, execution);
          pending.add(q.name);
        }
      } catch (error) {
        // A retry reuses the queries already started (same tokens); a final failure stops them.
        if (!(error instanceof Error && RETRYABLE.has(error.name))) await stopPending();
        throw error;
      }

      const began = Date.now();
      let waited = 0;
      while (pending.size > 0) {
        for (const name of [...pending]) {
          const id = ids.get(name);
          const execution = latest.has(name)
            ? latest.get(name)
            : (
                await callAthena('athena:GetQueryExecution', () =>
                  athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
                )
              ).QueryExecution;
          latest.delete(name);
          const state = execution?.Status?.State;
          if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') pending.delete(name);
          const overLimit = scanLimitExceeded(name, id, execution, config);
          if (overLimit) {
            await stopPending();
            throw overLimit;
          }
          if (state === 'FAILED' || state === 'CANCELLED') {
            await stopPending();
            throw new AwsServiceError(`athena query ${name} (${id}) ${state}: ${reason(execution)}`);
          }
        }
        if (pending.size === 0) break;
        if (Math.max(Date.now() - began, waited) + pollIntervalMs > timeoutMs) {
          await stopPending();
          throw new AwsTimeout(
            `athena queries ${[...pending].join(', ')} did not finish within ${timeoutMs} ms; they were stopped`,
          );
        }
        await sleep(pollIntervalMs);
        waited += pollIntervalMs;
      }

      const results = {} as Record<DataEventsQueryName, Row[]>;
      for (const q of queries) results[q.name] = await readRows(athena, ids.get(q.name) ?? '');
      return assembleSummary(results);
    },
  };
}

/**
 * Starts one query, or finds it already started by an earlier invocation (same token). An
 * execution that ended CANCELLED (our own timeout stopped it) or FAILED cannot give results, so the
 * query is started again under the next attempt's token, at most MAX_START_ATTEMPTS times; the last
 * execution is returned whatever its state, for the caller to report. One cancelled by the scan
 * cutoff is never started again: it would scan the same data up to the same cutoff.
 */
async function start(
  athena: AthenaClient,
  config: AthenaDataEventsConfig,
  q: DataEventsSql,
): Promise<{ id: string; execution: QueryExecution | undefined }> {
  for (let attempt = 0; ; attempt++) {
    const started = await callAthena('athena:StartQueryExecution', () =>
      athena.send(
        new StartQueryExecutionCommand({
          QueryString: q.sql,
          QueryExecutionContext: { Database: config.database },
          WorkGroup: config.workgroup,
          ExecutionParameters: q.parameters,
          ClientRequestToken: clientRequestToken(config.workgroup, q, attempt),
        }),
      ),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AwsServiceError(`athena:StartQueryExecution returned no id (${q.name})`);
    const { QueryExecution: execution } = await callAthena('athena:GetQueryExecution', () =>
      athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
    );
    const state = execution?.Status?.State;
    const ended = state === 'CANCELLED' || state === 'FAILED';
    if (!ended || attempt + 1 >= MAX_START_ATTEMPTS || cutByWorkgroup(execution)) return { id, execution };
  }
}

function cutByWorkgroup(execution: QueryExecution | undefined): boolean {
  const status = execution?.Status;
  if (status?.State !== 'CANCELLED' && status?.State !== 'FAILED') return false;
  return SCAN_CUTOFF.test(`${status.StateChangeReason ?? ''} ${status.AthenaError?.ErrorMessage ?? ''}`);
}

/** DataScanLimitExceeded when the workgroup cut the query off, or it scanned more than `maxBytesScanned`. */
function scanLimitExceeded(
  name: DataEventsQueryName,
  id: string | undefined,
  execution: QueryExecution | undefined,
  config: AthenaDataEventsConfig,
): DataScanLimitExceeded | undefined {
  const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
  const limit = config.maxBytesScanned;
  if (cutByWorkgroup(execution)) {
    const ours = limit === undefined ? '' : `; the responder's limit is ${limit} bytes (athena.maxBytesScanned)`;
    return new DataScanLimitExceeded(
      `athena query ${name} (${id}) was cancelled by the per-query scan cutoff of workgroup ${config.workgroup} (BytesScannedCutoffPerQuery) after scanning ${scanned} bytes${ours}: ${reason(execution)}`,
      limit,
      scanned,
    );
  }
  if (limit !== undefined && scanned > limit) {
    return new DataScanLimitExceeded(
      `athena query ${name} (${id}) scanned ${scanned} bytes, over the ${limit}-byte limit (maxBytesScanned); its results were refused`,
      limit,
      scanned,
    );
  }
  return undefined;
}

function reason(execution: QueryExecution | undefined): string {
  const status = execution?.Status;
  return status?.AthenaError?.ErrorMessage ?? status?.StateChangeReason ?? 'no reason given';
}

/** Every row of a finished query, keyed by column label; the header row Athena puts first is skipped. */
async function readRows(athena: AthenaClient, id: string): Promise<Row[]> {
  const rows: Row[] = [];
  let nextToken: string | undefined;
  let first = true;
  do {
    const token = nextToken;
    const page = await callAthena('athena:GetQueryResults', () =>
      athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token })),
    );
    const columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map(
      (column) => column.Label ?? column.Name ?? '',
    );
    let data = page.ResultSet?.Rows ?? [];
    if (first) {
      const header = data[0]?.Data?.map((cell) => cell.VarCharValue ?? '');
      if (header && header.length === columns.length && header.every((value, i) => value === columns[i])) {
        data = data.slice(1);
      }
      first = false;
    }
    for (const row of data) {
      const entry: Row = {};
      columns.forEach((column, i) => {
        entry[column] = row.Data?.[i]?.VarCharValue;
      });
      rows.push(entry);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return rows;
}
