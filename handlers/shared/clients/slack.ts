import {
  type ChatPostMessageArguments,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  type WebClient,
} from '@slack/web-api';
import { ResponderError } from '../errors.js';
import type { ChatPort } from '../ports.js';

/** Slack refused or failed a Web API call. `slackError` is Slack's own code (`channel_not_found`…). */
export class SlackApiError extends ResponderError {
  override readonly name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly slackError: string,
  ) {
    super(`Slack ${method} failed: ${slackError}`);
  }
}

type Blocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];

function slackErrorCode(error: unknown): string {
  if (error instanceof WebAPIPlatformError) return error.data.error;
  if (error instanceof WebAPIRateLimitedError) return `ratelimited (retry after ${error.retryAfter} s)`;
  if (error instanceof WebAPIHTTPError) return `http_${error.statusCode}`;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

async function slackCall<T>(method: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SlackApiError) throw error;
    throw new SlackApiError(method, slackErrorCode(error));
  }
}

/**
 * The chat port against Slack's Web API. `post` is chat.postMessage (in a thread when `threadTs`
 * is given) and returns the message's channel id and ts, the reference `update` (chat.update)
 * takes. Any failure is a SlackApiError carrying Slack's error code. The blocks are passed as the
 * core built them (Block Kit JSON).
 */
export function slackChatPort(client: WebClient): ChatPort {
  return {
    post: ({ channel, message, threadTs }) =>
      slackCall('chat.postMessage', async () => {
        const result = await client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks as Blocks,
          thread_ts: threadTs,
        });
        if (!result.ts) throw new SlackApiError('chat.postMessage', 'no_ts_in_response');
        return { channel: result.channel ?? channel, ts: result.ts };
      }),

    update: ({ ref, message }) =>
      slackCall('chat.update', async () => {
        await client.chat.update({
          channel: ref.channel,
          ts: ref.ts,
          text: message.text,
          blocks: message.blocks as Blocks,
        });
      }),
  };
}
