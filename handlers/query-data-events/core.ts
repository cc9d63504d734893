import { task } from '../shared/define-task.js';
import { RETRYABLE_ERRORS } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { ChatPort, Clock, DataEventsPort, DataEventsSummary } from '../shared/ports.js';
import { shareDataEvidence } from '../shared/render/evidence-message.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';
import type { DataEvidence, IncidentStore } from '../shared/store/types.js';

const LOOKBACK_HOURS = 72;
const RETRYABLE: ReadonlySet<string> = new Set(RETRYABLE_ERRORS);

/**
 * The slow branch: S3 data events for the principal (objects, bytes, time window, source IPs,
 * copies to other accounts) over [firstSeen − 72 h, lastSeen + 1 h]. It never blocks the approval.
 * The answer (or why there is none) is kept on the incident and followed up in the approval thread;
 * a failure to share it is logged and never loses the evidence itself, which is the task output.
 */
export const queryDataEvents = task({
  name: 'queryDataEvents',
  input: IncidentTaskInput,
  async run(
    { incidentId, incident },
    ports: { dataEvents: DataEventsPort; store: IncidentStore; chat: ChatPort; clock: Clock },
  ): Promise<{ status: 'ok' } & DataEventsSummary> {
    const { principal } = incident;
    let summary: DataEventsSummary;
    try {
      summary = await ports.dataEvents.summarize({
        accountId: incident.accountId,
        region: incident.region,
        query: {
          partition: incident.partition,
          principalArn: principal.type === 'AssumedRole' ? principal.sessionIssuer : principal.arn,
          accessKeyId: principal.accessKeyId,
          sourceIps: principal.type === 'Anonymous' ? incident.sourceIps : undefined,
          buckets: incident.buckets,
          startTime: new Date(Date.parse(incident.firstSeen) - LOOKBACK_HOURS * 3600_000).toISOString(),
          endTime: new Date(Date.parse(incident.lastSeen) + 3600_000).toISOString(),
        },
      });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      // A retryable error is retried by the state machine: only a final answer is shared.
      if (!RETRYABLE.has(e.name)) {
        await share(incidentId, { status: 'unavailable', reason: e.message, error: e.name }, ports);
      }
      throw error;
    }
    await share(incidentId, { status: 'ok', ...summary }, ports);
    return { status: 'ok', ...summary };
  },
});

async function share(
  incidentId: string,
  evidence: Omit<DataEvidence, 'at'> & Partial<DataEvidence>,
  ports: { store: IncidentStore; chat: ChatPort; clock: Clock },
): Promise<void> {
  try {
    const dataEvidence = { ...evidence, at: ports.clock.now().toISOString() } as DataEvidence;
    const record = await ports.store.updateIncident(incidentId, { dataEvidence });
    await shareDataEvidence(ports.chat, record);
  } catch (error) {
    log.warn('data-event evidence not shared', { incidentId, error: (error as Error).name });
  }
}
