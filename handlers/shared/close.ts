import { describeError } from './errors.js';
import { type Closure, isOpen, lastSignalAt, type Resolution } from './lifecycle.js';
import { log } from './log.js';
import type { ChatPort, Clock, TaskCallbackPort } from './ports.js';
import { blocksWhenClosed, closedThreadText, resolutionLabel, withdrawnApprovalMessage } from './render/closure.js';
import { mrkdwn } from './render/escape.js';
import type { IncidentRecord, IncidentStore } from './store/types.js';
import {
  APPROVAL_WITHDRAWN,
  type ApprovalOnClose,
  approvalOnCloseText,
  withdrawnCause,
  withdrawPendingApproval,
} from './withdraw.js';

export { approvalOnCloseText };

/** A closing note is kept to this many characters. */
export const MAX_CLOSE_NOTE = 500;

export interface ClosePorts {
  readonly store: IncidentStore;
  readonly chat: ChatPort;
  readonly clock: Clock;
  /**
   * Adds the closing part to the stored report (`close-sweep.ts`). Without it, or when it fails,
   * the report is rewritten later by the close function's sweep (`closureReportPending`).
   */
  readonly reports?: ReportRewriter;
  /**
   * Ends an execution waiting on a withdrawn approval (`withdraw.ts`). Without it the request is
   * still withdrawn and the execution ends at its next heartbeat.
   */
  readonly callbacks?: TaskCallbackPort;
}

/** Adds the closing part to an incident's stored report (its three files). */
export interface ReportRewriter {
  rewrite(keys: NonNullable<IncidentRecord['report']>, closure: Closure): Promise<void>;
}

export interface CloseRequest {
  readonly incidentId: string;
  /** A Slack user id, `cli:<name>`, or `auto`. */
  readonly by: string;
  readonly resolution: Resolution | 'auto';
  readonly note?: string;
  /**
   * Closes only while the incident's last signal is still this one (`lastSignalAt`, or null for an
   * incident that never had one after it opened): an automatic close judged on a record that a
   * signal reached since is refused (StoreConflict) instead of closing that signal away.
   */
  readonly unlessSignalSince?: string | null;
}

export type CloseResult =
  /**
   * Closed now; `problems` names what could not be updated (thread, summary, report), best effort;
   * `approval` says what became of the approval request (withdrawn, or already approved).
   */
  | {
      readonly state: 'closed';
      readonly closure: Closure;
      readonly problems: readonly string[];
      readonly approval: ApprovalOnClose;
      /** The report was rewritten with its closing part here (else it stays marked pending). */
      readonly reportRewritten: boolean;
    }
  /** Closed before: nothing changed. */
  | { readonly state: 'already-closed'; readonly closure: Closure };

/** The one-line answer to a second close. */
export function alreadyClosedText(incidentId: string, closure: Closure): string {
  return `Incident ${incidentId} is already closed (${resolutionLabel(closure.resolution)}, by ${closure.by} at ${closure.at}); nothing changed.`;
}

/**
 * Closes an incident once (DESIGN §4): the store records `closure` with a conditional update (a
 * second close, from any of Slack, the CLI or the sweep, changes nothing and answers
 * 'already-closed'), its status stays the last containment status. A pending approval request is
 * withdrawn (`withdraw.ts`: approving it afterwards contains nothing; a click that approved first
 * lets containment run to the end, and the closing says so). Then, best effort, each told
 * once: a timeline event, one message in the Slack thread, the summary message rewritten without
 * its Close button, and the report's three files rewritten with a "Closed" section (by the close
 * function's next sweep when the caller cannot write the evidence bucket).
 *
 * Its `CORRELATION#` keys are released by the closing itself: a key whose holder is closed is free,
 * so the next signal for the same principal and bucket takes it over and opens a new incident that
 * names this one (`previousIncidentId`). Throws IncidentNotFound.
 */
export async function closeIncident(request: CloseRequest, ports: ClosePorts): Promise<CloseResult> {
  const note = request.note?.trim().slice(0, MAX_CLOSE_NOTE);
  const closure: Closure = {
    at: ports.clock.now().toISOString(),
    by: request.by,
    resolution: request.resolution,
    ...(note ? { note } : {}),
  };
  // The report is always marked pending with the closing itself: a rewrite here that fails, or a
  // function that stops between the two writes, is caught up by the next sweep (the closing part
  // replaces itself, so a report rewritten twice shows it once).
  const closed = await ports.store.closeIncident({
    incidentId: request.incidentId,
    closure,
    reportPending: true,
    ...(request.unlessSignalSince !== undefined ? { lastSignalAt: request.unlessSignalSince } : {}),
  });
  if (closed.outcome === 'already-closed') return { state: 'already-closed', closure: closed.record.closure };
  const { record } = closed;
  await ports.store.addEvent(record.incidentId, {
    at: closure.at,
    kind: 'closed',
    text: `Closed by ${closure.by}: ${resolutionLabel(closure.resolution)}${closure.note ? ` (${closure.note})` : ''}; status stays ${record.status}`,
    data: { ...closure },
  });
  const problems: string[] = [];
  const approval = await withdrawPendingApproval(record, closure, ports.store);
  /** Runs one best-effort update; false (and a problem named) when it failed. */
  const attempt = async (what: string, work: () => Promise<void>): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (error) {
      const { error: name } = describeError(error);
      log.warn('close: could not update', { incidentId: record.incidentId, what, error: name });
      problems.push(`${what}: ${name}`);
      return false;
    }
  };
  if (approval.state === 'withdrawn') {
    // Without a Step Functions port, or when the task no longer waits on its token (its heartbeat
    // ran out: a TaskTokenStale problem), the request is still withdrawn and the execution ends at
    // the re-ping, which finds the incident closed.
    const { callbacks } = ports;
    const { taskToken } = approval;
    if (callbacks) {
      await attempt('execution', () =>
        callbacks.sendTaskFailure({ taskToken, error: APPROVAL_WITHDRAWN, cause: withdrawnCause(closure) }),
      );
    }
    const message = record.slack;
    if (message) {
      const title = `${record.incident.findingType} · incident ${record.incidentId}`;
      await attempt('approval message', () =>
        ports.chat.update({
          ref: message,
          message: withdrawnApprovalMessage({ title, incidentId: record.incidentId, closure }),
        }),
      );
    }
  }
  if (record.slack) {
    const thread = record.slack;
    await attempt('thread', async () => {
      await ports.chat.post({
        channel: thread.channel,
        threadTs: thread.ts,
        message: {
          text: [closedThreadText(record.incidentId, closure), mrkdwn(approvalOnCloseText(approval))]
            .filter(Boolean)
            .join('\n'),
        },
      });
    });
  }
  const summary = record.summaryMessage;
  if (summary) {
    await attempt('summary', () =>
      ports.chat.update({
        ref: summary.ref,
        message: { text: summary.text, blocks: blocksWhenClosed(summary.blocks, record.incidentId, closure) },
      }),
    );
  }
  const { reports } = ports;
  const keys = record.report;
  const reportRewritten =
    keys !== undefined && reports !== undefined && (await attempt('report', () => reports.rewrite(keys, closure)));
  return { state: 'closed', closure, problems, approval, reportRewritten };
}

/**
 * Statuses in which a person's decision is pending or containment is running: such an incident is
 * never closed automatically (its approval could still be granted and applied to a closed
 * incident). A person can still close it.
 */
const CONTAINMENT_RUNNING: ReadonlySet<IncidentRecord['status']> = new Set(['awaiting_approval', 'containing']);

/**
 * Whether an unclosed incident has gone `autoCloseAfterMinutes` without a signal (failed runs,
 * and runs waiting for a decision or containing, never close this way).
 */
export function isStale(record: IncidentRecord, now: Date, autoCloseAfterMinutes: number): boolean {
  return (
    !record.closure &&
    record.status !== 'failed' &&
    !CONTAINMENT_RUNNING.has(record.status) &&
    !isOpen(record, now, autoCloseAfterMinutes)
  );
}

/**
 * Records the automatic closing of an incident past `autoCloseAfterMinutes` without a signal
 * (`resolution: auto`, by `auto`), dated when it became due. Nothing when it is not stale.
 */
export async function closeIfStale(
  record: IncidentRecord,
  autoCloseAfterMinutes: number,
  ports: ClosePorts,
): Promise<CloseResult | undefined> {
  const now = ports.clock.now();
  if (!isStale(record, now, autoCloseAfterMinutes)) return undefined;
  const due = Date.parse(lastSignalAt(record)) + autoCloseAfterMinutes * 60_000;
  return closeIncident(
    {
      incidentId: record.incidentId,
      by: 'auto',
      resolution: 'auto',
      note: `no new signal for ${autoCloseAfterMinutes} minutes (since ${lastSignalAt(record)}; due ${new Date(due).toISOString()})`,
      unlessSignalSince: record.lastSignalAt ?? null,
    },
    ports,
  );
}
