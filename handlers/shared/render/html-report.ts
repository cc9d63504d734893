import { formatBytes } from '../format.js';
import { escapeHtml } from './escape.js';
import { otherPrincipalLine, type Report, type TimelineKind } from './report.js';

const esc = escapeHtml;

/** Nothing may load from anywhere: styles are inline, the picture is inline SVG. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
main{max-width:1040px;margin:0 auto;padding:24px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}.status{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;background:#eaeef2}
.status.contained{background:#dafbe1;color:#116329}.status.partially_contained,.status.expired{background:#fff8c5;color:#7d4e00}
.status.failed,.status.denied{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;width:100%}td,th{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #eaeef2}
th{width:240px;color:#57606a;font-weight:500}ul{margin:4px 0;padding-left:20px}
.check{list-style:none;padding-left:0}.check li{margin:2px 0}.done{color:#116329}.todo{color:#a40e26}
.reason{color:#57606a}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:0 3px}
svg text{font:11px system-ui,sans-serif;fill:#1b1f24}.legend span{margin-right:14px}.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;vertical-align:middle}
`;

const KIND_COLOURS: Record<TimelineKind, string> = {
  activity: '#cf222e',
  signal: '#9a6700',
  approval: '#0969da',
  action: '#1a7f37',
  note: '#6e7781',
};

const LANES: { kind: TimelineKind; label: string }[] = [
  { kind: 'activity', label: 'Attacker activity' },
  { kind: 'signal', label: 'Signals' },
  { kind: 'approval', label: 'Approval' },
  { kind: 'action', label: 'Containment' },
  { kind: 'note', label: 'Other' },
];

const utc = (at: string) => `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;

function minutesText(minutes: number | undefined): string {
  if (minutes === undefined) return 'n/a';
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The timeline as one inline SVG: a lane per kind of entry (activity, signals, approval,
 * containment), a dot per entry (a bar when it spans time) with its text as a tooltip, and the
 * time to detect, approve and contain drawn as marked spans under the lanes.
 */
export function timelineSvg(report: Report): string {
  const times = report.timeline.flatMap((entry) => [entry.at, entry.until].filter((t): t is string => Boolean(t)));
  const milestoneTimes = Object.values(report.milestones).filter((t): t is string => Boolean(t));
  const all = [...times, ...milestoneTimes].map(Date.parse).filter(Number.isFinite);
  const lanes = LANES.filter((lane) => lane.kind !== 'note' || report.timeline.some((e) => e.kind === 'note'));
  const width = 960;
  const left = 130;
  const right = 20;
  const laneHeight = 28;
  const spans = metricSpans(report);
  const height = 30 + lanes.length * laneHeight + spans.length * 22 + 30;
  if (all.length === 0) {
    return `<svg role="img" aria-label="Timeline" width="${width}" height="40"><text x="8" y="24">No timed events were recorded.</text></svg>`;
  }
  const start = Math.min(...all);
  const end = Math.max(...all);
  const range = Math.max(end - start, 60_000);
  const x = (at: string) => left + ((Date.parse(at) - start) / range) * (width - left - right);
  const sameDay = new Date(start).toISOString().slice(0, 10) === new Date(end).toISOString().slice(0, 10);
  const tickLabel = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return sameDay ? iso.slice(11, 16) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  };

  const parts: string[] = [];
  const axisY = 20 + lanes.length * laneHeight;
  for (let i = 0; i <= 5; i += 1) {
    const ms = start + (range * i) / 5;
    const px = left + ((width - left - right) * i) / 5;
    parts.push(
      `<line x1="${px.toFixed(1)}" y1="14" x2="${px.toFixed(1)}" y2="${axisY}" stroke="#eaeef2"/>`,
      `<text x="${px.toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${esc(tickLabel(ms))}</text>`,
    );
  }
  lanes.forEach((lane, index) => {
    const y = 20 + index * laneHeight + laneHeight / 2;
    parts.push(
      `<text x="8" y="${y + 4}">${esc(lane.label)}</text>`,
      `<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#d0d7de"/>`,
    );
    for (const entry of report.timeline.filter((e) => e.kind === lane.kind)) {
      const colour = KIND_COLOURS[lane.kind];
      const title = `<title>${esc(`${utc(entry.at)}: ${entry.text}`)}</title>`;
      if (entry.until && Date.parse(entry.until) > Date.parse(entry.at)) {
        const x1 = x(entry.at);
        const w = Math.max(x(entry.until) - x1, 3);
        parts.push(
          `<rect x="${x1.toFixed(1)}" y="${y - 5}" width="${w.toFixed(1)}" height="10" rx="3" fill="${colour}" opacity="0.55">${title}</rect>`,
        );
      } else {
        parts.push(`<circle cx="${x(entry.at).toFixed(1)}" cy="${y}" r="5" fill="${colour}">${title}</circle>`);
      }
    }
  });
  spans.forEach((span, index) => {
    const y = axisY + 30 + index * 22;
    const x1 = x(span.from);
    const x2 = Math.max(x(span.to), x1 + 2);
    parts.push(
      `<line x1="${x1.toFixed(1)}" y1="${y}" x2="${x2.toFixed(1)}" y2="${y}" stroke="${span.colour}" stroke-width="3"/>`,
      `<line x1="${x1.toFixed(1)}" y1="${y - 6}" x2="${x1.toFixed(1)}" y2="${y + 6}" stroke="${span.colour}" stroke-width="2"/>`,
      `<line x1="${x2.toFixed(1)}" y1="${y - 6}" x2="${x2.toFixed(1)}" y2="${y + 6}" stroke="${span.colour}" stroke-width="2"/>`,
      `<text x="8" y="${y + 4}">${esc(span.label)}</text>`,
    );
  });
  return `<svg role="img" aria-label="Incident timeline" viewBox="0 0 ${width} ${height}" width="100%">${parts.join('')}</svg>`;
}

function metricSpans(report: Report): { label: string; from: string; to: string; colour: string }[] {
  const m = report.milestones;
  const spans: { label: string; from?: string; to?: string; minutes?: number; name: string; colour: string }[] = [
    {
      name: 'TTD',
      from: m.firstActivity,
      to: m.detected,
      minutes: report.metrics.timeToDetectMinutes,
      colour: KIND_COLOURS.signal,
      label: '',
    },
    {
      name: 'TTA',
      from: m.approvalRequested,
      to: m.decided,
      minutes: report.metrics.timeToApprovalMinutes,
      colour: KIND_COLOURS.approval,
      label: '',
    },
    {
      name: 'TTC',
      from: m.opened,
      to: m.contained,
      minutes: report.metrics.timeToContainMinutes,
      colour: KIND_COLOURS.action,
      label: '',
    },
  ];
  return spans
    .filter((span): span is typeof span & { from: string; to: string } => Boolean(span.from && span.to))
    .map((span) => ({ ...span, label: `${span.name} ${minutesText(span.minutes)}` }));
}

const row = (label: string, value: string) => `<tr><th>${esc(label)}</th><td>${value}</td></tr>`;

/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no external font,
 * image or link target, and a Content-Security-Policy that forbids loading anything. Every string
 * from the report passes through `escapeHtml`.
 */
export function renderHtmlReport(report: Report): string {
  const impact = report.impact;
  const principal = report.principal;
  const list = (items: readonly string[], empty: string) =>
    items.length ? `<ul>${items.map((item) => `<li>${esc(item)}</li>`).join('')}</ul>` : esc(empty);
  const unknown = 'unknown (data events unavailable)';
  const legend = LANES.filter((lane) => lane.kind !== 'note')
    .map((lane) => `<span><i class="dot" style="background:${KIND_COLOURS[lane.kind]}"></i>${esc(lane.label)}</span>`)
    .join('');
  const body = [
    `<h1>${esc(report.title)}</h1>`,
    `<p class="meta">Incident <code>${esc(report.incidentId)}</code> · <span class="status ${esc(report.status)}">${esc(report.status)}</span> · account ${esc(report.account)} · ${esc(report.region)} · ${esc(report.investigationDate)}</p>`,
    `<p>${esc(report.detectionSource)}${report.findingTitle ? ` — ${esc(report.findingTitle)}` : ''}</p>`,
    report.latestRequest ? `<p class="todo">${esc(report.latestRequest.text)}</p>` : '',
    report.error
      ? `<p class="todo">Failure: ${esc(report.error.error)}${report.error.cause ? ` — ${esc(report.error.cause)}` : ''}</p>`
      : '',
    '<h2>Incident timeline</h2>',
    `<p class="legend">${legend}</p>`,
    timelineSvg(report),
    `<table>${report.timeline
      .map(
        (entry) =>
          `<tr><th>${esc(entry.until && entry.until !== entry.at ? `${utc(entry.at)} – ${utc(entry.until)}` : utc(entry.at))}</th><td>${esc(entry.text)}</td></tr>`,
      )
      .join('')}</table>`,
    '<h2>Compromised principal</h2>',
    `<table>${[
      row('ARN', esc(principal.arn ?? '(none: unauthenticated or unknown)')),
      row('Type', esc(principal.type)),
      principal.accessKey ? row('Access key', `<code>${esc(principal.accessKey)}</code>`) : '',
      row('Source IPs', list(principal.sourceIps, 'unknown')),
      principal.signIn ? row('Sign-in', esc(principal.signIn)) : '',
      principal.recentKeys.length ? row('Keys created recently', list(principal.recentKeys, '')) : '',
      principal.otherKeys.length ? row('Other keys (not touched)', list(principal.otherKeys, '')) : '',
      report.otherPrincipals?.length
        ? row('Other principals', list(report.otherPrincipals.map(otherPrincipalLine), ''))
        : '',
    ].join('')}</table>`,
    '<h2>Data impact</h2>',
    `<table>${[
      row('Buckets accessed', list(impact.buckets, 'none')),
      row(
        'Objects downloaded',
        esc(impact.objectsDownloaded === undefined ? unknown : impact.objectsDownloaded.toLocaleString('en-US')),
      ),
      row(
        'Total data volume',
        esc(impact.bytesDownloaded === undefined ? unknown : formatBytes(impact.bytesDownloaded)),
      ),
      impact.activity
        ? row('Activity window', esc(`${utc(impact.activity.first)} – ${utc(impact.activity.last)}`))
        : '',
      impact.dataEventSourceIps.length
        ? row(
            'Source IPs in the data events',
            list(
              impact.dataEventSourceIps.map((entry) => `${entry.ip} (${entry.count} requests)`),
              '',
            ),
          )
        : '',
      row('Sensitive data types', list(impact.sensitiveDataTypes, 'none reported')),
      row('Macie severity', esc(impact.macieSeverity ?? 'none reported')),
      impact.crossAccountCopies.length ? row('Cross-account copies', list(impact.crossAccountCopies, '')) : '',
      impact.bucketWarnings.length ? row('Warnings', list(impact.bucketWarnings, '')) : '',
      impact.unavailable.length ? row('Evidence unavailable', list(impact.unavailable, '')) : '',
    ].join('')}</table>`,
    '<h2>Containment actions</h2>',
    `<ul class="check">${report.containment
      .map(
        (item) =>
          `<li class="${item.done ? 'done' : 'todo'}">${item.done ? '☑' : '☐'} ${esc(item.text)}${item.reason ? ` <span class="reason">— ${esc(item.reason)}</span>` : ''}</li>`,
      )
      .join('')}</ul>`,
    '<h2>Recommended next steps</h2>',
    list(report.nextSteps, 'None beyond the containment above.'),
    '<h2>Metrics</h2>',
    `<table>${[
      row(
        'Time to detect (TTD)',
        esc(`${minutesText(report.metrics.timeToDetectMinutes)} (first activity to finding)`),
      ),
      row(
        'Time to approve (TTA)',
        esc(`${minutesText(report.metrics.timeToApprovalMinutes)} (approval requested to decision)`),
      ),
      row(
        'Time to contain (TTC)',
        esc(`${minutesText(report.metrics.timeToContainMinutes)} (incident opened to last containment action)`),
      ),
    ].join('')}</table>`,
    '<h2>Evidence sources</h2>',
    `<table>${report.evidenceSources
      .map((source) => row(source.source, esc(`${source.status}${source.reason ? ` (${source.reason})` : ''}`)))
      .join('')}</table>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`${report.title}: ${report.incidentId}`)}</title>`,
    `<style>${CSS}</style></head>`,
    `<body><main>${body.join('\n')}</main></body></html>`,
    '',
  ].join('\n');
}

export { escapeHtml };
