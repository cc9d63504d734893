import { createHmac, timingSafeEqual } from 'node:crypto';
import { log } from '../shared/log.js';
import type { SlackLambdaHandler } from './app.js';
import { malformedInteraction } from './request-shape.js';

/**
 * The door of the interaction endpoint: what every request passes before anything reads its body.
 * Slack signs `v0:<timestamp>:<raw body>` with HMAC-SHA256 and the app's signing secret; a request
 * is let in only when that signature checks out over the bytes received and the timestamp is within
 * 5 minutes of now, either way. Everything is decided in this order, cheapest first, so that an
 * unsigned request of any size costs a few string comparisons:
 *
 * 1. the body is at most 64 KB (measured on the encoded text before any decoding; a
 *    base64-encoded Function URL body is measured by its encoded length, then decoded): else 413;
 * 2. the timestamp is whole seconds within the window, the signature is `v0=` and 64 hex digits:
 *    else 401;
 * 3. the HMAC over the raw bytes matches (constant-time compare): else 401.
 *
 * Refusals have an empty body: a caller who cannot sign learns nothing about what we accept.
 * Only then is the body parsed: a signed request that is not an interaction this endpoint handles
 * gets an empty 400 (the problem is logged), and the rest goes to Bolt, whose receiver checks the
 * signature again.
 */

/** Slack's replay window: a request timestamp more than this far from now, either way, is refused. */
export const MAX_REQUEST_SKEW_SECONDS = 300;

/**
 * The largest body let in. Slack's biggest interaction for this app (a click on the largest
 * approval message, which carries the whole message) is about 28 KB form-encoded.
 */
export const MAX_BODY_BYTES = 65_536;

/** The longest base64 text whose decoded bytes can be within `MAX_BODY_BYTES`. */
const MAX_BASE64_CHARS = Math.ceil(MAX_BODY_BYTES / 3) * 4;

/** A Function URL event as the door reads it. */
export interface DoorEvent {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Record<string, unknown> | null;
}

/** A bare refusal: no body, so nothing about the endpoint leaks. */
export interface Refusal {
  readonly statusCode: 400 | 401 | 413;
  readonly body: '';
}

/** What passed the cheap checks: the timestamp and signature as sent, and the raw body bytes. */
export interface Admitted {
  readonly timestamp: string;
  readonly signature: Buffer;
  readonly rawBody: Buffer;
}

const refuse = (statusCode: Refusal['statusCode'], why: string): Refusal => {
  log.warn('slack request refused at the door', { statusCode, why });
  return { statusCode, body: '' };
};

/** A header by name, whatever its case, when it is one string. */
function header(headers: DoorEvent['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The checks that need no secret and no hashing (size, timestamp window, signature syntax).
 * Returns the refusal, or what the signature check needs. Costs O(1) on a refused oversize body.
 */
export function admit(event: DoorEvent, nowMillis: number): Refusal | Admitted {
  const body = event.body ?? '';
  if (typeof body !== 'string') return refuse(400, 'the body is not text');
  if (event.isBase64Encoded ? body.length > MAX_BASE64_CHARS : body.length > MAX_BODY_BYTES) {
    return refuse(413, 'body over 64 KB');
  }
  const timestamp = header(event.headers, 'x-slack-request-timestamp');
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return refuse(401, 'no valid timestamp');
  if (Math.abs(nowMillis / 1000 - Number(timestamp)) > MAX_REQUEST_SKEW_SECONDS) {
    return refuse(401, 'timestamp outside the window');
  }
  const signature = header(event.headers, 'x-slack-signature');
  if (signature === undefined || !/^v0=[0-9a-f]{64}$/.test(signature)) return refuse(401, 'no valid signature');
  const rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (rawBody.length > MAX_BODY_BYTES) return refuse(413, 'body over 64 KB');
  return { timestamp, signature: Buffer.from(signature.slice(3), 'hex'), rawBody };
}

/** Whether the v0 signature is the HMAC-SHA256 of `v0:<timestamp>:<raw body>` under `signingSecret`. */
export function signatureMatches(admitted: Admitted, signingSecret: string): boolean {
  const expected = createHmac('sha256', signingSecret)
    .update(`v0:${admitted.timestamp}:`)
    .update(admitted.rawBody)
    .digest();
  return expected.length === admitted.signature.length && timingSafeEqual(expected, admitted.signature);
}

/**
 * The whole door around Bolt's Lambda handler: `admit`, the signature, then the shape of the
 * interaction (`request-shape.ts`, an empty 400), and only then Bolt.
 */
export function withRequestWindow(
  handler: SlackLambdaHandler,
  options: { signingSecret: string; nowMillis?: () => number },
): SlackLambdaHandler {
  const now = options.nowMillis ?? Date.now;
  return async (event, context) => {
    const admitted = admit(event, now());
    if ('statusCode' in admitted) return admitted;
    if (!signatureMatches(admitted, options.signingSecret)) return refuse(401, 'signature mismatch');
    // Bolt throws on a body that is not JSON and fails with a 500 on a payload without the fields it reads.
    const problem = malformedInteraction(event)?.slice(0, 200);
    if (problem !== undefined) {
      log.warn('malformed interaction refused', { problem });
      return { statusCode: 400, body: '' };
    }
    return handler(event, context);
  };
}
