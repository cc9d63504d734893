import type { ChatMessage } from '../ports.js';
import type { Incident } from '../schemas/incident.js';
import type { Plan, PlanItem } from '../schemas/plan.js';
import { mrkdwn, mrkdwnCode, oneLine } from './escape.js';
import { planItemLines } from './plan-lines.js';
import { otherPrincipalLine } from './report.js';
import { ACTION_IDS, ACTION_LABELS, firstLines, SLACK_LIMITS, section, truncate } from './slack-blocks.js';
import { type IncidentView, incidentView } from './view-model.js';

export { severityLabel } from './view-model.js';

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

function principalText(view: IncidentView): string {
  const { subject } = view;
  const key = subject.accessKey
    ? ` · key ${mrkdwn(subject.accessKey)}${subject.keyLastUsed ? ` (last used ${mrkdwn(subject.keyLastUsed)})` : ''}`
    : '';
  const ips = listed(subject.sourceIps, ({ ip, where }) =>
    where.length ? `${mrkdwn(ip)} (${where.map(mrkdwn).join(', ')})` : mrkdwn(ip),
  );
  const others = view.otherPrincipals ?? [];
  const fresh = listed(
    others.filter((other) => other.newInRequest),
    (other) => `• ${mrkdwn(otherPrincipalLine({ ...other, newInRequest: false }))}`,
  );
  const earlier = listed(
    others.filter((other) => !other.newInRequest),
    (other) => `• ${mrkdwn(otherPrincipalLine(other))}`,
  );
  return [
    `*Principal* ${mrkdwn(subject.arn)} (${mrkdwn(subject.type)})${key}`,
    // The new principals first, so a long list of earlier ones can never cut them off.
    ...(fresh.length
      ? [`*New to this incident, not yet contained* (this request asks about it)\n${fresh.join('\n')}`]
      : []),
    ...(earlier.length ? [`*Also in this incident*\n${earlier.join('\n')}`] : []),
    `*Source IPs* ${ips.join('; ') || 'unknown'}`,
  ].join('\n');
}

function bucketsText(view: IncidentView): string {
  const lines = listed(
    view.buckets,
    ({ name, sensitivity }) =>
      `• ${mrkdwn(name)}${sensitivity.length ? `: ${sensitivity.map(mrkdwn).join(' · ')}` : ''}`,
  );
  return `*Buckets*\n${lines.join('\n') || 'none named'}`;
}

function evidenceText(view: IncidentView, dataEventsTable: boolean): string {
  const lines = [
    ...view.findings.map((line) => `• ${line.warning ? '⚠ ' : ''}${mrkdwn(line.text)}`),
    ...view.unavailableSources.map((entry) => `• ${mrkdwn(entry.source)}: unavailable (${mrkdwn(entry.reason)})`),
  ];
  const followUp = dataEventsTable
    ? '\n_Data-event evidence follows in the thread._'
    : '\n_No data-event evidence: no Athena table over S3 data events is configured._';
  return `*Evidence so far*\n${lines.join('\n') || '• nothing notable'}${followUp}`;
}

/** The view model of an incident awaiting its decision (no events, decision or results yet). */
function approvalView(view: ApprovalView): IncidentView {
  return incidentView({
    incidentId: view.incidentId,
    incident: view.incident,
    status: 'awaiting_approval',
    now: view.now,
    events: [],
    enrichment: view.enrichment,
    evidence: {},
    plan: view.plan,
    applied: [],
  });
}

/**
 * The approval message (DESIGN §6): what happened, to what, the evidence so far, and each planned
 * action with exactly what it changes, one checkbox per action (all ticked), Approve / Deny
 * buttons carrying only the nonce, and a link to the execution. Fits Slack's limits whatever the
 * size of the incident: long lists end "…and N more".
 */
export function approvalMessage(input: ApprovalView): ChatMessage {
  const view = approvalView(input);
  const { finding, plan } = view;
  const title = truncate(`${finding.severityLabel} · ${oneLine(finding.type)}`, SLACK_LIMITS.headerText);
  const context = `Account ${mrkdwn(view.account)} · ${mrkdwn(view.region)} · first seen ${ago(finding.firstSeen, input.now)} · count ${finding.count} · severity ${finding.severity} · incident ${mrkdwn(view.incidentId)}`;
  // The diffs as they fit in one section each, then continued over the blocks the message has left.
  const shown = plan.items.slice(0, MAX_PLAN_SECTIONS);
  const compact = shown.flatMap((item) => itemSections(item, { left: 0 }));
  const hidden = plan.items.length - shown.length;
  const actions = [...new Set(plan.items.map((item) => item.action))].slice(0, SLACK_LIMITS.checkboxOptions);
  const options = actions.map((action) => ({
    text: { type: 'plain_text', text: truncate(ACTION_LABELS[action], SLACK_LIMITS.plainText) },
    value: action,
  }));
  const notPlanned = listed(plan.notPlanned, (entry) => `◦ ${ACTION_LABELS[entry.action]}: ${mrkdwn(entry.reason)}`);
  const inPlace = listed(plan.inPlace, (item) => `✓ ${planItemLines(item).title}`);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context) }] },
    section(principalText(view)),
    section(bucketsText(view)),
    section(evidenceText(view, input.dataEventsTable !== false)),
    { type: 'divider' },
    section(`*Plan* (${plan.items.length} change${plan.items.length === 1 ? '' : 's'}; untick what you do not want)`),
    ...compact,
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
          value: input.nonce,
        },
        {
          type: 'button',
          action_id: ACTION_IDS.deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: input.nonce,
        },
        ...(input.executionArn
          ? [
              {
                type: 'button',
                action_id: 'open_execution',
                text: { type: 'plain_text', text: 'Execution' },
                url: executionLink(input.executionArn),
              },
            ]
          : []),
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Decide by ${input.deadline}.` }] },
  ];
  // One block stays free for the signals line (`signals.ts`).
  const room = { left: Math.max(0, SLACK_LIMITS.blocks - 1 - blocks.length) };
  const start = blocks.indexOf(compact[0]);
  if (room.left > 0 && start >= 0)
    blocks.splice(start, compact.length, ...shown.flatMap((item) => itemSections(item, room)));
  return { text: `${mrkdwn(title)}: approval needed for incident ${mrkdwn(view.incidentId)}`, blocks };
}

/**
 * What one plan item changes, as sections: its title and diff, continued in further sections while
 * `room` has blocks left (so a long address list is shown whole), else cut, never the closing
 * fence, saying how many lines were left out.
 */
function itemSections(item: PlanItem, room: { left: number }): unknown[] {
  const { title: itemTitle, lines } = planItemLines(item);
  const sections: unknown[] = [];
  let rest = lines.map(mrkdwnCode);
  let heading = `*${truncate(itemTitle, 300)}*\n`;
  for (;;) {
    const budget = SLACK_LIMITS.sectionText - heading.length - 6;
    let fit = 0;
    for (let used = 0; fit < rest.length && used + (rest[fit]?.length ?? 0) + 1 <= budget; fit += 1) {
      used += (rest[fit]?.length ?? 0) + 1;
    }
    const last = fit >= rest.length || room.left === 0 || fit === 0;
    const diff = last ? truncate(rest.join('\n'), budget) : rest.slice(0, fit).join('\n');
    sections.push(section(`${heading}\`\`\`${diff}\`\`\``));
    if (last) return sections;
    room.left -= 1;
    rest = rest.slice(fit);
    heading = '';
  }
}
