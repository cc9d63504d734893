import type { AwsLambdaReceiver } from '@slack/bolt';
import { awsTaskCallbackPort } from '../shared/clients/sfn.js';
import { lazySlackChat, slackSecret } from '../shared/clients/slack-secret.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { buildSlackApp } from './app.js';

type ReceiverHandler = Awaited<ReturnType<AwsLambdaReceiver['start']>>;

let started: Promise<ReceiverHandler> | undefined;

/** Lambda Function URL → Bolt `AwsLambdaReceiver`. */
export const handler = async (...args: Parameters<ReceiverHandler>) => {
  started ??= slackSecret().then(({ signingSecret, botToken }) => {
    const { receiver } = buildSlackApp({
      signingSecret,
      botToken,
      ports: { store: dynamoStore(), callbacks: awsTaskCallbackPort(), chat: lazySlackChat(), clock: systemClock },
    });
    return receiver.start();
  });
  return (await started)(...args);
};
