import { ArnFormat, Aspects, Duration, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { DetectionRule } from '../../handlers/detect/detection.js';
import { SERVICE_NAME } from '../../handlers/shared/log.js';
import { METRIC, METRICS_NAMESPACE } from '../../handlers/shared/metrics.js';
import { ACTION_IDS } from '../../handlers/shared/schemas/plan.js';
import { entryOf } from '../tasks.js';
import { TaskFunction } from './task-function.js';

export interface OperationsProps {
  /** The playbooks' state machines: executions and their duration on the dashboard. */
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** Every responder function: errors and throttles on the dashboard. */
  readonly functions: readonly lambda.IFunction[];
  /** The Slack app's secret (`botToken`), read by the alarm notifier. */
  readonly slackSecret: secretsmanager.ISecret;
  /** The channel alarms are posted in: the responders' channel. */
  readonly slackChannel: string;
}

const PERIOD = Duration.minutes(5);

/** A responder metric (EMF, `handlers/shared/metrics.ts`), with the `service` dimension every one has. */
function responderMetric(
  metricName: string,
  statistic: string,
  dimensions: Record<string, string> = {},
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    period: PERIOD,
    label,
  });
}

/** Sends every CloudWatch alarm of the stack to the topic, whichever construct made it. */
class AlarmsToTopic implements IAspect {
  constructor(private readonly action: cloudwatch.IAlarmAction) {}

  visit(node: IConstruct): void {
    if (node instanceof cloudwatch.Alarm) node.addAlarmAction(this.action);
  }
}

/**
 * What operators watch: the `S3ExfilResponder` dashboard (incidents, approval and containment
 * times, failed actions, detections, executions, function errors and throttles), and the alarm
 * topic (KMS-encrypted, TLS only) that every alarm of the stack notifies. A small function posts
 * each notification in the Slack channel; anyone can add an e-mail or pager subscription.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly notifier: TaskFunction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 's3-exfil-responder alarm topic',
      enableKeyRotation: true,
      // It encrypts notifications in transit only: nothing is left to read once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch encrypts what it publishes to the topic with this key, for this account's alarms only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 's3-exfil-responder alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    Aspects.of(stack).add(new AlarmsToTopic(new actions.SnsAction(this.topic)));

    this.notifier = new TaskFunction(this, 'Notifier', {
      entry: entryOf('notify-alarm'),
      description: 'Posts each alarm notification in the Slack channel',
      timeout: Duration.seconds(30),
      environment: { SLACK_SECRET_ARN: props.slackSecret.secretArn, SLACK_CHANNEL: props.slackChannel },
    });
    this.notifier.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.slackSecret.secretArn] }),
    );
    this.topic.addSubscription(new subscriptions.LambdaSubscription(this.notifier.fn));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-operations`,
      defaultInterval: Duration.days(7),
      widgets: dashboardRows({ ...props, functions: [...props.functions, this.notifier.fn] }),
    });
  }
}

function dashboardRows(props: OperationsProps): cloudwatch.IWidget[][] {
  const sum = (name: string, dimensions?: Record<string, string>, label?: string) =>
    responderMetric(name, cloudwatch.Stats.SUM, dimensions, label);
  const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
    new cloudwatch.GraphWidget({ title, left, width, height: 6 });
  const machines = props.stateMachines;
  const perMachine = (title: string, metric: (machine: sfn.IStateMachine) => cloudwatch.Metric) =>
    machines.map((machine) => metric(machine).with({ label: `${title}: ${machine.node.path}` }));
  return [
    [
      graph('Incidents', [
        sum(METRIC.incidentsOpened),
        sum(METRIC.incidentsLinked),
        sum(METRIC.incidentsIgnored),
        sum(METRIC.incidentsFailed),
      ]),
      graph('Time to approve and to contain (seconds)', [
        responderMetric(METRIC.timeToApprove, cloudwatch.Stats.AVERAGE, {}, 'TimeToApprove (average)'),
        responderMetric(METRIC.timeToApprove, cloudwatch.Stats.p(90), {}, 'TimeToApprove (p90)'),
        responderMetric(METRIC.timeToContain, cloudwatch.Stats.AVERAGE, {}, 'TimeToContain (average)'),
        responderMetric(METRIC.timeToContain, cloudwatch.Stats.p(90), {}, 'TimeToContain (p90)'),
      ]),
      graph(
        'Failed containment actions, by action',
        ACTION_IDS.map((action) => sum(METRIC.actionFailed, { action }, action)),
      ),
    ],
    [
      graph(
        'Detections fired, by rule',
        DetectionRule.options.map((rule) => sum(METRIC.detectionsFired, { rule }, rule)),
      ),
      graph('Executions', [
        ...perMachine('ExecutionsStarted', (m) => m.metricStarted({ period: PERIOD })),
        ...perMachine('ExecutionsSucceeded', (m) => m.metricSucceeded({ period: PERIOD })),
        ...perMachine('ExecutionsFailed', (m) => m.metricFailed({ period: PERIOD })),
        ...perMachine('ExecutionsTimedOut', (m) => m.metricTimedOut({ period: PERIOD })),
      ]),
      graph(
        'Execution time (ms)',
        perMachine('ExecutionTime', (m) => m.metricTime({ period: PERIOD })),
      ),
    ],
    [
      graph(
        'Function errors',
        props.functions.map((fn) => fn.metricErrors({ period: PERIOD, label: fn.node.scope?.node.id ?? fn.node.id })),
        12,
      ),
      graph(
        'Function throttles',
        props.functions.map((fn) =>
          fn.metricThrottles({ period: PERIOD, label: fn.node.scope?.node.id ?? fn.node.id }),
        ),
        12,
      ),
    ],
  ];
}
