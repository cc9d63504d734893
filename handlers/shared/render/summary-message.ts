import type { ChatMessage } from '../ports.js';
import { mrkdwn } from './escape.js';
import type { Report } from './report.js';
import { section, truncate } from './slack-blocks.js';
import { counted } from './words.js';

/** ` · <url|HTML report with timeline>`; the URL is ours (bucket and key), never text from a finding. */
function htmlLink(html: { location: string; url?: string } | undefined): string {
  if (!html) return '';
  if (!html.url) return ` · HTML report: ${mrkdwn(html.location)}`;
  return ` · <${html.url.replaceAll('|', '%7C').replaceAll('>', '%3E')}|HTML report with timeline>`;
}

function minutes(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return value < 60 ? `${value} min` : `${Math.floor(value / 60)} h ${value % 60} min`;
}

/**
 * The closing message in the incident's thread: the status, each containment item with what it
 * did (or why not), the metrics and where the report is; with an Undo button when something was
 * changed and an undo request exists (`undo` is the button element, which carries only a nonce).
 */
export function summaryMessage(args: {
  report: Report;
  reportKey: string;
  /** Where the HTML report was written; linked when it has a console URL. */
  htmlReport?: { location: string; url?: string };
  undo?: unknown;
}): ChatMessage {
  const { report } = args;
  const planned = report.containment.filter((item) => !item.notPlanned);
  const done = planned.filter((item) => item.done).length;
  const latest = report.latestRequest ? ` ${mrkdwn(report.latestRequest.text)}` : '';
  const headline = `Incident ${report.incidentId} containment finished: *${report.status}*. ${done} of ${counted(planned.length, 'planned containment item')} in place.${latest}`;
  const checklist = report.containment.map(
    (item) => `${item.done ? '✅' : '⬜'} ${mrkdwn(item.text)}${item.reason ? ` — ${mrkdwn(item.reason)}` : ''}`,
  );
  const metrics = `Time to detect ${minutes(report.metrics.timeToDetectMinutes)} · to approval ${minutes(report.metrics.timeToApprovalMinutes)} · to contain ${minutes(report.metrics.timeToContainMinutes)}`;
  const blocks: unknown[] = [
    section(truncate(headline)),
    section(truncate(checklist.join('\n'))),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(`${metrics} · report: ${mrkdwn(args.reportKey)}${htmlLink(args.htmlReport)}`),
        },
      ],
    },
    ...(args.undo ? [{ type: 'actions', block_id: 'undo', elements: [args.undo] }] : []),
  ];
  return { text: `${headline.replaceAll('*', '')} Report: ${args.reportKey}`, blocks };
}
