import { maskKey } from '../shared/ids.js';
import type { ChatMessage } from '../shared/ports.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { ActionId, Decision, Plan } from '../shared/schemas/plan.js';

/** Slack limits (Block Kit): at most 50 blocks, 3,000 chars per section text, 10 checkbox options. */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, checkboxOptions: 10, buttonValue: 2000 } as const;

export const ACTION_LABELS: Record<ActionId, string> = {
  deactivateAccessKey: 'Deactivate the access key',
  revokeRoleSessions: 'Revoke the role’s sessions',
  startMacieJob: 'Start a Macie classification job',
  denyBucketAccess: 'Deny the principal in the bucket policy',
  restrictVpcEndpoint: 'Restrict the VPC endpoint policy',
};

/** Action ids of Block Kit elements; the interaction handler listens on these. */
export const ACTION_IDS = { approve: 'approve_plan', deny: 'deny_plan', select: 'select_actions' } as const;

export interface ApprovalView {
  readonly incidentId: string;
  readonly incident: Incident;
  readonly plan: Plan;
  readonly enrichment: Record<string, unknown>;
  readonly nonce: string;
  readonly deadline: string;
  readonly now: string;
}

/** Cuts text to fit a Slack field, saying how much was left out. */
export function truncate(text: string, limit: number = SLACK_LIMITS.sectionText): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const suffix = `\n…and ${lines.length - index} more`;
    if (used + line.length + 1 + suffix.length > limit) {
      kept.push(suffix.trimStart());
      return kept.join('\n').slice(0, limit);
    }
    kept.push(line);
    used += line.length + 1;
  }
  return kept.join('\n').slice(0, limit);
}

function severityLabel(severity: number): string {
  if (severity >= 9) return 'CRITICAL';
  if (severity >= 7) return 'HIGH';
  if (severity >= 4) return 'MEDIUM';
  return 'LOW';
}

function ago(from: string, now: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(now) - Date.parse(from)) / 60_000));
  return minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text) } });

/**
 * The approval message: what happened, to what, the evidence so far, and the exact plan, with
 * one checkbox per action (all ticked) and Approve / Deny buttons carrying only the nonce.
 */
export function approvalMessage(view: ApprovalView): ChatMessage {
  const { incident, plan } = view;
  const principal = incident.principal;
  const who = principal.arn ?? principal.sessionIssuer ?? principal.principalId ?? principal.type;
  const title = `${severityLabel(incident.severity)} ${incident.findingType} in ${incident.accountId}/${incident.region}`;
  const facts = [
    `*Incident* ${view.incidentId} · first seen ${ago(incident.firstSeen, view.now)} · count ${incident.count}`,
    `*Principal* ${who} (${principal.type})${principal.accessKeyId ? ` · key ${maskKey(principal.accessKeyId)}` : ''}`,
    `*Source* ${(incident.ipDetails ?? []).map((ip) => [ip.ip, ip.country, ip.org].filter(Boolean).join(' ')).join('; ') || 'unknown'}`,
    `*Buckets* ${incident.buckets.join(', ') || 'none named'}`,
  ].join('\n');
  const planLines = plan.items.map((item) => `• ${item.summary}`);
  const skipped = plan.notPlanned.map((entry) => `◦ not planned: ${entry.action}: ${entry.reason}`);
  const actions = [...new Set(plan.items.map((item) => item.action))];
  const options = actions.map((action) => ({
    text: { type: 'plain_text', text: ACTION_LABELS[action] },
    value: action,
  }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, 150) } },
    section(facts),
    section(
      `*Evidence so far*\n${evidenceLines(view.enrichment).join('\n')}\n_Data-event evidence follows in the thread._`,
    ),
    section(`*Plan*\n${[...planLines, ...skipped].join('\n')}`),
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
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Decide by ${view.deadline}.` }] },
  ];
  return { text: `${title}: approval needed for incident ${view.incidentId}`, blocks };
}

function evidenceLines(enrichment: Record<string, unknown>): string[] {
  return Object.entries(enrichment).map(([source, value]) => {
    const status = (value as { status?: string; reason?: string } | undefined)?.status;
    if (status === 'unavailable')
      return `• ${source}: unavailable (${(value as { reason?: string }).reason ?? 'no reason given'})`;
    return `• ${source}: ok`;
  });
}

export function reminderMessage(args: { approvers: string[]; deadline: string; now: string }): ChatMessage {
  const mentions = args.approvers.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`)).join(' ');
  return { text: `${mentions} still waiting for a decision; it expires ${args.deadline}.` };
}

/** The approval message after the decision: who decided what and when, buttons removed. */
export function decidedMessage(args: { incidentId: string; decision: Decision; title: string }): ChatMessage {
  const { decision } = args;
  const who = decision.decidedBy
    .map((id) => (id === 'timeout-policy' ? 'the timeout policy' : `<@${id}>`))
    .join(' and ');
  const actions = [...new Set(decision.approvedPlan.map((item) => item.action))].map((action) => ACTION_LABELS[action]);
  const text =
    decision.outcome === 'approved'
      ? `Approved by ${who} at ${decision.decidedAt}: ${actions.join('; ')}`
      : `Denied by ${who} at ${decision.decidedAt}${decision.reason ? `: ${decision.reason}` : ''}`;
  return { text: `${args.title}: ${text}`, blocks: [section(`*${args.title}*\n${text}`)] };
}
