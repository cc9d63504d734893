import { awsRollbackStarter, awsTaskCallbackPort } from '../shared/clients/sfn.js';
import { lazySlackChat, slackApiUrl, slackSecret } from '../shared/clients/slack-secret.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { requireEnv } from '../shared/env.js';
import { observe } from '../shared/observe.js';
import { buildSlackApp, type SlackLambdaHandler } from './app.js';
import { admit, withRequestWindow } from './door.js';

let started: Promise<SlackLambdaHandler> | undefined;

/**
 * Lambda Function URL → the door (`door.ts`: size, timestamp, signature) → Bolt `AwsLambdaReceiver`.
 * The checks that need no secret run first, so an unsigned or oversize request is refused without
 * reading the secret or starting Bolt.
 */
export const handler = observe('slack', async (...args: Parameters<SlackLambdaHandler>) => {
  const refused = admit(args[0], Date.now());
  if ('statusCode' in refused) return refused;
  if (!started) {
    started = slackSecret().then(async ({ signingSecret, botToken, botId, botUserId }) => {
      const { receiver } = buildSlackApp({
        signingSecret,
        botToken,
        botId,
        botUserId,
        slackApiUrl: slackApiUrl(),
        ports: {
          store: dynamoStore(),
          callbacks: awsTaskCallbackPort(),
          chat: lazySlackChat(),
          clock: systemClock,
          rollback: awsRollbackStarter(requireEnv('ROLLBACK_STATE_MACHINE_ARN')),
          closeApprovers: (process.env.CLOSE_APPROVERS ?? '').split(',').filter(Boolean),
        },
      });
      return withRequestWindow(await receiver.start(), { signingSecret });
    });
    // A failed start (the secret unreadable) is retried by the next request, not kept.
    started.catch(() => {
      started = undefined;
    });
  }
  return (await started)(...args);
});
