import type { ChatRecord } from './chat.js';

/** One Slack Web API call as the run made it: the method and its payload (DESIGN §10 `slackMessages`). */
export interface SlackApiMessage {
  readonly method: 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral';
  readonly channel: string;
  readonly ts?: string;
  readonly thread_ts?: string;
  readonly text: string;
  readonly blocks?: unknown[];
}

/**
 * Which scenario event each Slack call belongs to. Events can start while another waits for its
 * approval (they run nested), so a call belongs to the innermost event running when it is made.
 */
export class SlackLog {
  private readonly running: number[] = [];
  private readonly byEvent = new Map<number, SlackApiMessage[]>();

  /** Runs one event's execution with its Slack calls attributed to it. */
  async during<T>(index: number, run: () => Promise<T>): Promise<T> {
    this.running.push(index);
    try {
      return await run();
    } finally {
      this.running.pop();
    }
  }

  /** Records a post or an update as the Slack API payload it stands for. */
  record(record: ChatRecord, kind: 'post' | 'update'): void {
    const index = this.running.at(-1);
    if (index === undefined) return;
    const { text, blocks } = record.message;
    const message: SlackApiMessage =
      kind === 'post'
        ? {
            method: 'chat.postMessage',
            channel: record.ref.channel,
            ...(record.threadTs ? { thread_ts: record.threadTs } : {}),
            text,
            ...(blocks ? { blocks } : {}),
          }
        : {
            method: 'chat.update',
            channel: record.ref.channel,
            ts: record.ref.ts,
            text,
            ...(blocks ? { blocks } : {}),
          };
    const list = this.byEvent.get(index) ?? [];
    list.push(message);
    this.byEvent.set(index, list);
  }

  /** The calls made while the event at `index` ran, in order. */
  messagesOf(index: number): SlackApiMessage[] {
    return this.byEvent.get(index) ?? [];
  }
}
