import { parse as parseQuery } from 'node:querystring';
import * as z from 'zod';
import { firstIssue } from '../shared/schemas/primitives.js';

/**
 * The shape of an interaction request, checked after the door (`door.ts`) has verified the
 * signature and before Bolt sees it. Bolt's receiver throws on a body that is not JSON (the Lambda
 * invocation fails), and Bolt and the listeners read `user.id`, `actions[…]`, `view.…` as Slack
 * sends them, so a payload that lacks one fails with a TypeError and a 500. Slack never sends such
 * a request; it gets an empty 400 (the problem named here goes to the log), and nothing is read or called.
 */

/**
 * The nonce a button or a modal carries: ours are 32 base64url characters, so anything but
 * printable ASCII can never name a request and is refused before the store is read.
 */
const Nonce = z
  .string()
  .max(512, 'must be at most 512 characters')
  .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII');

const SlackId = z.string().min(1).max(255);
const Named = z.looseObject({ id: SlackId });
const HttpUrl = z
  .string()
  .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), 'must be an http(s) URL');
const Checkboxes = z.looseObject({
  selected_options: z.array(z.looseObject({ value: z.string().max(255) })).max(50),
});
const Common = {
  user: Named,
  team: Named.nullable().optional(),
  enterprise: Named.nullable().optional(),
  api_app_id: z.string().max(255).optional(),
  trigger_id: z.string().max(255).optional(),
};

const BlockActions = z.looseObject({
  ...Common,
  type: z.literal('block_actions'),
  channel: Named.optional(),
  // Every button of ours is in a message, which always comes with one: ephemeral answers go there.
  response_url: HttpUrl,
  actions: z
    .array(
      z.looseObject({
        action_id: z.string().min(1).max(255),
        block_id: z.string().max(255).optional(),
        value: Nonce.optional(),
      }),
    )
    .min(1)
    .max(25),
  state: z
    .looseObject({ values: z.record(z.string(), z.record(z.string(), z.union([Checkboxes, z.looseObject({})]))) })
    .optional(),
});

const ViewSubmission = z.looseObject({
  ...Common,
  type: z.literal('view_submission'),
  view: z.looseObject({
    callback_id: z.string().max(255),
    private_metadata: Nonce,
    state: z
      .looseObject({
        values: z.record(
          z.string(),
          z.record(z.string(), z.looseObject({ value: z.string().max(3000).nullable().optional() })),
        ),
      })
      .optional(),
  }),
});

const Interaction = z.discriminatedUnion('type', [BlockActions, ViewSubmission], {
  error: 'type must be block_actions or view_submission',
});

/** Headers as Bolt reads them: by name, whatever the case. */
function header(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

/**
 * Why a request cannot be an interaction this endpoint handles, or undefined. Reads the body as
 * Bolt's `AwsLambdaReceiver` does (form `payload=<json>`, JSON, or any other type parsed as JSON).
 */
export function malformedInteraction(event: {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, unknown>;
}): string | undefined {
  const raw =
    event.body === undefined || event.body === null
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('ascii')
        : event.body;
  const form = header(event.headers ?? {}, 'content-type') === 'application/x-www-form-urlencoded';
  let text = raw;
  if (form) {
    const payload = parseQuery(raw).payload;
    if (payload === undefined) return 'the body has no payload field';
    if (typeof payload !== 'string') return 'the body has more than one payload field';
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return form ? 'payload is not valid JSON' : 'the body is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'payload must be a JSON object';
  const parsed = Interaction.safeParse(value);
  if (parsed.success) return undefined;
  const { path, message } = firstIssue(parsed.error);
  return `payload${path ? `.${path}` : ''}: ${message}`;
}
