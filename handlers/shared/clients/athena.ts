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
  buildDataEventQueries,
  type DataEventsQueryName,
  type DataEventsSql,
  selectsNothing,
} from '../../query-data-events/sql.js';
import { AwsServiceError, AwsTimeout } from '../errors.js';
import type { AccountScope, DataEventsPort, DataEventsSummary } from '../ports.js';
import { callAws, clientFor } from './accounts.js';

export interface AthenaDataEventsConfig {
  readonly database: string;
  readonly table: string;
  readonly workgroup: string;
  /** Refuse a query's results when it scanned more than this many bytes. */
  readonly maxBytesScanned?: number;
  readonly pollIntervalMs?: number;
  /** The time budget for all the queries together, from the first StartQueryExecution. */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where the table is, when not in the finding's account and Region (an organization trail). */
  readonly accountId?: string;
  readonly region?: string;
}

const DEFAULT_POLL_MS = 2_000;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Row = Record<string, string | undefined>;

const athenaIn = (scope: AccountScope) => clientFor('athena', (config) => new AthenaClient(config), scope);

/**
 * The idempotency token of one query: a SHA-256 over everything the query depends on (workgroup,
 * SQL with database and table, and the parameters, which carry the principal, buckets and incident
 * window). A retried Lambda therefore gets the same QueryExecutionId instead of a second scan.
 * 64 hex characters, inside StartQueryExecution's 32–128.
 */
export function clientRequestToken(workgroup: string, query: DataEventsSql): string {
  return createHash('sha256')
    .update(JSON.stringify([workgroup, query.name, query.sql, query.parameters]))
    .digest('hex');
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
    })),
  };
}

/**
 * The data-events port against Athena over the CloudTrail table: the six queries of
 * `buildDataEventQueries` run together in the workgroup, with execution parameters and a
 * deterministic ClientRequestToken each. Polling is bounded by `timeoutMs` (past it, the queries
 * still running are stopped and AwsTimeout is thrown); a FAILED or CANCELLED query stops the others
 * and throws AwsServiceError with Athena's reason; a query that scanned more than `maxBytesScanned`
 * has its results refused (AwsServiceError). Results are read page by page.
 */
export function athenaDataEventsPort(config: AthenaDataEventsConfig): DataEventsPort {
  const pollIntervalMs = config.pollIntervalMs ?? DEFAULT_POLL_MS;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = config.sleep ?? realSleep;
  return {
    summarize: async ({ query, ...findingScope }) => {
      const queries = buildDataEventQueries({ database: config.database, table: config.table, query });
      if (selectsNothing(query)) return emptySummary();
      const scope: AccountScope = {
        accountId: config.accountId ?? findingScope.accountId,
        region: config.region ?? findingScope.region,
      };
      const athena = athenaIn(scope);

      const ids = new Map<DataEventsQueryName, string>();
      for (const q of queries) {
        const started = await callAws('athena:StartQueryExecution', () =>
          athena.send(
            new StartQueryExecutionCommand({
              QueryString: q.sql,
              QueryExecutionContext: { Database: config.database },
              WorkGroup: config.workgroup,
              ExecutionParameters: q.parameters,
              ClientRequestToken: clientRequestToken(config.workgroup, q),
            }),
          ),
        );
        if (!started.QueryExecutionId)
          throw new AwsServiceError(`athena:StartQueryExecution returned no id (${q.name})`);
        ids.set(q.name, started.QueryExecutionId);
      }

      const pending = new Set(ids.keys());
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
      const began = Date.now();
      let waited = 0;
      while (pending.size > 0) {
        for (const name of [...pending]) {
          const id = ids.get(name);
          const { QueryExecution: execution } = await callAws('athena:GetQueryExecution', () =>
            athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
          );
          const state = execution?.Status?.State;
          const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
          const finished = state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
          if (finished) pending.delete(name);
          if (config.maxBytesScanned !== undefined && scanned > config.maxBytesScanned) {
            await stopPending();
            throw new AwsServiceError(
              `athena query ${name} (${id}) scanned ${scanned} bytes, over the ${config.maxBytesScanned}-byte limit (maxBytesScanned); its results were refused`,
            );
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
    const page = await callAws('athena:GetQueryResults', () =>
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
