import { createHmac } from 'node:crypto';

/** A Lambda Function URL event, as the Slack handler receives it. */
export interface SignedSlackEvent {
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly headers: Record<string, string>;
}

/**
 * A Function URL event whose raw body is signed as Slack signs requests (v0: HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the signing secret). Used by the local runs and the tests.
 */
export function signedSlackEvent(
  body: string,
  options: { secret: string; timestamp?: number; contentType?: string; base64?: boolean },
): SignedSlackEvent {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
  };
}

/** The form body Slack posts for an interaction: `payload=<JSON>`. */
export const interactionBody = (payload: unknown): string => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
