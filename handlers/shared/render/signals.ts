import type { ChatMessage } from '../ports.js';
import { mrkdwn } from './escape.js';

/** The `block_id` of the approval message's signal count: replaced in place when a signal folds in. */
export const SIGNALS_BLOCK_ID = 'signals';

/** Slack's cap on blocks in one message. */
const MAX_BLOCKS = 50;

export interface SignalsView {
  /** Signals the incident holds: its first and every one folded in since. */
  readonly count: number;
  /** When the latest of them arrived (ISO 8601). */
  readonly lastSeen: string;
}

/** One context line: how many signals the incident holds and when the latest arrived. */
export function signalsBlock(view: SignalsView): Record<string, unknown> {
  const text = `Signals: ${view.count} · last seen ${mrkdwn(view.lastSeen.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}`;
  return { type: 'context', block_id: SIGNALS_BLOCK_ID, elements: [{ type: 'mrkdwn', text }] };
}

/**
 * The message with its signals line set: the block with `SIGNALS_BLOCK_ID` replaced, else added
 * after the header and context lines (when the message has room under Slack's 50 blocks). Every
 * other block, the checkboxes and the buttons with their nonce included, is kept as it is.
 */
export function withSignals(message: ChatMessage, view: SignalsView): ChatMessage {
  const blocks = [...(message.blocks ?? [])];
  const block = signalsBlock(view);
  const at = blocks.findIndex((candidate) => (candidate as { block_id?: unknown })?.block_id === SIGNALS_BLOCK_ID);
  if (at >= 0) blocks[at] = block;
  else if (blocks.length < MAX_BLOCKS) blocks.splice(Math.min(2, blocks.length), 0, block);
  else return message;
  return { ...message, blocks };
}
