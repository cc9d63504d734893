import { formatBytes, utcMinute } from '../format.js';
import type { ChatMessage, ChatPort } from '../ports.js';
import type { DataEvidence, IncidentRecord } from '../store/types.js';
import { mrkdwn } from './escape.js';
import { firstLines, truncate } from './slack-blocks.js';
import { dataEvidenceView } from './view-model.js';
import { clip } from './words.js';

const TOP = 5;

const top = <T>(items: readonly T[], line: (item: T) => string) => firstLines(items, TOP, (item) => `• ${line(item)}`);

/**
 * The data-event follow-up in the approval thread: what the principal did with S3 in the incident
 * window (CloudTrail data events via Athena), or why that evidence is not available.
 */
export function dataEvidenceMessage(incidentId: string, evidence: DataEvidence): ChatMessage {
  const view = dataEvidenceView(evidence);
  if (view.status === 'unavailable') {
    const text = `Data-event evidence for incident ${incidentId} is unavailable: ${mrkdwn(view.reason)}`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text) } }] };
  }
  const window = view.window
    ? `${utcMinute(view.window.first)} to ${utcMinute(view.window.last)}`
    : 'no events in the window';
  const lines = [
    `*Data-event evidence* (CloudTrail via Athena) for incident ${incidentId}`,
    `${view.requests} S3 requests, ${view.objectsRead} objects read, ${formatBytes(view.bytesOut)} out, ${window}`,
    ...top(view.byBucket, (b) => `${mrkdwn(b.bucket)}: ${b.objects} objects, ${formatBytes(b.bytes)}`),
    view.sourceIps.length ? '*Source IPs*' : 'No source IPs',
    ...top(view.sourceIps, (ip) => `${mrkdwn(ip.ip)} (${ip.count} requests)`),
    ...(view.userAgents.length ? ['*User agents*'] : []),
    ...top(view.userAgents, (agent) => `${mrkdwn(clip(agent.userAgent, 120))} (${agent.count})`),
    view.crossAccountCopies.length ? '*Copies to other accounts*' : 'No copies to other accounts.',
    ...top(
      view.crossAccountCopies,
      (copy) => `${mrkdwn(copy.bucket)} (account ${mrkdwn(copy.account)}): ${copy.count}`,
    ),
  ];
  const text = truncate(lines.join('\n'));
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * Posts the data-event follow-up in the incident's thread when both exist: the approval message
 * (its thread) and the evidence. Each side calls this with the record its own atomic update
 * returned, so exactly one of them (the second) sees both and posts.
 */
export async function shareDataEvidence(
  chat: ChatPort,
  record: Pick<IncidentRecord, 'incidentId' | 'slack' | 'dataEvidence'>,
): Promise<boolean> {
  if (!record.slack || !record.dataEvidence) return false;
  await chat.post({
    channel: record.slack.channel,
    threadTs: record.slack.ts,
    message: dataEvidenceMessage(record.incidentId, record.dataEvidence),
  });
  return true;
}
