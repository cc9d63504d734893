import type { ChatPostMessageArguments, ChatUpdateArguments, ErrorCode } from '@slack/web-api';
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

/**
 * What the chat port needs of a Slack Web API client. `WebClient` from @slack/web-api has it (the
 * tests use one), and so has `slackWebApi` below, which the functions use.
 */
export interface SlackChatClient {
  readonly chat: {
    postMessage(args: ChatPostMessageArguments): Promise<{ channel?: string; ts?: string }>;
    update(args: ChatUpdateArguments): Promise<unknown>;
  };
}

/** The `code` of @slack/web-api's errors (compared by value: importing the package's classes would bundle all of it). */
const PLATFORM_ERROR: `${ErrorCode.PlatformError}` = 'slack_webapi_platform_error';
const RATE_LIMITED: `${ErrorCode.RateLimitedError}` = 'slack_webapi_rate_limited_error';
const HTTP_ERROR: `${ErrorCode.HTTPError}` = 'slack_webapi_http_error';
const REQUEST_ERROR: `${ErrorCode.RequestError}` = 'slack_webapi_request_error';

interface SlackErrorFields {
  code?: unknown;
  data?: { error?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
}

function slackErrorCode(error: unknown): string {
  const e: SlackErrorFields = typeof error === 'object' && error !== null ? error : {};
  if (e.code === PLATFORM_ERROR) return String(e.data?.error);
  if (e.code === RATE_LIMITED) return `ratelimited (retry after ${e.retryAfter} s)`;
  if (e.code === HTTP_ERROR) return `http_${e.statusCode}`;
  if (error instanceof Error && typeof e.code === 'string') return e.code;
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
export function slackChatPort(client: SlackChatClient): ChatPort {
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

export interface SlackWebApiOptions {
  /** @default 'https://slack.com/api/' (GovSlack: 'https://slack-gov.com/api/'; a local fake in tests) */
  readonly slackApiUrl?: string;
  /** Further attempts after a network failure, an HTTP error or a rate limit. @default 2 */
  readonly retries?: number;
  /** The wait before the n-th retry is min(1 s × 2^(n-1), this); a rate limit waits its Retry-After instead. @default 2000 */
  readonly maxDelayMs?: number;
}

type SlackError = Error & SlackErrorFields;
type Answer = { result: Record<string, unknown> } | { retryAfter: number };

function slackError(message: string, fields: SlackErrorFields & { code: string }): SlackError {
  return Object.assign(new Error(message), fields);
}

/** As @slack/web-api sends arguments: form-encoded, objects as JSON, nothing for undefined or null. */
function formBody(args: object): URLSearchParams {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    body.set(key, scalar ? String(value) : JSON.stringify(value));
  }
  return body;
}

/**
 * chat.postMessage and chat.update over `fetch`, as @slack/web-api's `WebClient` makes them
 * (form-encoded POST, bearer token; `ok: false` is an error carrying Slack's code and is not
 * retried; a network failure or an HTTP error is retried, a 429 after its Retry-After) and with
 * the same error codes, so `slackChatPort` reports both alike. The functions post through this:
 * `WebClient` and its queue and retry packages are 60 KB of each bundle for two methods.
 */
export function slackWebApi(token: string, options: SlackWebApiOptions = {}): SlackChatClient {
  const apiUrl = options.slackApiUrl ?? 'https://slack.com/api/';
  const retries = options.retries ?? 2;
  const maxDelayMs = options.maxDelayMs ?? 2000;

  /** One request: Slack's answer, or how long a 429 asks to wait; throws on a network or HTTP failure. */
  async function attempt(method: string, body: URLSearchParams): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${apiUrl}${method}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body,
        redirect: 'error',
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw slackError(`A request error occurred: ${message}`, { code: REQUEST_ERROR });
    }
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    if (response.status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0) {
      await response.body?.cancel();
      return { retryAfter };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw slackError(`An HTTP protocol error occurred: statusCode = ${response.status}`, {
        code: HTTP_ERROR,
        statusCode: response.status,
      });
    }
    return { result: (await response.json()) as Record<string, unknown> };
  }

  async function call(method: string, args: object): Promise<Record<string, unknown>> {
    const body = formBody(args);
    for (let retry = 0; ; retry += 1) {
      const answer = await attempt(method, body).catch((error: SlackError) => ({ error }));
      if ('result' in answer) {
        if (answer.result.ok === true) return answer.result;
        throw slackError(`An API error occurred: ${String(answer.result.error)}`, {
          code: PLATFORM_ERROR,
          data: answer.result,
        });
      }
      if (retry >= retries) {
        if ('error' in answer) throw answer.error;
        throw slackError(`A rate-limit has been reached, you may retry this request in ${answer.retryAfter} seconds`, {
          code: RATE_LIMITED,
          retryAfter: answer.retryAfter,
        });
      }
      await delay('retryAfter' in answer ? answer.retryAfter * 1000 : Math.min(1000 * 2 ** retry, maxDelayMs));
    }
  }

  return {
    chat: {
      postMessage: (args) => call('chat.postMessage', args),
      update: (args) => call('chat.update', args),
    },
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
