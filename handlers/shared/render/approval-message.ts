import { maskKey } from '../ids.js';
import type { BucketSensitivity, ChatMessage } from '../ports.js';
import type { DescribeBucketsOutput } from '../schemas/bucket-facts.js';
import type { Incident } from '../schemas/incident.js';
import type { ManagementEvents } from '../schemas/management-events.js';
import type { Plan, PlanItem } from '../schemas/plan.js';
import type { PrincipalFacts } from '../schemas/principal-facts.js';
import { ok } from '../schemas/task-input.js';
import { mrkdwn, mrkdwnCode } from './escape.js';
import { planItemLines } from './plan-lines.js';
import { ACTION_IDS, ACTION_LABELS, firstLines, SLACK_LIMITS, section, truncate } from './slack-blocks.js';
import { principalTypeWords, readableReason } from './words.js';

/** Plan items shown one section each; the rest are counted in one line (the 50-block limit). */
const MAX_PLAN_SECTIONS = 20;
/** Buckets and IPs listed by name before "…and N more". */
const MAX_LISTED = 10;

export interface ApprovalView {
  readonly incidentId: string;
  readonly incident: Incident;
  readonly plan: Plan & { readonly inPlace?: readonly PlanItem[] };
  readonly enrichment: Record<string, unknown>;
  readonly nonce: string;
  readonly deadline: string;
  readonly now: string;
  /** The execution, for the console link. */
  readonly executionArn?: string;
  /** An Athena table over S3 data events is configured, so data-event evidence follows in the thread (default true). */
  readonly dataEventsTable?: boolean;
}

const SOURCE_LABELS: Record<string, string> = {
  describePrincipal: 'Principal and keys',
  describeBuckets: 'Bucket facts',
  assessSensitivity: 'Macie sensitivity',
  collectManagementEvents: 'Management events',
};

export function severityLabel(severity: number): string {
  if (severity >= 9) return 'CRITICAL';
  if (severity >= 7) return 'HIGH';
  if (severity >= 4) return 'MEDIUM';
  return 'LOW';
}

function ago(from: string, now: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(now) - Date.parse(from)) / 60_000));
  if (minutes < 120) return `${minutes} min ago`;
  return minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
}

const listed = <T>(items: readonly T[], line: (item: T) => string) => firstLines(items, MAX_LISTED, line);

/** `https://<region>.console.aws.amazon.com/states/home?region=…#/v2/executions/details/<arn>` */
export function executionLink(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function principalText(view: ApprovalView): string {
  const { principal } = view.incident;
  const facts = ok<PrincipalFacts>(view.enrichment.describePrincipal);
  const arn = facts?.resolvedArn ?? principal.arn ?? principal.sessionIssuer ?? principal.principalId ?? 'unknown';
  const key = principal.accessKeyId
    ? ` · key ${mrkdwn(maskKey(principal.accessKeyId))}${facts?.findingKey?.lastUsedDate ? ` (last used ${mrkdwn(facts.findingKey.lastUsedDate)})` : ''}`
    : '';
  const ips = listed(view.incident.ipDetails ?? view.incident.sourceIps.map((ip) => ({ ip })), (detail) => {
    const where = [
      'city' in detail ? detail.city : undefined,
      'country' in detail ? detail.country : undefined,
      'org' in detail ? detail.org : undefined,
      'asn' in detail && detail.asn ? `AS${detail.asn}` : undefined,
    ].filter((part): part is string => Boolean(part));
    return where.length ? `${mrkdwn(detail.ip)} (${where.map(mrkdwn).join(', ')})` : mrkdwn(detail.ip);
  });
  return `*Principal* ${mrkdwn(arn)} (${mrkdwn(principalTypeWords(principal.type))})${key}\n*Source IPs* ${ips.join('; ') || 'unknown'}`;
}

function bucketsText(view: ApprovalView): string {
  const sensitivity = ok<{ buckets: BucketSensitivity[] }>(view.enrichment.assessSensitivity)?.buckets ?? [];
  const lines = listed(view.incident.buckets, (bucket) => {
    const macie = sensitivity.find((entry) => entry.bucket === bucket);
    const parts = [
      macie?.sensitivityScore !== undefined ? `sensitivity ${macie.sensitivityScore}/100` : undefined,
      macie?.highestSeverity ? `Macie ${macie.highestSeverity}` : undefined,
      macie?.sensitiveDataTypes.length ? macie.sensitiveDataTypes.join('; ') : undefined,
    ].filter((part): part is string => Boolean(part));
    return `• ${mrkdwn(bucket)}${parts.length ? `: ${parts.map(mrkdwn).join(' · ')}` : ''}`;
  });
  return `*Buckets*\n${lines.join('\n') || 'none named'}`;
}

function evidenceText(enrichment: Record<string, unknown>, dataEventsTable: boolean): string {
  const lines: string[] = [];
  const principal = ok<PrincipalFacts>(enrichment.describePrincipal);
  if (principal?.recentKeys.length) {
    lines.push(`• Keys created recently (persistence?): ${mrkdwn(principal.recentKeys.map(maskKey).join(', '))}`);
  }
  if (principal?.mfa && 'enabled' in principal.mfa && !principal.mfa.enabled) lines.push('• The user has no MFA');
  const buckets = ok<DescribeBucketsOutput>(enrichment.describeBuckets);
  for (const warning of (buckets?.buckets ?? []).flatMap((bucket) => bucket.warnings))
    lines.push(`• ⚠ ${mrkdwn(warning)}`);
  const management = ok<ManagementEvents>(enrichment.collectManagementEvents);
  if (management) {
    const notable = management.notable.map((event) => event.eventName);
    lines.push(
      `• Management events: ${management.total} in the window${notable.length ? `; notable: ${mrkdwn([...new Set(notable)].join(', '))}` : ''}`,
    );
    lines.push(...persistenceLines(management.persistence));
  }
  for (const [source, value] of Object.entries(enrichment)) {
    const entry = value as { status?: string; reason?: string; error?: string } | undefined;
    if (entry?.status === 'unavailable') {
      const reason = readableReason(entry.reason, entry.error, source);
      lines.push(`• ${mrkdwn(SOURCE_LABELS[source] ?? source)}: unavailable (${mrkdwn(reason)})`);
    }
  }
  const followUp = dataEventsTable
    ? '\n_Data-event evidence follows in the thread._'
    : '\n_No data-event evidence: no Athena table over S3 data events is configured._';
  return `*Evidence so far*\n${lines.join('\n') || '• nothing notable'}${followUp}`;
}

/** The footholds the credentials left, one line each: created keys (each a plan item), then what to do about the rest. */
function persistenceLines(persistence: ManagementEvents['persistence'] | undefined): string[] {
  const from = (ip: string | undefined) => (ip ? ` from ${mrkdwn(ip)}` : '');
  return [
    ...(persistence?.createdKeys ?? []).map(
      (key) =>
        `• ⚠ Key created with these credentials: ${mrkdwn(maskKey(key.accessKeyId))} of IAM user ${mrkdwn(key.userName)}, ${mrkdwn(key.eventTime)}${from(key.sourceIp)} (see the plan)`,
    ),
    ...(persistence?.changes ?? []).map(
      (change) =>
        `• ⚠ ${mrkdwn(change.eventName)} on ${mrkdwn(change.target)}, ${mrkdwn(change.eventTime)}${from(change.sourceIp)}: ${mrkdwn(change.remedy)}`,
    ),
  ];
}

/**
 * The approval message (DESIGN §6): what happened, to what, the evidence so far, and each planned
 * action with exactly what it changes, one checkbox per action (all ticked), Approve / Deny
 * buttons carrying only the nonce, and a link to the execution. Fits Slack's limits whatever the
 * size of the incident: long lists end "…and N more".
 */
export function approvalMessage(view: ApprovalView): ChatMessage {
  const { incident, plan } = view;
  const title = truncate(`${severityLabel(incident.severity)} · ${incident.findingType}`, SLACK_LIMITS.headerText);
  const context = `Account ${mrkdwn(incident.accountId)} · ${mrkdwn(incident.region)} · first seen ${ago(incident.firstSeen, view.now)} · count ${incident.count} · severity ${incident.severity} · incident ${mrkdwn(view.incidentId)}`;
  const items = plan.items.slice(0, MAX_PLAN_SECTIONS).map((item) => {
    const { title: itemTitle, lines } = planItemLines(item);
    const heading = `*${truncate(itemTitle, 300)}*\n`;
    // Cut the diff itself (never the closing fence), saying how many lines were left out.
    const diff = truncate(mrkdwnCode(lines.join('\n')), SLACK_LIMITS.sectionText - heading.length - 6);
    return section(`${heading}\`\`\`${diff}\`\`\``);
  });
  const hidden = plan.items.length - items.length;
  const actions = [...new Set(plan.items.map((item) => item.action))].slice(0, SLACK_LIMITS.checkboxOptions);
  const options = actions.map((action) => ({
    text: { type: 'plain_text', text: truncate(ACTION_LABELS[action], SLACK_LIMITS.plainText) },
    value: action,
  }));
  const notPlanned = listed(
    plan.notPlanned,
    (entry) => `◦ ${ACTION_LABELS[entry.action]}: ${mrkdwn(readableReason(entry.reason))}`,
  );
  const inPlace = listed(plan.inPlace ?? [], (item) => `✓ ${planItemLines(item).title}`);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context) }] },
    section(principalText(view)),
    section(bucketsText(view)),
    section(evidenceText(view.enrichment, view.dataEventsTable !== false)),
    { type: 'divider' },
    section(`*Plan* (${plan.items.length} change${plan.items.length === 1 ? '' : 's'}; untick what you do not want)`),
    ...items,
    ...(hidden > 0 ? [section(`…and ${hidden} more changes of the same kinds (all listed in the report)`)] : []),
    ...(inPlace.length
      ? [section(`*Already in place* from an earlier run (confirmed without asking)\n${inPlace.join('\n')}`)]
      : []),
    ...(notPlanned.length ? [section(`*Not planned*\n${notPlanned.join('\n')}`)] : []),
    {
      type: 'actions',
      block_id: 'decision',
      elements: [
        { type: 'checkboxes', action_id: ACTION_IDS.select, options, initial_options: options },
        {
          type: 'button',
          action_id: ACTION_IDS.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve selected' },
          value: view.nonce,
        },
        {
          type: 'button',
          action_id: ACTION_IDS.deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: view.nonce,
        },
        ...(view.executionArn
          ? [
              {
                type: 'button',
                action_id: 'open_execution',
                text: { type: 'plain_text', text: 'Execution' },
                url: executionLink(view.executionArn),
              },
            ]
          : []),
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Decide by ${view.deadline}.` }] },
  ];
  return { text: `${title}: approval needed for incident ${view.incidentId}`, blocks };
}
