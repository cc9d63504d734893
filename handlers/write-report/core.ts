import { task } from '../shared/define-task.js';
import { describeError, IncidentNotFound } from '../shared/errors.js';
import type { Closure } from '../shared/lifecycle.js';
import { log } from '../shared/log.js';
import { ownerSlackUserId } from '../shared/owner.js';
import type { ChatPort, Clock, EvidencePort, RandomSource } from '../shared/ports.js';
import { blocksWhenClosed, closeButtonBlock } from '../shared/render/closure.js';
import { htmlWithClosure, jsonWithClosure, markdownWithClosure } from '../shared/render/closure-report.js';
import { undoButton } from '../shared/render/slack-views.js';
import { summaryMessage } from '../shared/render/summary-message.js';
import type { ActionResult, Decision, Plan } from '../shared/schemas/plan.js';
import type { IncidentStatus, IncidentStore } from '../shared/store/types.js';
import { createUndoRequest } from '../shared/undo-request.js';

/** How long the Undo button in the closing message works: a week. */
const UNDO_WINDOW_MS = 7 * 24 * 3600_000;

import { incidentMetrics } from '../shared/metrics.js';
import { renderHtmlReport } from '../shared/render/html-report.js';
import { renderReport } from '../shared/render/markdown-report.js';
import { buildReport } from '../shared/render/report.js';
import { WriteReportInput } from './schema.js';
import { incidentStatus, isContainment } from './status.js';

/** Characters of a failure's cause the incident record keeps (Step Functions allows 32,768; the report has it whole). */
export const MAX_RECORDED_CAUSE = 4096;

/** A failed run's error as the incident record keeps it: its cause cut to `MAX_RECORDED_CAUSE`, ending with an ellipsis. */
export function recordedError(failure: { Error: string; Cause?: string }): { error: string; cause: string } {
  const cause = failure.Cause ?? '';
  return {
    error: failure.Error.slice(0, 256),
    cause: cause.length > MAX_RECORDED_CAUSE ? `${cause.slice(0, MAX_RECORDED_CAUSE - 1)}…` : cause,
  };
}

export interface ReportOutput {
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly error?: string;
  readonly plan: Plan['items'];
  readonly applied: ActionResult[];
  readonly report: { markdownKey: string; jsonKey: string; htmlKey: string };
}

/**
 * Closes the incident: computes its status from what was approved and what each action did,
 * writes the report (Markdown and JSON) to the evidence bucket, records the status, and posts the
 * summary in the Slack thread. Also the landing point of a failed flow, which it reports honestly.
 */
export const writeReport = task({
  name: 'writeReport',
  input: WriteReportInput,
  async run(
    input,
    ports: { store: IncidentStore; evidence: EvidencePort; chat: ChatPort; clock: Clock; random: RandomSource },
  ): Promise<ReportOutput> {
    const { incidentId, incident } = input;
    const now = ports.clock.now().toISOString();
    const record = await ports.store.getIncident(incidentId);
    if (!record) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    const response = input.response?.decision;
    const decision: Decision | undefined = response?.decision
      ? {
          ...response.decision,
          decidedBy: record.decision?.decidedBy ?? response.decision.decidedBy,
          reason: response.decision.reason ?? record.decision?.reason,
        }
      : record.decision;
    const applied = response?.applied ?? [];
    const plan = response?.plan ?? record.plan;
    // What earlier rounds contained and this round's plan found still in place: a request of this
    // round refused leaves it in force, and the status with it (records from before
    // `lastContainmentStatus` claim no more than partial containment). When the plan also found an
    // earlier round's item gone (`lapsed`: removed by hand since), less than that is in force.
    const lapsed = response?.plan.items.filter((item) => item.lapsed !== undefined) ?? [];
    const held = response?.plan.inPlace?.length
      ? lapsed.length > 0
        ? 'partially_contained'
        : (record.lastContainmentStatus ?? 'partially_contained')
      : undefined;
    const status: IncidentStatus =
      input.failure || !decision ? 'failed' : incidentStatus(decision, applied, held, lapsed);

    if (decision?.via === 'timeout-policy') {
      await ports.store.addEvent(incidentId, {
        at: now,
        kind: decision.outcome === 'approved' ? 'auto-contained' : 'expired',
        text:
          decision.outcome === 'approved'
            ? `No decision before the deadline: contained by the timeout policy (severity ${incident.severity})`
            : 'No decision before the deadline: denied by the timeout policy',
      });
    }
    const events = await ports.store.listEvents(incidentId);
    const report = buildReport({
      incidentId,
      incident,
      status,
      now,
      events,
      enrichment: response?.enrichment ?? {},
      evidence: input.response?.evidence ?? {},
      plan,
      decision,
      applied,
      failure: input.failure,
    });
    incidentMetrics.reported(status, applied, report.metrics);
    const base = `incidents/${incidentId}/report`;
    const markdown = renderReport(report);
    const json = JSON.stringify(report, null, 2);
    const htmlBody = renderHtmlReport(report);
    /** The report's three files, with the closing part when the incident is closed. */
    const putReport = async (closure: Closure | undefined) => {
      await ports.evidence.putObject({
        key: `${base}.md`,
        body: closure ? markdownWithClosure(markdown, closure) : markdown,
        contentType: 'text/markdown; charset=utf-8',
      });
      await ports.evidence.putObject({
        key: `${base}.json`,
        body: closure ? jsonWithClosure(json, closure) : json,
        contentType: 'application/json',
      });
      return ports.evidence.putObject({
        key: `${base}.html`,
        body: closure ? htmlWithClosure(htmlBody, closure) : htmlBody,
        contentType: 'text/html; charset=utf-8',
      });
    };
    // An incident closed before this report (a re-run, a delta, a close while containing) keeps
    // its closing part: the report is written whole here, so it must carry it again.
    let html = await putReport(record.closure);
    const keys = { markdownKey: `${base}.md`, jsonKey: `${base}.json`, htmlKey: `${base}.html` };
    const written = await ports.store.updateIncident(incidentId, {
      status,
      ...(isContainment(status) ? { lastContainmentStatus: status } : {}),
      decision,
      report: keys,
      reportedAt: now,
      updatedAt: now,
      ...(input.failure ? { error: recordedError(input.failure) } : {}),
    });
    // Closed since the read above: the close rewrote the report it found (or found none), and the
    // files just written lack the closing part. They are written again with it; its flag may
    // already be cleared, so nothing else would. A close after this update finds these files.
    const { closure } = written;
    if (closure && !record.closure) html = await putReport(closure);
    if (record.slack) {
      // Undo is offered when something was changed: an approval-gated rollback request, its nonce on the button.
      const changed = applied.some((entry) => entry.result === 'applied');
      const undo = changed
        ? undoButton(
            await createUndoRequest(
              ports.store,
              {
                incidentId,
                approvers: input.settings.approvers,
                requiredVotes: input.settings.twoPersonRule ? 2 : 1,
                expiresAt: new Date(Date.parse(now) + UNDO_WINDOW_MS).toISOString(),
                subjectUserId: ownerSlackUserId(response?.enrichment ?? {}),
              },
              { clock: ports.clock, random: ports.random },
            ),
          )
        : undefined;
      const summary = summaryMessage({ report, reportKey: keys.markdownKey, htmlReport: html, undo });
      const blocks = closure
        ? blocksWhenClosed(summary.blocks ?? [], incidentId, closure)
        : [...(summary.blocks ?? []), closeButtonBlock(incidentId)];
      const ref = await ports.chat.post({
        channel: record.slack.channel,
        threadTs: record.slack.ts,
        message: { ...summary, blocks },
      });
      // Closing rewrites this message without its Close button (shared/close.ts); a close that
      // read the incident before this message was recorded did not see it, so it is rewritten here.
      const posted = await ports.store.updateIncident(incidentId, {
        summaryMessage: { ref, blocks, text: summary.text },
      });
      if (posted.closure && !closure) {
        const closedBlocks = blocksWhenClosed(blocks, incidentId, posted.closure);
        try {
          await ports.chat.update({ ref, message: { ...summary, blocks: closedBlocks } });
        } catch (error) {
          // Best effort, as closing itself does: the report and the thread's closing line say it.
          log.warn('write-report: summary not rewritten as closed', { incidentId, error: describeError(error).error });
        }
      }
    }
    return { incidentId, status, error: input.failure?.Error, plan: plan?.items ?? [], applied, report: keys };
  },
});
