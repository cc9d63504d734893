import { task } from '../shared/define-task.js';
import { IncidentNotFound } from '../shared/errors.js';
import type { ChatPort, Clock, EvidencePort } from '../shared/ports.js';
import type { ActionResult, Decision, Plan } from '../shared/schemas/plan.js';
import type { IncidentStatus, IncidentStore } from '../shared/store/types.js';
import { renderReport } from './render.js';
import { buildReport } from './report.js';
import { WriteReportInput } from './schema.js';
import { incidentStatus } from './status.js';

export interface ReportOutput {
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly error?: string;
  readonly plan: Plan['items'];
  readonly applied: ActionResult[];
  readonly report: { markdownKey: string; jsonKey: string };
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
    ports: { store: IncidentStore; evidence: EvidencePort; chat: ChatPort; clock: Clock },
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
    const status: IncidentStatus = input.failure || !decision ? 'failed' : incidentStatus(decision, applied);

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
    const base = `incidents/${incidentId}/report`;
    await ports.evidence.putObject({
      key: `${base}.md`,
      body: renderReport(report),
      contentType: 'text/markdown; charset=utf-8',
    });
    await ports.evidence.putObject({
      key: `${base}.json`,
      body: JSON.stringify(report, null, 2),
      contentType: 'application/json',
    });
    const keys = { markdownKey: `${base}.md`, jsonKey: `${base}.json` };
    await ports.store.updateIncident(incidentId, {
      status,
      decision,
      report: keys,
      closedAt: now,
      updatedAt: now,
      ...(input.failure ? { error: { error: input.failure.Error, cause: input.failure.Cause ?? '' } } : {}),
    });
    if (record.slack) {
      const done = report.containment.filter((item) => item.done).length;
      await ports.chat.post({
        channel: record.slack.channel,
        threadTs: record.slack.ts,
        message: {
          text: `Incident ${incidentId} closed: ${status}. ${done} of ${report.containment.length} containment items in place. Report: ${keys.markdownKey}`,
        },
      });
    }
    return { incidentId, status, error: input.failure?.Error, plan: plan?.items ?? [], applied, report: keys };
  },
});
