import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../handlers/shared/metrics.js';
import { powertoolsLayerParameter, powertoolsVersion } from '../../infra/constructs/task-function.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type Built = Awaited<ReturnType<typeof synthStack>>;
let built: Built;

beforeAll(async () => {
  // With the CloudTrail log group, the stack also has the bulk-download alarm of the detections.
  built = await synthStack({ ...BASE_CONFIG, detections: { cloudTrailLogGroup: 'org-trail' } });
});

const resources = (type: string) => Object.entries(built.template.findResources(type));
const logicalId = (type: string) => {
  const [entry] = resources(type);
  if (!entry) throw new Error(`no ${type} in the stack`);
  return entry[0];
};

/** A CloudFormation value as text: joins resolved, a reference shown as `{LogicalId}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('');
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) return ((object['Fn::Join'] as [string, unknown[]])[1] ?? []).map(text).join('');
  if ('Ref' in object) return `{${String(object.Ref)}}`;
  if ('Fn::GetAtt' in object) return `{${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(object);
}

/** The dashboard body as text. */
function dashboardBody(): string {
  const [[, dashboard] = []] = resources('AWS::CloudWatch::Dashboard');
  if (!dashboard) throw new Error('no dashboard in the stack');
  return text((dashboard.Properties as { DashboardBody: unknown }).DashboardBody);
}

describe('the operations dashboard', () => {
  it('graphs every responder metric in the responder namespace', () => {
    const body = dashboardBody();

    for (const name of Object.values(METRIC)) {
      expect(body, name).toContain(`"${METRICS_NAMESPACE}","${name}"`);
    }
  });

  it('graphs failed actions by action and detections by rule, the dimensions the handlers emit', () => {
    const body = dashboardBody();

    expect(body).toContain(`"${METRIC.actionFailed}","action","denyBucketAccess"`);
    expect(body).toContain(`"${METRIC.actionFailed}","action","revokeUserSessions"`);
    expect(body).toContain(`"${METRIC.detectionsFired}","rule","cross-account-copy"`);
    expect(body).toContain(`"${METRIC.detectionsFired}","rule","bulk-download"`);
  });

  it("graphs the state machines' executions and duration", () => {
    const body = dashboardBody();
    const machines = resources('AWS::StepFunctions::StateMachine').map(([id]) => id);

    expect(machines.length).toBeGreaterThanOrEqual(2);
    for (const metric of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionTime',
    ]) {
      for (const machine of machines)
        expect(body, `${metric} of ${machine}`).toContain(`"${metric}","StateMachineArn","{${machine}}"`);
    }
  });

  it('graphs the errors and throttles of every function', () => {
    const body = dashboardBody();
    const functions = resources('AWS::Lambda::Function').map(([id]) => id);

    for (const fn of functions) {
      expect(body, fn).toContain(`"AWS/Lambda","Errors","FunctionName","{${fn}}"`);
      expect(body, fn).toContain(`"AWS/Lambda","Throttles","FunctionName","{${fn}}"`);
    }
  });

  it('is named in the stack outputs, with the alarm topic', () => {
    built.template.hasOutput('DashboardName', { Value: { Ref: logicalId('AWS::CloudWatch::Dashboard') } });
    built.template.hasOutput('AlarmTopicArn', { Value: { Ref: logicalId('AWS::SNS::Topic') } });
  });
});

describe('the alarm topic', () => {
  it('is the alarm action of every alarm in the stack, the bulk-download alarm included', () => {
    const topic = logicalId('AWS::SNS::Topic');
    const alarms = resources('AWS::CloudWatch::Alarm');

    expect(alarms.map(([id]) => id)).toEqual(expect.arrayContaining([expect.stringMatching(/BulkDownloadAlarm/)]));
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const [id, alarm] of alarms) {
      expect((alarm.Properties as { AlarmActions?: unknown }).AlarmActions, id).toEqual([{ Ref: topic }]);
    }
  });

  it('is encrypted with a rotated key that CloudWatch of this account may use', () => {
    const [[, topic] = []] = resources('AWS::SNS::Topic');
    if (!topic) throw new Error('no topic');
    const key = (topic.Properties as { KmsMasterKeyId?: { 'Fn::GetAtt'?: [string, string] } }).KmsMasterKeyId;
    const keyId = key?.['Fn::GetAtt']?.[0] ?? 'none';

    expect(key).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const keyResource = built.template.toJSON().Resources[keyId] as {
      Type: string;
      Properties: { EnableKeyRotation?: boolean; KeyPolicy: { Statement: Record<string, unknown>[] } };
    };
    expect(keyResource.Type).toBe('AWS::KMS::Key');
    expect(keyResource.Properties.EnableKeyRotation).toBe(true);
    expect(keyResource.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      }),
    );
  });

  it('refuses publishing without TLS and accepts it from the alarms of this account', () => {
    const topic = logicalId('AWS::SNS::Topic');
    const [[, policy] = []] = resources('AWS::SNS::TopicPolicy');
    if (!policy) throw new Error('no topic policy');
    const statements = (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } })
      .PolicyDocument.Statement;

    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: { Ref: topic },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
      }),
    );
    const allow = statements.find((statement) => statement.Effect === 'Allow') as {
      Condition: { StringEquals: unknown; ArnLike: { 'aws:SourceArn': unknown } };
    };
    expect(allow.Condition.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
    expect(text(allow.Condition.ArnLike['aws:SourceArn'])).toBe(
      'arn:{AWS::Partition}:cloudwatch:us-east-1:123456789012:alarm:*',
    );
  });

  it('is delivered to the notifier, which may read the Slack secret and nothing else', () => {
    const topic = logicalId('AWS::SNS::Topic');
    const notifier = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('OperationsNotifier'));
    if (!notifier) throw new Error('no notifier function');

    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topic },
      Endpoint: { 'Fn::GetAtt': [notifier[0], 'Arn'] },
    });
    expect(
      (notifier[1].Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables,
    ).toMatchObject({ SLACK_CHANNEL: BASE_CONFIG.slackChannel, SLACK_SECRET_ARN: expect.anything() });
    const role = (notifier[1].Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role['Fn::GetAtt'][0];
    const actions = resources('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties).includes(`"${role}"`))
      .flatMap(([, policy]) =>
        (
          policy.Properties as { PolicyDocument: { Statement: { Action: string | string[] }[] } }
        ).PolicyDocument.Statement.flatMap((statement) => statement.Action),
      );
    expect(new Set(actions)).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'secretsmanager:GetSecretValue',
      ]),
    );
  });
});

describe('Powertools in the functions', () => {
  it('gives every function the Powertools layer of the version the code is tested with', () => {
    const parameter = Object.entries(built.template.toJSON().Parameters as Record<string, { Default?: string }>).find(
      ([, value]) => value.Default === powertoolsLayerParameter(powertoolsVersion()),
    );
    const functions = resources('AWS::Lambda::Function');

    expect(powertoolsVersion()).toBe('2.36.0');
    expect(parameter).toBeDefined();
    expect(functions.length).toBeGreaterThanOrEqual(18);
    for (const [id, fn] of functions) {
      expect((fn.Properties as { Layers?: unknown }).Layers, id).toEqual([{ Ref: parameter?.[0] }]);
    }
  });

  it('traces every function and state machine, and keeps task outputs out of the traces', () => {
    for (const [id, fn] of resources('AWS::Lambda::Function')) {
      const properties = fn.Properties as {
        TracingConfig?: unknown;
        Environment: { Variables: Record<string, unknown> };
      };
      expect(properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(properties.Environment.Variables, id).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 's3-exfil-responder',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
    }
    for (const [id, machine] of resources('AWS::StepFunctions::StateMachine')) {
      expect((machine.Properties as { TracingConfiguration?: unknown }).TracingConfiguration, id).toEqual({
        Enabled: true,
      });
    }
  });
});
