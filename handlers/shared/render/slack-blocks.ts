import type { ChatMessage } from '../ports.js';
import type { Decision } from '../schemas/plan.js';
import { mrkdwn } from './escape.js';
import { type DecisionView, decisionView } from './view-model.js';

export { ACTION_LABELS } from './words.js';

/**
 * Slack limits (Block Kit reference): at most 50 blocks a message, 3,000 characters per section
 * text, 10 fields of 2,000, 150 for a header, 75 for a button or option text, 10 checkbox options,
 * 2,000 for a button value.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  plainText: 75,
  checkboxOptions: 10,
  buttonValue: 2000,
} as const;

/** Action ids of Block Kit elements; the interaction handler listens on these. */
export const ACTION_IDS = { approve: 'approve_plan', deny: 'deny_plan', select: 'select_actions' } as const;

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

/** The first `limit` items as lines, then "…and N more" for the rest. */
export function firstLines<T>(items: readonly T[], limit: number, line: (item: T) => string): string[] {
  const shown = items.slice(0, limit).map(line);
  return items.length > limit ? [...shown, `…and ${items.length - limit} more`] : shown;
}

/** A mrkdwn section, cut to Slack's 3,000 characters. */
export const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text) } });

export function reminderMessage(args: { approvers: string[]; deadline: string; now: string }): ChatMessage {
  const mentions = args.approvers.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`)).join(' ');
  return { text: `${mentions} still waiting for a decision; it expires ${args.deadline}.` };
}

/** Text a person typed, safe in mrkdwn: `<!channel>`, a link or formatting cannot be smuggled in. */
export const escapeMrkdwn = mrkdwn;

/** A Slack user id (`U…`, `W…`) as a mention; anything else is shown as text, never as markup. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : mrkdwn(userId);
}

/** `<@U1> and <@U2>`, `the timeout policy`: who decided, for a sentence. */
export function decidersText(decidedBy: DecisionView['decidedBy']): string {
  return decidedBy.map((who) => (who.kind === 'timeout-policy' ? 'the timeout policy' : mention(who.id))).join(' and ');
}

/** The approval message after the decision: who decided what and when, buttons removed. */
export function decidedMessage(args: { incidentId: string; decision: Decision; title: string }): ChatMessage {
  const decision = decisionView(args.decision);
  const who = decidersText(decision.decidedBy);
  const at = decision.at ? ` at ${decision.at}` : '';
  const text =
    decision.outcome === 'approved'
      ? `Approved by ${who}${at}: ${decision.actions.join('; ')}`
      : `Denied by ${who}${at}${decision.reason ? `: ${mrkdwn(decision.reason)}` : ''}`;
  const title = mrkdwn(args.title);
  return { text: `${title}: ${text}`, blocks: [section(`*${title}*\n${text}`)] };
}

/** The thread reply when a rollback starts: who started it, and that deactivated keys stay inactive. */
export function rollbackStartedMessage(args: { incidentId: string; startedBy: readonly string[] }): ChatMessage {
  const who = args.startedBy.map(mention).join(' and ') || 'an approver';
  return {
    text: `Rollback of incident ${mrkdwn(args.incidentId)} started by ${who}. Deactivated access keys stay inactive.`,
  };
}
