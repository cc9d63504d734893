import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX, type DetectionRule } from '../../handlers/detect/detection.js';
import { ConfigError } from '../../handlers/shared/errors.js';
import { parseConfig } from '../../infra/config.js';
import type { DetectionRule as PlaybookDetectionRule } from '../../playbooks/define.js';
import { bulkAlarm } from '../support/detections.js';
import { matchesPattern } from '../support/event-pattern.js';
import { DETECTION_SAMPLES } from '../support/rule-samples.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type Built = Awaited<ReturnType<typeof synthStack>>;
type Resource = { Properties: Record<string, unknown> };

const LOG_GROUP = 'aws-cloudtrail-logs-123456789012-org';
let built: Built;
let withTrailLogs: Built;

beforeAll(async () => {
  [built, withTrailLogs] = await Promise.all([
    synthStack(),
    synthStack({ ...BASE_CONFIG, bulkDownloadThreshold: 2500, detections: { cloudTrailLogGroup: LOG_GROUP } }),
  ]);
});

function detectFunction(template: Template): { id: string; resource: Resource } {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, fn]) =>
    JSON.stringify(fn.Properties).includes('NEW_TERMS_TABLE'),
  );
  expect(found).toHaveLength(1);
  const [id, resource] = found[0] as [string, Resource];
  return { id, resource };
}

/** The rendered EventPattern of each detection rule, by rule name (from the rule's description). */
function patterns(template: Template): Record<DetectionRule, unknown> {
  const { id } = detectFunction(template);
  const result: Record<string, unknown> = {};
  for (const rule of Object.values(template.findResources('AWS::Events::Rule')) as Resource[]) {
    const targets = rule.Properties.Targets as { Arn: unknown }[];
    if (!JSON.stringify(targets).includes(id)) continue;
    const name = String(rule.Properties.Description).replace('s3-exfil-responder detection ', '');
    result[name] = rule.Properties.EventPattern;
  }
  return result as Record<DetectionRule, unknown>;
}

function statementsOf(template: Template, roleId: string): { Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const properties = policy.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: [] } };
    return properties.Roles.some((role) => role.Ref === roleId) ? properties.PolicyDocument.Statement : [];
  });
}

const SAMPLES = DETECTION_SAMPLES;

describe('detection rules (EventBridge patterns matched against real-shaped events)', () => {
  it('deploys one rule per detection, each targeting the detection Lambda with a DLQ and retries', () => {
    const { id } = detectFunction(built.template);

    expect(Object.keys(patterns(built.template)).sort()).toEqual([
      'anonymous-rare-source',
      'bulk-download',
      'cross-account-copy',
      'external-kms-copy',
    ]);
    built.template.hasResourceProperties('AWS::Events::Rule', {
      Description: 's3-exfil-responder detection cross-account-copy',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [id, 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 10 },
        }),
      ],
    });
  });

  describe.each(Object.keys(SAMPLES) as DetectionRule[])('%s', (rule) => {
    it.each(SAMPLES[rule].match)('matches %s', (_label, sample) => {
      expect(matchesPattern(patterns(built.template)[rule], sample)).toBe(true);
    });

    it.each(SAMPLES[rule].miss)('does not match %s', (_label, sample) => {
      expect(matchesPattern(patterns(built.template)[rule], sample)).toBe(false);
    });
  });

  it('asserts the exact cross-account pattern', () => {
    expect(patterns(built.template)['cross-account-copy']).toEqual({
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['CopyObject', 'UploadPartCopy', 'PutBucketReplication', 'PutBucketReplicationConfiguration'],
        errorCode: [{ exists: false }],
      },
    });
  });
});

describe('the detection Lambda and its state', () => {
  it('may only start the playbook, write the new-terms table and send to its DLQ', () => {
    const { resource } = detectFunction(built.template);
    const roleId = (resource.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const actions = statementsOf(built.template, roleId).flatMap((statement) =>
      ([] as string[]).concat(statement.Action),
    );

    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'states:StartExecution',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const start = statementsOf(built.template, roleId).find(
      (statement) => statement.Action === 'states:StartExecution',
    );
    expect(JSON.stringify(start?.Resource)).toMatch(/^\{"Ref":"S3Exfiltration[A-Za-z0-9]+"\}$/);
    const dynamo = statementsOf(built.template, roleId).find((statement) =>
      ([] as string[]).concat(statement.Action).includes('dynamodb:PutItem'),
    );
    expect(JSON.stringify(dynamo?.Resource)).toContain('DetectionsNewTerms');
  });

  it('keeps new terms in an on-demand table with TTL on expiresAt and PITR', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('passes the routes and trusted accounts to the function', () => {
    const variables = (detectFunction(built.template).resource.Properties.Environment as { Variables: object })
      .Variables;

    expect(variables).toMatchObject({
      NEW_TERMS_TABLE: { Ref: expect.stringMatching(/^DetectionsNewTerms/) },
      TRUSTED_ACCOUNTS: '',
      BULK_DOWNLOAD_ALARM_PREFIX: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
    });
    expect(JSON.stringify(variables)).toContain('bulk-download');
  });
});

describe('the bulk-download metric filter and alarm', () => {
  it('are absent without the trail’s log group', () => {
    built.template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  it('count GetObject data events in the trail’s log group and alarm above the threshold per hour', () => {
    const template = withTrailLogs.template;
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: LOG_GROUP,
      FilterPattern: '{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "GetObject") }',
      MetricTransformations: [
        { MetricNamespace: 'S3ExfilResponder', MetricName: 'GetObjectRequests', MetricValue: '1', DefaultValue: 0 },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX}-S3ExfilResponder`,
      Namespace: 'S3ExfilResponder',
      MetricName: 'GetObjectRequests',
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 2500,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('names the alarm so that the bulk-download rule matches its state change', () => {
    const alarm = Object.values(withTrailLogs.template.findResources('AWS::CloudWatch::Alarm')).find(
      (resource) => (resource.Properties as { MetricName?: string }).MetricName === 'GetObjectRequests',
    );
    const alarmName = (alarm as Resource | undefined)?.Properties.AlarmName as string;

    expect(matchesPattern(patterns(withTrailLogs.template)['bulk-download'], bulkAlarm({ alarmName }))).toBe(true);
  });

  it('passes cdk-nag AwsSolutions', () => {
    const report = new AwsSolutionsChecks(withTrailLogs.app).validateScope(withTrailLogs.app);

    expect(
      report.violations.map((violation) => `${violation.ruleName} ${JSON.stringify(violation.violatingResources)}`),
    ).toEqual([]);
  });
});

describe('detections configuration', () => {
  it('names the same rules in playbook triggers as the detectors produce', () => {
    expectTypeOf<PlaybookDetectionRule>().toEqualTypeOf<DetectionRule>();
  });

  it('deploys nothing when disabled', async () => {
    const { template } = await synthStack({ ...BASE_CONFIG, detections: { enabled: false } });

    expect(
      Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
        JSON.stringify(fn.Properties).includes('NEW_TERMS_TABLE'),
      ),
    ).toEqual([]);
  });

  it('refuses a bad log group name, naming the field', () => {
    let error: unknown;
    try {
      parseConfig({ ...BASE_CONFIG, detections: { cloudTrailLogGroup: 'no spaces allowed' } });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('detections.cloudTrailLogGroup');
  });
});

describe('matchesPattern (the test oracle itself)', () => {
  const event = {
    source: 'aws.s3',
    detail: { eventName: 'CopyObject', tags: ['a', 'b'], userIdentity: { type: 'IAMUser' } },
  };

  it('follows the EventBridge semantics for the operators our rules use', () => {
    expect(matchesPattern({ detail: { eventName: ['GetObject', 'CopyObject'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ prefix: 'Copy' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ 'anything-but': 'CopyObject' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { eventName: [{ 'anything-but': { prefix: 'Get' } }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { errorCode: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: ['x'] } }, event)).toBe(false);
    expect(
      matchesPattern(
        { detail: { $or: [{ userIdentity: { type: ['Root'] } }, { userIdentity: { type: ['IAMUser'] } }] } },
        event,
      ),
    ).toBe(true);
  });

  it('refuses operators it does not implement, so no test passes on them', () => {
    expect(() => matchesPattern({ detail: { eventName: [{ contains: 'Object' }] } }, event)).toThrow(/unsupported/);
  });
});
