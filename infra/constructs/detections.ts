import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ANONYMOUS_EVENTS } from '../../handlers/detect/anonymous-rare-source.js';
import { ALARM_DETAIL_TYPE, ALARM_SOURCE, GET_OBJECT_METRIC } from '../../handlers/detect/bulk-download.js';
import { CROSS_ACCOUNT_COPY_EVENTS } from '../../handlers/detect/cross-account-copy.js';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX, type DetectionRule } from '../../handlers/detect/detection.js';
import { CLOUDTRAIL_DETAIL_TYPE } from '../../handlers/detect/dispatch.js';
import { KMS_KEY_PARAMETER, KMS_WRITE_EVENTS } from '../../handlers/detect/external-kms-copy.js';
import type { Playbook } from '../../playbooks/define.js';
import { acknowledge } from '../nag.js';
import { entryOf } from '../tasks.js';
import { TaskFunction } from './task-function.js';

const s3Call = (eventNames: readonly string[], more: Record<string, unknown> = {}): events.EventPattern => ({
  source: ['aws.s3'],
  detailType: [CLOUDTRAIL_DETAIL_TYPE],
  detail: { eventSource: ['s3.amazonaws.com'], eventName: [...eventNames], errorCode: [{ exists: false }], ...more },
});

/**
 * The EventBridge pattern of each detection: as narrow as the detector, so the Lambda sees only
 * candidate records (successful S3 calls of the right names; KMS writes naming a key by ARN, the
 * only way to name another account's key; anonymous callers; bulk-download alarms going to ALARM).
 */
export function detectionPatterns(
  alarmPrefix = DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
): Record<DetectionRule, events.EventPattern> {
  return {
    'cross-account-copy': s3Call(CROSS_ACCOUNT_COPY_EVENTS),
    'external-kms-copy': s3Call(KMS_WRITE_EVENTS, {
      requestParameters: { [KMS_KEY_PARAMETER]: [{ prefix: 'arn:' }] },
    }),
    'anonymous-rare-source': s3Call(ANONYMOUS_EVENTS, {
      $or: [{ userIdentity: { accountId: ['anonymous'] } }, { userIdentity: { principalId: ['ANONYMOUS_PRINCIPAL'] } }],
    }),
    'bulk-download': {
      source: [ALARM_SOURCE],
      detailType: [ALARM_DETAIL_TYPE],
      detail: { alarmName: [{ prefix: alarmPrefix }], state: { value: ['ALARM'] } },
    },
  };
}

/** The state machine of the first playbook whose triggers name each detection. */
export function detectionRoutes(
  playbooks: readonly Playbook[],
  machines: readonly { readonly stateMachine: sfn.IStateMachine }[],
): Partial<Record<DetectionRule, sfn.IStateMachine>> {
  const routes: Partial<Record<DetectionRule, sfn.IStateMachine>> = {};
  playbooks.forEach((playbook, index) => {
    const machine = machines[index]?.stateMachine;
    for (const trigger of playbook.triggers) {
      if ('detection' in trigger && machine) routes[trigger.detection] ??= machine;
    }
  });
  return routes;
}

export interface DetectionsProps {
  /** The playbook state machine each detection starts; a detection without one is not deployed. */
  readonly routes: Partial<Record<DetectionRule, sfn.IStateMachine>>;
  /** Accounts data may move to, and whose KMS keys may encrypt our objects. @default [] */
  readonly trustedAccounts?: readonly string[];
  /** GetObject calls per hour above which the bulk-download alarm fires. @default 1000 */
  readonly bulkDownloadThreshold?: number;
  /** The trail's log group; without it there is no GetObject metric filter and no alarm. @default none */
  readonly cloudTrailLogGroup?: logs.ILogGroup;
  /**
   * Concurrent executions reserved for the detection function, and its cap: how many events are
   * processed (and executions started) at once; the excess waits in Lambda's event queue.
   * @default 10
   */
  readonly reservedConcurrency?: number;
}

/**
 * Our detections (DESIGN §3): EventBridge rules on S3 API calls via CloudTrail and on
 * bulk-download alarm state changes, feeding one Lambda that runs the detectors and starts the
 * playbook with the detection envelope. The Lambda may only start those state machines and write
 * the new-terms table (on demand, TTL, PITR). Events that cannot be delivered or processed after
 * retries land in an encrypted dead-letter queue.
 */
export class Detections extends Construct {
  readonly function: TaskFunction;
  readonly newTerms: dynamodb.Table;
  readonly rules: Partial<Record<DetectionRule, events.Rule>> = {};
  readonly deadLetters: sqs.Queue;
  readonly bulkDownloadAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DetectionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.newTerms = new dynamodb.Table(this, 'NewTerms', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, 'AwsSolutions-SQS3', 'this queue is the dead-letter queue of the detection rules');
    const routes = Object.fromEntries(
      Object.entries(props.routes).map(([rule, machine]) => [rule, machine.stateMachineArn]),
    );
    this.function = new TaskFunction(this, 'Detect', {
      entry: entryOf('detect'),
      description: 'Detections: S3 API calls and bulk-download alarms start the playbook',
      timeout: Duration.seconds(30),
      environment: {
        NEW_TERMS_TABLE: this.newTerms.tableName,
        DETECTION_ROUTES: stack.toJsonString(routes),
        TRUSTED_ACCOUNTS: (props.trustedAccounts ?? []).join(','),
        BULK_DOWNLOAD_ALARM_PREFIX: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
      },
      reservedConcurrency: props.reservedConcurrency ?? 10,
    });
    const fn = this.function.fn;
    this.newTerms.grant(fn, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    for (const machine of new Set(Object.values(props.routes))) machine.grantStartExecution(fn);
    fn.configureAsyncInvoke({ retryAttempts: 2, onFailure: new destinations.SqsDestination(this.deadLetters) });

    const patterns = detectionPatterns();
    for (const rule of Object.keys(props.routes) as DetectionRule[]) {
      const pascal = rule.replace(/(^|-)([a-z])/g, (_, __, char: string) => char.toUpperCase());
      const eventRule = new events.Rule(this, `${pascal}Rule`, {
        description: `s3-exfil-responder detection ${rule}`,
        eventPattern: patterns[rule],
      });
      eventRule.addTarget(
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 10,
          maxEventAge: Duration.hours(24),
        }),
      );
      this.rules[rule] = eventRule;
    }

    if (props.cloudTrailLogGroup && props.routes['bulk-download']) {
      const filter = new logs.MetricFilter(this, 'GetObjectFilter', {
        logGroup: props.cloudTrailLogGroup,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.eventSource', '=', 's3.amazonaws.com'),
          logs.FilterPattern.stringValue('$.eventName', '=', 'GetObject'),
        ),
        metricNamespace: GET_OBJECT_METRIC.namespace,
        metricName: GET_OBJECT_METRIC.name,
        metricValue: '1',
        defaultValue: 0,
      });
      const threshold = props.bulkDownloadThreshold ?? 1000;
      this.bulkDownloadAlarm = new cloudwatch.Alarm(this, 'BulkDownloadAlarm', {
        alarmName: `${DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX}-${stack.stackName}`,
        alarmDescription: `s3-exfil-responder bulk download: more than ${threshold} GetObject calls in one hour`,
        metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.hours(1) }),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }
}
