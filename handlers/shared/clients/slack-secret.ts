import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requireEnv } from '../env.js';
import type { ChatPort } from '../ports.js';
import { traced } from '../tracing.js';
import { slackChatPort, slackWebApi } from './slack.js';

/**
 * The Slack app's credentials, kept in Secrets Manager as `{"signingSecret","botToken"}`, with the
 * bot's ids optionally (`"botId": "B…"`, `"botUserId": "U…"`; the interaction endpoint never asks
 * Slack for them, so it makes no Web API call before acknowledging a click).
 */
export interface SlackSecret {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly botId?: string;
  readonly botUserId?: string;
}

let cached: Promise<SlackSecret> | undefined;

/** Reads the secret named by `SLACK_SECRET_ARN` once per container. */
export function slackSecret(): Promise<SlackSecret> {
  cached ??= (async () => {
    const client = traced(new SecretsManagerClient({}));
    const result = await client.send(new GetSecretValueCommand({ SecretId: requireEnv('SLACK_SECRET_ARN') }));
    const value = JSON.parse(result.SecretString ?? '{}') as Partial<SlackSecret>;
    if (!value.signingSecret || !value.botToken) {
      throw new Error('the Slack secret must hold {"signingSecret": "...", "botToken": "xoxb-..."}');
    }
    return {
      signingSecret: value.signingSecret,
      botToken: value.botToken,
      botId: typeof value.botId === 'string' ? value.botId : undefined,
      botUserId: typeof value.botUserId === 'string' ? value.botUserId : undefined,
    };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/**
 * Where the Slack Web API is: `SLACK_API_URL` when set (GovSlack's `https://slack-gov.com/api/`, or
 * a local fake in the bundled-handler test and the bench), else Slack's default.
 */
export function slackApiUrl(): string | undefined {
  return process.env.SLACK_API_URL || undefined;
}

/** A chat port whose client is built on first use, once the secret is read. */
export function lazySlackChat(): ChatPort {
  let port: Promise<ChatPort> | undefined;
  const get = () => {
    port ??= slackSecret().then((secret) =>
      slackChatPort(slackWebApi(secret.botToken, { slackApiUrl: slackApiUrl(), retries: 2, maxDelayMs: 2000 })),
    );
    return port;
  };
  return {
    post: async (args) => (await get()).post(args),
    update: async (args) => (await get()).update(args),
  };
}
