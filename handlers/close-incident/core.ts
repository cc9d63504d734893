import { alreadyClosedText, approvalOnCloseText, type ClosePorts, closeIncident } from '../shared/close.js';
import { sweepStale } from '../shared/close-sweep.js';
import { parseInput } from '../shared/define-task.js';
import { describeError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { LifecycleStore, SweepStore } from '../shared/store/types.js';
import { CloseCommand, isCloseCommand } from './schema.js';

export type CloseAnswer =
  | { readonly closed: string[] }
  /** Stream records whose closing part could not be written (Lambda retries from the first). */
  | { readonly batchItemFailures: { itemIdentifier: string }[] }
  | {
      readonly incidentId: string;
      readonly state: 'closed' | 'already-closed';
      readonly message: string;
      readonly problems?: readonly string[];
    };

/**
 * The close function: `responder close` (one incident, a person's resolution) or the hourly
 * schedule (every incident past `autoCloseAfterMinutes` without a signal closes as `auto`). Both
 * go through the shared closing core, so a close is recorded once whichever comes first.
 */
export async function runClose(
  input: unknown,
  config: { autoCloseAfterMinutes: number },
  ports: ClosePorts & { store: SweepStore },
): Promise<CloseAnswer> {
  if (isStreamEvent(input)) return writePendingClosingParts(input, ports);
  if (!isCloseCommand(input)) return { closed: await sweepStale(config.autoCloseAfterMinutes, ports) };
  const command = parseInput('closeIncident', CloseCommand, input);
  const result = await closeIncident(command, ports);
  if (result.state === 'already-closed') {
    return {
      incidentId: command.incidentId,
      state: 'already-closed',
      message: alreadyClosedText(command.incidentId, result.closure),
    };
  }
  // The report was rewritten here: the stream record of this closing finds nothing pending. A
  // report written since the close read the incident (by a run that read it before the closure)
  // has no closing part yet: it stays pending for the stream or the sweep.
  if (result.reportRewritten) await ports.store.clearReportPending(command.incidentId);
  return {
    incidentId: command.incidentId,
    state: 'closed',
    message: [
      `Incident ${command.incidentId} closed: ${command.resolution.replace('_', ' ')}.`,
      approvalOnCloseText(result.approval),
    ]
      .filter(Boolean)
      .join(' '),
    ...(result.problems.length > 0 ? { problems: result.problems } : {}),
  };
}

/** One record of a DynamoDB stream as Lambda delivers it (only the fields read here). */
export interface IncidentStreamRecord {
  readonly eventID?: string;
  readonly eventSource?: string;
  readonly dynamodb?: {
    readonly Keys?: Record<string, { S?: string }>;
    readonly SequenceNumber?: string;
  };
}

/** A batch of the incident table's stream (`DynamoDBStreamEvent`). */
export interface IncidentStreamEvent {
  readonly Records: readonly IncidentStreamRecord[];
}

/** Whether the function was invoked by the incident table's stream (event source mapping). */
export function isStreamEvent(input: unknown): input is IncidentStreamEvent {
  const records = (input as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) &&
    records.every((record) => (record as IncidentStreamRecord | null)?.eventSource === 'aws:dynamodb')
  );
}

/**
 * Writes the closing part of each streamed incident's report (DESIGN §7): the records the event
 * filter lets through are incident records written with `closureReportPending`. The record is
 * read again, consistently, and only a closed incident whose flag is still there and whose report
 * exists is rewritten; the flag is then removed with a conditional update. A redelivered record
 * (a retry, a bisected batch) finds the flag gone and writes nothing. An incident whose report is
 * not written yet keeps its flag: the report will be written with its closing part, and the sweep
 * catches up. The first record that fails is reported by its sequence number, and processing
 * stops there, so Lambda retries from it in order.
 */
export async function writePendingClosingParts(
  event: IncidentStreamEvent,
  ports: ClosePorts & { store: LifecycleStore },
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  for (const record of event.Records) {
    const pk = record.dynamodb?.Keys?.pk?.S ?? '';
    if (!pk.startsWith('INCIDENT#')) continue;
    const incidentId = pk.slice('INCIDENT#'.length);
    try {
      const current = await ports.store.getIncident(incidentId);
      if (!current?.closure || !current.closureReportPending || !current.report || !ports.reports) continue;
      await ports.reports.rewrite(current.report, current.closure);
      await ports.store.clearReportPending(incidentId);
    } catch (error) {
      log.warn('stream: closing part left for a retry', { incidentId, error: describeError(error).error });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
