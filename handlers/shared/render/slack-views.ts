import type { types } from '@slack/bolt';

/**
 * Block Kit views of the interaction endpoint that are not part of the approval message: the
 * reason modal that Deny opens, and the Undo button the report summary carries. Like the message
 * buttons, they carry only a nonce (never a task token).
 */

/** `action_id` of the Undo button; the Slack handler listens on it. */
export const UNDO_ACTION_ID = 'undo_incident';

/** The deny-reason modal: its `callback_id`, and the input block and element the reason is read from. */
export const DENY_REASON = {
  callbackId: 'deny_reason',
  blockId: 'reason',
  actionId: 'reason_input',
  minChars: 3,
  maxChars: 500,
} as const;

/** A button `value` holds at most 2,000 characters. */
const MAX_BUTTON_VALUE = 2000;

/**
 * The modal Deny opens: a required plain-text reason. `private_metadata` is the nonce and nothing
 * else; the submission is checked again (approver, expiry, one use) before anything changes.
 */
export function denyReasonModal(args: { nonce: string; incidentId: string }): types.ModalView {
  return {
    type: 'modal',
    callback_id: DENY_REASON.callbackId,
    private_metadata: args.nonce,
    title: { type: 'plain_text', text: 'Deny the plan' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Denying stops incident *${args.incidentId}* without containing anything. The reason goes into the timeline and the report.`,
        },
      },
      {
        type: 'input',
        block_id: DENY_REASON.blockId,
        label: { type: 'plain_text', text: 'Why deny?' },
        element: {
          type: 'plain_text_input',
          action_id: DENY_REASON.actionId,
          multiline: true,
          min_length: DENY_REASON.minChars,
          max_length: DENY_REASON.maxChars,
          focus_on_load: true,
          placeholder: { type: 'plain_text', text: 'e.g. known backup job, ticket OPS-1234' },
        },
      },
    ],
  };
}

/**
 * The reason typed in a submitted deny modal, trimmed, or why it cannot be used. Slack enforces the
 * lengths in the client; they are checked again here because a request is not a client.
 */
export function denyReasonFrom(view: {
  state?: { values?: Record<string, Record<string, { value?: string | null }>> };
}): { reason: string } | { problem: string } {
  const raw = view.state?.values?.[DENY_REASON.blockId]?.[DENY_REASON.actionId]?.value ?? '';
  const reason = raw.trim();
  if (reason.length < DENY_REASON.minChars) {
    return { problem: `Give a reason of at least ${DENY_REASON.minChars} characters.` };
  }
  if (reason.length > DENY_REASON.maxChars) {
    return { problem: `Keep the reason under ${DENY_REASON.maxChars} characters.` };
  }
  return { reason };
}

/**
 * The Undo button of the report summary (thread message). `nonce` is the one
 * `createUndoRequest` (undo.ts) returned: the button carries it and nothing else. A click is
 * approval-gated like the plan, then starts the rollback state machine once.
 */
export function undoButton(nonce: string): types.Button {
  if (nonce.length === 0 || nonce.length > MAX_BUTTON_VALUE) {
    throw new RangeError(`undoButton: the nonce must be 1 to ${MAX_BUTTON_VALUE} characters`);
  }
  return {
    type: 'button',
    action_id: UNDO_ACTION_ID,
    text: { type: 'plain_text', text: 'Undo containment' },
    value: nonce,
    confirm: {
      title: { type: 'plain_text', text: 'Roll back this incident?' },
      text: {
        type: 'mrkdwn',
        text: 'This removes the responder’s deny statements and session revocation for this incident. Deactivated access keys stay inactive. An approver must confirm (two if the two-person rule is on).',
      },
      confirm: { type: 'plain_text', text: 'Roll back' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    },
  };
}
