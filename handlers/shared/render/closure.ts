import type { Closure } from '../lifecycle.js';
import { mrkdwn } from './escape.js';
import { section } from './slack-blocks.js';

/**
 * How a closed incident is shown in Slack: the thread message and the summary message without its
 * Close button (the report's closing part is in closure-report.ts).
 */

/** `action_id` of the "Close incident" button; the Slack handler listens on it. */
export const CLOSE_ACTION_ID = 'close_incident';
/** `block_id` of the actions block that holds the Close button in the summary message. */
export const CLOSE_BLOCK_ID = 'close';

/** A resolution as people read it. */
export function resolutionLabel(resolution: Closure['resolution']): string {
  switch (resolution) {
    case 'true_positive':
      return 'true positive';
    case 'false_positive':
      return 'false positive';
    case 'benign':
      return 'benign';
    default:
      return 'closed automatically (no new signal)';
  }
}

/** Who closed it, for Slack: a user id as a mention, anything else (`auto`, `cli:<name>`) as text. */
export function closerMrkdwn(by: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(by) ? `<@${by}>` : mrkdwn(by);
}

/** The one thread message that says the incident is closed: who, the resolution and the note. */
export function closedThreadText(incidentId: string, closure: Closure): string {
  const note = closure.note ? `\n> ${mrkdwn(closure.note)}` : '';
  return `:lock: Incident ${mrkdwn(incidentId)} closed by ${closerMrkdwn(closure.by)}: *${resolutionLabel(closure.resolution)}* (${mrkdwn(closure.at)}).${note}`;
}

/**
 * The "Close incident" button of the summary message. It carries the incident id, which is no
 * secret: a click is checked against the configured approvers before anything changes.
 */
export function closeButtonBlock(incidentId: string): Record<string, unknown> {
  return {
    type: 'actions',
    block_id: CLOSE_BLOCK_ID,
    elements: [
      {
        type: 'button',
        action_id: CLOSE_ACTION_ID,
        text: { type: 'plain_text', text: 'Close incident' },
        value: incidentId,
      },
    ],
  };
}

/** The summary message's blocks with the Close button replaced by a line saying how it closed. */
export function blocksWhenClosed(blocks: readonly unknown[], incidentId: string, closure: Closure): unknown[] {
  const closed = {
    type: 'context',
    block_id: CLOSE_BLOCK_ID,
    elements: [{ type: 'mrkdwn', text: closedThreadText(incidentId, closure).replaceAll('\n> ', ' · ') }],
  };
  const kept = blocks.filter(
    (block) =>
      !(typeof block === 'object' && block !== null && (block as { block_id?: unknown }).block_id === CLOSE_BLOCK_ID),
  );
  return [...kept, closed];
}

/**
 * The approval message once closing the incident withdrew its pending request: the buttons and
 * checkboxes are gone, and the closing line (who, resolution, when, every value escaped) says so.
 */
export function withdrawnApprovalMessage(args: {
  readonly title: string;
  readonly incidentId: string;
  readonly closure: Closure;
}) {
  const title = mrkdwn(args.title);
  const line = `Withdrawn: ${closedThreadText(args.incidentId, args.closure).replaceAll('\n> ', ' · ')} Nothing will be contained.`;
  return { text: `${title}: ${line}`, blocks: [section(`*${title}*\n${line}`)] };
}
