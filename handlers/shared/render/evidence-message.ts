import { formatBytes, utcMinute } from '../format.js';
import type { ChatMessage, ChatPort } from '../ports.js';
import type { DataEvidence, IncidentRecord } from '../store/types.js';
import { mrkdwn } from './escape.js';
import { firstLines, truncate } from './slack-blocks.js';
import { clip, readableReason } from './words.js';

const TOP = 5;

const top = <T>(items: readonly T[], line: (item: T) => string) => firstLines(items, TOP, (item) => `• ${line(item)}`);

/**
 * The data-event follow-up in the approval thread: what the principal did with S3 in the incident
 * window (CloudTrail data events via Athena), or why that evidence is not available.
 */
export function dataEvidenceMessage(incidentId: string, evidence: DataEvidence): ChatMessage {
  if (evidence.status === 'unavailable') {
    const reason = readableReason(evidence.reason, evidence.error, 'queryDataEvents');
    const text = `Data-event evidence for incident ${incidentId} is unavailable: ${mrkdwn(reason)}`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text) } }] };
  }
  const window =
    evidence.firstEventTime && evidence.lastEventTime
      ? `${utcMinute(evidence.firstEventTime)} to ${utcMinute(evidence.lastEventTime)}`
      : 'no events in the window';
  const lines = [
    `*Data-event evidence* (CloudTrail via Athena) for incident ${incidentId}`,
    `${evidence.requests} S3 requests, ${evidence.objectsRead} objects read, ${formatBytes(evidence.bytesOut)} out, ${window}`,
    ...top(evidence.byBucket, (b) => `${mrkdwn(b.bucket)}: ${b.objects} objects, ${formatBytes(b.bytes)}`),
    evidence.sourceIps.length ? '*Source IPs*' : 'No source IPs',
    ...top(evidence.sourceIps, (ip) => `${mrkdwn(ip.ip)} (${ip.count} requests)`),
    ...(evidence.userAgents.length ? ['*User agents*'] : []),
    ...top(evidence.userAgents, (agent) => `${mrkdwn(clip(agent.userAgent, 120))} (${agent.count})`),
    evidence.crossAccountCopies.length ? '*Copies to other accounts*' : 'No copies to other accounts.',
    ...top(
      evidence.crossAccountCopies,
      (copy) =>
        `${mrkdwn(copy.destinationBucket)} (account ${mrkdwn(copy.destinationAccount ?? 'unknown')}): ${copy.count}`,
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
