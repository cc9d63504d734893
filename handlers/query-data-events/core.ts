import { task } from '../shared/define-task.js';
import type { DataEventsPort, DataEventsSummary } from '../shared/ports.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

const LOOKBACK_HOURS = 72;

/**
 * The slow branch: S3 data events for the principal (objects, bytes, time window, source IPs,
 * copies to other accounts) over [firstSeen − 72 h, lastSeen + 1 h]. It never blocks the approval.
 */
export const queryDataEvents = task({
  name: 'queryDataEvents',
  input: IncidentTaskInput,
  async run({ incident }, ports: { dataEvents: DataEventsPort }): Promise<{ status: 'ok' } & DataEventsSummary> {
    const { principal } = incident;
    const summary = await ports.dataEvents.summarize({
      accountId: incident.accountId,
      region: incident.region,
      query: {
        principalArn: principal.type === 'AssumedRole' ? principal.sessionIssuer : principal.arn,
        accessKeyId: principal.accessKeyId,
        sourceIps: principal.type === 'Anonymous' ? incident.sourceIps : undefined,
        buckets: incident.buckets,
        startTime: new Date(Date.parse(incident.firstSeen) - LOOKBACK_HOURS * 3600_000).toISOString(),
        endTime: new Date(Date.parse(incident.lastSeen) + 3600_000).toISOString(),
      },
    });
    return { status: 'ok', ...summary };
  },
});
