import type { ChatMessage, ChatMessageRef, ChatPort } from '../handlers/shared/ports.js';

export interface ChatRecord {
  readonly ref: ChatMessageRef;
  readonly threadTs?: string;
  message: ChatMessage;
  readonly history: ChatMessage[];
}

/** A Slack channel in memory: keeps every message, its thread and every update, in order. */
export class RecordingChat implements ChatPort {
  readonly messages: ChatRecord[] = [];
  private sequence = 0;
  constructor(private readonly onPost?: (record: ChatRecord, kind: 'post' | 'update') => void) {}

  async post(args: { channel: string; message: ChatMessage; threadTs?: string }): Promise<ChatMessageRef> {
    this.sequence += 1;
    const ref = { channel: args.channel, ts: `1700000000.${String(this.sequence).padStart(6, '0')}` };
    const record: ChatRecord = { ref, threadTs: args.threadTs, message: args.message, history: [args.message] };
    this.messages.push(record);
    this.onPost?.(record, 'post');
    return ref;
  }

  async update(args: { ref: ChatMessageRef; message: ChatMessage }): Promise<void> {
    const record = this.messages.find(
      (candidate) => candidate.ref.ts === args.ref.ts && candidate.ref.channel === args.ref.channel,
    );
    if (!record) throw new Error(`slack: message_not_found: ${args.ref.ts}`);
    record.message = args.message;
    record.history.push(args.message);
    this.onPost?.(record, 'update');
  }
}

type Block = {
  type?: string;
  text?: { text?: string };
  elements?: Record<string, unknown>[];
  fields?: { text?: string }[];
};

/** Block Kit as terminal text: what a responder would see in Slack, without the styling. */
export function blocksToText(message: ChatMessage): string {
  if (!message.blocks?.length) return message.text;
  const lines: string[] = [];
  for (const raw of message.blocks as Block[]) {
    switch (raw.type) {
      case 'header':
        lines.push(`== ${raw.text?.text ?? ''} ==`);
        break;
      case 'section':
        lines.push(
          ...mrkdwnToText(raw.text?.text ?? '').split('\n'),
          ...(raw.fields ?? []).map((field) => mrkdwnToText(field.text ?? '')),
        );
        break;
      case 'context':
        lines.push(...(raw.elements ?? []).map((element) => `(${String(element.text ?? '')})`));
        break;
      case 'actions':
        for (const element of raw.elements ?? []) {
          if (element.type === 'checkboxes') {
            const initial = new Set(
              ((element.initial_options as { value: string }[]) ?? []).map((option) => option.value),
            );
            for (const option of (element.options as { value: string; text: { text: string } }[]) ?? []) {
              lines.push(`  [${initial.has(option.value) ? 'x' : ' '}] ${option.text.text}  (${option.value})`);
            }
          } else if (element.type === 'button') {
            const url = typeof element.url === 'string' ? ` ${element.url}` : '';
            lines.push(`  <${(element.text as { text: string }).text}>${url}`);
          }
        }
        break;
      case 'divider':
        lines.push('—');
        break;
      default:
        break;
    }
  }
  return lines.join('\n');
}

/** Bold markers dropped outside code; a code block keeps every character (a policy has `*`). */
function mrkdwnToText(text: string): string {
  return text
    .split('```')
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/\*([^*\n]+)\*/g, '$1')))
    .join('');
}
