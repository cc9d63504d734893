import { CloudTrailClient, CloudTrailServiceException, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsCloudTrailPort, type LimiterTiming } from '../../handlers/shared/clients/cloudtrail.js';
import { AwsAccessDenied, AwsServiceError, AwsThrottling } from '../../handlers/shared/errors.js';

const cloudtrail = mockClient(CloudTrailClient);
const ACCOUNT = '111111111111';

const record = (eventName: string, eventTime: string) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', userName: 'alice', accessKeyId: 'AKIAEXAMPLE1', accountId: ACCOUNT },
  eventTime,
  eventSource: 'iam.amazonaws.com',
  eventName,
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7',
  requestParameters: { userName: 'alice' },
  responseElements: null,
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: ACCOUNT,
});

/** A clock that moves only when the test says so; every wait the limiter asks for is recorded, none is real. */
function fakeTiming(): LimiterTiming & { sleeps: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

const query = (overrides: { accountId?: string; region?: string; nextToken?: string } = {}) => ({
  accountId: ACCOUNT,
  region: 'us-east-1',
  attribute: { key: 'AccessKeyId' as const, value: 'AKIAEXAMPLE1' },
  startTime: '2024-06-01T00:00:00.000Z',
  endTime: '2024-06-04T00:00:00.000Z',
  ...overrides,
});

describe('awsCloudTrailPort', () => {
  beforeEach(() => {
    cloudtrail.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
    vi.stubEnv('RESPONDER_SILENT', '1');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('looks up one attribute over the window, 50 a page, and parses the records', async () => {
    const first = record('CreateAccessKey', '2024-06-03T10:00:00Z');
    const second = record('PutUserPolicy', '2024-06-02T10:00:00Z');
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        { EventId: 'e1', EventName: 'CreateAccessKey', CloudTrailEvent: JSON.stringify(first) },
        { EventId: 'e2', EventName: 'PutUserPolicy', CloudTrailEvent: JSON.stringify(second) },
      ],
      NextToken: 'next-page',
    });

    const page = await awsCloudTrailPort(fakeTiming()).lookupEvents(query({ nextToken: 'this-page' }));

    expect(page).toEqual({ records: [first, second], nextToken: 'next-page' });
    expect(cloudtrail.commandCalls(LookupEventsCommand)[0]?.args[0].input).toEqual({
      LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'AKIAEXAMPLE1' }],
      StartTime: new Date('2024-06-01T00:00:00.000Z'),
      EndTime: new Date('2024-06-04T00:00:00.000Z'),
      MaxResults: 50,
      NextToken: 'this-page',
    });
  });

  it('skips events that do not parse instead of failing the page', async () => {
    const good = record('CreateAccessKey', '2024-06-03T10:00:00Z');
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        { EventId: 'e1', CloudTrailEvent: '{not json' },
        { EventId: 'e2', CloudTrailEvent: JSON.stringify({ eventName: 'NoTimeNorSource' }) },
        { EventId: 'e3' },
        { EventId: 'e4', CloudTrailEvent: JSON.stringify(good) },
      ],
    });

    const page = await awsCloudTrailPort(fakeTiming()).lookupEvents(query());

    expect(page).toEqual({ records: [good], nextToken: undefined });
  });

  it('holds calls to 2 a second per account and Region', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    const timing = fakeTiming();
    const port = awsCloudTrailPort(timing);

    await Promise.all([port.lookupEvents(query()), port.lookupEvents(query()), port.lookupEvents(query())]);
    await port.lookupEvents(query({ region: 'eu-west-1' }));

    expect(timing.sleeps).toEqual([500, 1000]);
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 4);
  });

  it('does not wait when calls are already far enough apart', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    const timing = fakeTiming();
    const port = awsCloudTrailPort(timing);

    await port.lookupEvents(query());
    timing.advance(600);
    await port.lookupEvents(query());

    expect(timing.sleeps).toEqual([]);
  });

  it('maps throttling and access denied to named errors', async () => {
    const failure = (name: string) =>
      new CloudTrailServiceException({ name, message: name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    cloudtrail
      .on(LookupEventsCommand)
      .rejectsOnce(failure('ThrottlingException'))
      .rejectsOnce(failure('AccessDeniedException'));
    const port = awsCloudTrailPort(fakeTiming());

    await expect(port.lookupEvents(query())).rejects.toBeInstanceOf(AwsThrottling);
    await expect(port.lookupEvents(query())).rejects.toBeInstanceOf(AwsAccessDenied);
  });

  it('sends exactly one lookup attribute, no NextToken on the first page, and reads an empty NextToken as the end', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [], NextToken: '' });

    const page = await awsCloudTrailPort(fakeTiming()).lookupEvents({
      ...query(),
      attribute: { key: 'Username', value: 'i-0abc1234def567890' },
    });

    expect(page).toEqual({ records: [], nextToken: undefined });
    const input = cloudtrail.commandCalls(LookupEventsCommand)[0]?.args[0].input;
    expect(input).toEqual({
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'i-0abc1234def567890' }],
      StartTime: new Date('2024-06-01T00:00:00.000Z'),
      EndTime: new Date('2024-06-04T00:00:00.000Z'),
      MaxResults: 50,
      NextToken: undefined,
    });
    expect(input?.StartTime).toBeInstanceOf(Date);
    expect(input?.EndTime).toBeInstanceOf(Date);
  });

  it('maps the validation errors LookupEvents names to AwsServiceError, which is not retried', async () => {
    const failure = (name: string) =>
      new CloudTrailServiceException({ name, message: name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    cloudtrail
      .on(LookupEventsCommand)
      .rejectsOnce(failure('InvalidTimeRangeException'))
      .rejectsOnce(failure('InvalidLookupAttributesException'))
      .rejectsOnce(failure('InvalidNextTokenException'));
    const port = awsCloudTrailPort(fakeTiming());

    for (const code of ['InvalidTimeRangeException', 'InvalidLookupAttributesException', 'InvalidNextTokenException']) {
      const call = port.lookupEvents(query());
      await expect(call).rejects.toBeInstanceOf(AwsServiceError);
      await expect(call).rejects.toThrow(new RegExp(`^cloudtrail:LookupEvents failed: ${code}`));
    }
  });
});
