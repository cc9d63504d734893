import { lazySlackChat } from '../shared/clients/slack-secret.js';
import { requireEnv } from '../shared/env.js';
import { observe } from '../shared/observe.js';
import type { ChatPort } from '../shared/ports.js';
import { notifyAlarms } from './core.js';

let chat: ChatPort | undefined;

/** The alarm topic's subscriber: each CloudWatch alarm notification, posted in the responders' Slack channel. */
export const handler = observe('notifyAlarm', async (event: unknown) => {
  chat ??= lazySlackChat();
  return notifyAlarms(event, { chat, channel: requireEnv('SLACK_CHANNEL') });
});
