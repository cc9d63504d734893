import { type ClosePorts, closeIfStale, type ReportRewriter } from './close.js';
import { describeError } from './errors.js';
import { log } from './log.js';
import type { EvidencePort } from './ports.js';
import { htmlWithClosure, jsonWithClosure, markdownWithClosure } from './render/closure-report.js';
import type { SweepStore } from './store/types.js';

/**
 * The report rewriter on the evidence bucket: each of the report's files is read, given its closing
 * part and written back. A file that is not there is left out.
 */
export function evidenceReportRewriter(evidence: EvidencePort): ReportRewriter {
  return {
    async rewrite(keys, closure) {
      const files = [
        { key: keys.markdownKey, contentType: 'text/markdown; charset=utf-8', patch: markdownWithClosure },
        { key: keys.jsonKey, contentType: 'application/json', patch: jsonWithClosure },
        ...(keys.htmlKey
          ? [{ key: keys.htmlKey, contentType: 'text/html; charset=utf-8', patch: htmlWithClosure }]
          : []),
      ];
      for (const file of files) {
        const body = await evidence.getObject?.(file.key);
        if (body === undefined) continue;
        await evidence.putObject({ key: file.key, body: file.patch(body, closure), contentType: file.contentType });
      }
    },
  };
}

/**
 * The close function's sweep: closes every stale incident (answers which), and adds the closing
 * part to the report of each incident closed where the report could not be written (Slack, the
 * registration), then clears its `closureReportPending`. It works on the incidents the store lists
 * as possibly needing it (the sweep index), and reads each one again, consistently, before acting:
 * the list may lag the table, and an incident a signal or a close reached meanwhile is left alone.
 */
export async function sweepStale(
  autoCloseAfterMinutes: number,
  ports: ClosePorts & { store: SweepStore },
): Promise<string[]> {
  const closed: string[] = [];
  for (const { incidentId } of await ports.store.listIncidentsToSweep(ports.clock.now().toISOString())) {
    // One incident that cannot be closed or rewritten (a report that does not parse, a refused
    // write) is logged and left for the next sweep; it never stops the others from closing.
    try {
      const record = await ports.store.getIncident(incidentId);
      if (!record) continue;
      if (record.closure) {
        if (!record.closureReportPending) continue;
        if (record.report && ports.reports) await ports.reports.rewrite(record.report, record.closure);
        await ports.store.clearReportPending(incidentId);
        continue;
      }
      const result = await closeIfStale(record, autoCloseAfterMinutes, ports);
      if (result?.state === 'closed') closed.push(incidentId);
    } catch (error) {
      log.warn('sweep: incident left for the next sweep', { incidentId, error: describeError(error).error });
    }
  }
  return closed;
}
