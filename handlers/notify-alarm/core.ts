import * as z from 'zod';
import { InvalidTaskInput } from '../shared/errors.js';
import type { ChatMessage, ChatPort } from '../shared/ports.js';
import { mrkdwn } from '../shared/render/escape.js';
import { clip } from '../shared/schemas/display.js';

/** An SNS delivery to Lambda: one record per message. */
export const SnsEvent = z.object({
  Records: z
    .array(
      z.looseObject({
        Sns: z.looseObject({ Message: z.string(), Subject: z.string().nullish() }),
      }),
    )
    .min(1),
});

/** The JSON a CloudWatch alarm publishes to SNS (the fields read here). */
export const AlarmNotification = z.looseObject({
  AlarmName: z.string().min(1),
  NewStateValue: z.string().min(1),
  NewStateReason: z.string().optional(),
  AlarmDescription: z.string().nullish(),
  StateChangeTime: z.string().optional(),
});
export type AlarmNotification = z.infer<typeof AlarmNotification>;

const MARK: Record<string, string> = { ALARM: ':rotating_light:', OK: ':white_check_mark:' };
const REASON_CHARS = 600;

/**
 * The Slack message for one alarm notification: the alarm's name and new state, its description
 * and the reason CloudWatch gives. Every value passes through `mrkdwn` (escaped, one line), so an
 * alarm name or reason can neither mention anyone nor link anywhere.
 */
export function alarmMessage(alarm: AlarmNotification): ChatMessage {
  const mark = MARK[alarm.NewStateValue] ?? ':grey_question:';
  const headline = `${mark} *${mrkdwn(alarm.AlarmName)}* is ${mrkdwn(alarm.NewStateValue)}`;
  const lines = [
    headline,
    alarm.AlarmDescription ? mrkdwn(alarm.AlarmDescription) : undefined,
    alarm.NewStateReason ? `_${mrkdwn(clip(alarm.NewStateReason, REASON_CHARS))}_` : undefined,
    alarm.StateChangeTime ? `since ${mrkdwn(alarm.StateChangeTime)}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return {
    text: `${mrkdwn(alarm.AlarmName)} is ${mrkdwn(alarm.NewStateValue)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}

/** Anything else published to the topic (a test message, say): its subject or first characters, as text. */
function otherMessage(subject: string | null | undefined, body: string): ChatMessage {
  const text = `Notification on the alarm topic: ${mrkdwn(clip(subject || body, REASON_CHARS))}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Posts each notification of an SNS delivery in the channel, in order. */
export async function notifyAlarms(event: unknown, ports: { chat: ChatPort; channel: string }): Promise<number> {
  const parsed = SnsEvent.safeParse(event);
  if (!parsed.success) throw new InvalidTaskInput('notifyAlarm', 'Records', 'must be an SNS delivery');
  for (const record of parsed.data.Records) {
    const alarm = AlarmNotification.safeParse(parseJson(record.Sns.Message));
    const message = alarm.success ? alarmMessage(alarm.data) : otherMessage(record.Sns.Subject, record.Sns.Message);
    await ports.chat.post({ channel: ports.channel, message });
  }
  return parsed.data.Records.length;
}
