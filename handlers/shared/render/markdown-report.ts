import { formatBytes } from '../format.js';
import { markdownLine } from './escape.js';
import { otherPrincipalLine, type Report } from './report.js';

export { formatBytes };

const utc = (at: string) => `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;

function span(at: string, until?: string): string {
  if (!until || until.slice(0, 16) === at.slice(0, 16)) return utc(at);
  return until.slice(0, 10) === at.slice(0, 10)
    ? `${at.slice(0, 10)} ${at.slice(11, 16)}-${until.slice(11, 16)} UTC`
    : `${utc(at)} - ${utc(until)}`;
}

function duration(minutes: number | undefined): string {
  if (minutes === undefined) return 'n/a';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The report in the seed's "S3 Data Exfiltration Investigation Report" format (seed 000, Output
 * Format): the same header and sections, in the same order, with our additions after them.
 */
export function renderReport(report: Report): string {
  const lines: string[] = [];
  // Every line passes through one escaper: data in it can neither break it nor bring in HTML.
  const add = (...more: string[]) => lines.push(...more.map(markdownLine));
  add(report.title, '='.repeat(44));
  add(
    `Account: ${report.account}`,
    `Detection Source: ${report.detectionSource}`,
    `Investigation Date: ${report.investigationDate}`,
  );
  add(`Incident: ${report.incidentId} (${report.status})`, `Region: ${report.region}`);
  if (report.findingTitle) add(`Finding: ${report.findingTitle}`);
  if (report.latestRequest) add(`Latest request: ${report.latestRequest.text}`);
  if (report.error) add(`Failure: ${report.error.error}${report.error.cause ? ` - ${report.error.cause}` : ''}`);
  add('', 'INCIDENT TIMELINE:');
  for (const entry of report.timeline) add(`  ${span(entry.at, entry.until)} - ${entry.text}`);

  add('', 'COMPROMISED PRINCIPAL:');
  add(`  ARN: ${report.principal.arn ?? '(none: unauthenticated or unknown)'}`);
  add(`  Type: ${report.principal.type}`);
  if (report.principal.accessKey) add(`  Access Key: ${report.principal.accessKey}`);
  add(`  Source IP: ${report.principal.sourceIps.join('; ') || 'unknown'}`);
  if (report.principal.signIn) add(`  Sign-in: ${report.principal.signIn}`);
  if (report.principal.recentKeys.length)
    add(`  Keys created recently (possible persistence): ${report.principal.recentKeys.join(', ')}`);
  if (report.principal.otherKeys.length)
    add(`  Other keys of the user (not touched): ${report.principal.otherKeys.join('; ')}`);
  if (report.otherPrincipals?.length) {
    add('', 'OTHER PRINCIPALS OF THE INCIDENT:');
    for (const other of report.otherPrincipals) add(`  ${otherPrincipalLine(other)}`);
  }

  const impact = report.impact;
  add('', 'DATA IMPACT ASSESSMENT:');
  add(`  Buckets accessed: ${impact.buckets.length}${impact.buckets.length ? ` (${impact.buckets.join(', ')})` : ''}`);
  add(
    `  Objects downloaded: ${impact.objectsDownloaded === undefined ? 'unknown (data events unavailable)' : impact.objectsDownloaded.toLocaleString('en-US')}`,
  );
  add(
    `  Total data volume: ${impact.bytesDownloaded === undefined ? 'unknown (data events unavailable)' : formatBytes(impact.bytesDownloaded)}`,
  );
  if (impact.activity) add(`  Activity window: ${span(impact.activity.first, impact.activity.last)}`);
  if (impact.dataEventSourceIps.length)
    add(
      `  Source IPs in the data events: ${impact.dataEventSourceIps.map((e) => `${e.ip} (${e.count} requests)`).join('; ')}`,
    );
  add(`  Sensitive data types: ${impact.sensitiveDataTypes.join('; ') || 'none reported'}`);
  add(`  Macie severity: ${impact.macieSeverity ?? 'none reported'}`);
  if (impact.crossAccountCopies.length) add(`  Cross-account copies: ${impact.crossAccountCopies.join('; ')}`);
  for (const warning of impact.bucketWarnings) add(`  Warning: ${warning}`);
  if (impact.unavailable.length) add(`  Evidence unavailable: ${impact.unavailable.join('; ')}`);

  add('', 'CONTAINMENT ACTIONS:');
  for (const item of report.containment)
    add(`  [${item.done ? 'x' : ' '}] ${item.text}${item.reason ? ` - ${item.reason}` : ''}`);

  add('', 'RECOMMENDED NEXT STEPS:');
  for (const step of report.nextSteps.length ? report.nextSteps : ['None beyond the containment above.'])
    add(`  - ${step}`);

  add('', 'METRICS:');
  add(`  Time to detect: ${duration(report.metrics.timeToDetectMinutes)} (first activity to finding)`);
  add(`  Time to approval: ${duration(report.metrics.timeToApprovalMinutes)} (approval requested to decision)`);
  add(
    `  Time to contain: ${duration(report.metrics.timeToContainMinutes)} (incident opened to last containment action)`,
  );

  add('', 'EVIDENCE SOURCES:');
  for (const source of report.evidenceSources)
    add(`  ${source.source}: ${source.status}${source.reason ? ` (${source.reason})` : ''}`);
  return `${lines.join('\n')}\n`;
}
