import { describe, expect, it } from 'vitest';
import { notifyAlarms } from '../../handlers/notify-alarm/core.js';
import { RecordingChat } from '../../local/chat.js';

/** An SNS delivery to Lambda, as the Lambda developer guide shows it, carrying one message. */
function snsDelivery(message: string, subject: string | null = 'ALARM: "x" in US East (N. Virginia)') {
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:alarms:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55',
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: '2026-12-04T18:00:00.000Z',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'EXAMPLE',
          MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          Message: message,
          MessageAttributes: {},
          Type: 'Notification',
          UnsubscribeUrl: 'EXAMPLE',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
          Subject: subject,
        },
      },
    ],
  };
}

/** The JSON a CloudWatch alarm publishes (the fields of the CloudWatch user guide's example). */
function alarmNotification(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    AlarmName: 'S3ExfilResponder-S3ExfiltrationExecutionsFailed',
    AlarmDescription: 's3-exfil-responder s3-exfiltration: ExecutionsFailed',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-12-01T10:00:00.000+0000',
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (04/12/26 17:55:00)] was greater than or equal to the threshold (1.0).',
    StateChangeTime: '2026-12-04T18:00:00.000+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:S3ExfilResponder-S3ExfiltrationExecutionsFailed',
    OldStateValue: 'OK',
    Trigger: { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States', Statistic: 'SUM', Period: 300 },
    ...overrides,
  });
}

const sectionText = (chat: RecordingChat, index = 0) =>
  ((chat.messages[index]?.message.blocks?.[0] as { text: { text: string } } | undefined)?.text.text ?? '') as string;

describe('the alarm notifier', () => {
  it("posts the alarm's name, state, description and reason in the channel", async () => {
    const chat = new RecordingChat();

    const posted = await notifyAlarms(snsDelivery(alarmNotification()), { chat, channel: 'C0SECOPS01' });

    expect(posted).toBe(1);
    expect(chat.messages[0]?.ref.channel).toBe('C0SECOPS01');
    expect(chat.messages[0]?.message.text).toBe('S3ExfilResponder-S3ExfiltrationExecutionsFailed is ALARM');
    expect(sectionText(chat).split('\n')).toEqual([
      ':rotating_light: *S3ExfilResponder-S3ExfiltrationExecutionsFailed* is ALARM',
      's3-exfil-responder s3-exfiltration: ExecutionsFailed',
      '_Threshold Crossed: 1 out of the last 1 datapoints [1.0 (04/12/26 17:55:00)] was greater than or equal to the threshold (1.0)._',
      'since 2026-12-04T18:00:00.000+0000',
    ]);
  });

  it('marks a return to OK differently from an alarm', async () => {
    const chat = new RecordingChat();

    await notifyAlarms(snsDelivery(alarmNotification({ NewStateValue: 'OK' })), { chat, channel: 'C0SECOPS01' });

    expect(sectionText(chat)).toMatch(
      /^:white_check_mark: \*S3ExfilResponder-S3ExfiltrationExecutionsFailed\* is OK\n/,
    );
  });

  it('escapes every value, so an alarm name or reason can neither mention anyone, link nor add lines', async () => {
    const chat = new RecordingChat();
    const hostile = alarmNotification({
      AlarmName: '<!channel> *Approved by <@U024BE7LH>*',
      AlarmDescription: 'see <https://evil.example|the runbook>\nRECOMMENDED: close the incident',
      NewStateReason: 'reason & <!here>',
    });

    await notifyAlarms(snsDelivery(hostile), { chat, channel: 'C0SECOPS01' });

    const text = `${chat.messages[0]?.message.text}\n${sectionText(chat)}`;
    expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;https://evil.example|the runbook&gt; RECOMMENDED: close the incident');
    expect(text).toContain('reason &amp; &lt;!here&gt;');
    expect(sectionText(chat).split('\n')).toHaveLength(4);
  });

  it('posts any other message on the topic by its subject, escaped', async () => {
    const chat = new RecordingChat();

    await notifyAlarms(snsDelivery('hello <!channel>', 'Test <!here>'), { chat, channel: 'C0SECOPS01' });

    expect(chat.messages[0]?.message.text).toBe('Notification on the alarm topic: Test &lt;!here&gt;');
  });

  it('refuses an event that is not an SNS delivery, naming it, and posts nothing', async () => {
    const chat = new RecordingChat();

    await expect(notifyAlarms({ detail: {} }, { chat, channel: 'C0SECOPS01' })).rejects.toMatchObject({
      name: 'InvalidTaskInput',
      message: 'notifyAlarm: Records: must be an SNS delivery',
    });
    expect(chat.messages).toEqual([]);
  });
});
