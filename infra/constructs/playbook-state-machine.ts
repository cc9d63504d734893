import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Settings } from '../../handlers/shared/schemas/settings.js';
import type { Playbook } from '../../playbooks/define.js';
import { buildDefinition, type TaskFunctions } from '../definition.js';
import { acknowledgeResource } from '../nag.js';

export interface PlaybookStateMachineProps {
  readonly playbook: Playbook;
  readonly functions: TaskFunctions;
  readonly settings: Settings;
}

/**
 * A playbook's Standard state machine, compiled by `buildDefinition` (JSONPath only), with an
 * owned log group that records every event but no execution data (findings and task tokens stay
 * out of logs), X-Ray tracing, and alarms on failed, timed-out and throttled executions.
 */
export class PlaybookStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PlaybookStateMachineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/s3-exfil-responder-${props.playbook.id}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `s3-exfil-responder playbook ${props.playbook.id}: ${props.playbook.title}`,
      definitionBody: sfn.DefinitionBody.fromChainable(
        buildDefinition(this, props.playbook, props.functions, props.settings),
      ),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      timeout: Duration.seconds(props.settings.approvalTimeoutSeconds + 6 * 3600),
    });
    const role = this.stateMachine.role;
    acknowledgeResource(
      role,
      '*',
      'X-Ray and CloudWatch Logs delivery for Step Functions support no resource-level permissions',
    );
    for (const fn of new Set(Object.values(props.functions))) {
      acknowledgeResource(role, `${fn.functionArn}:*`, 'invoking the versions and aliases of the task function');
    }
    const alarm = (name: string, metric: cloudwatch.Metric) =>
      new cloudwatch.Alarm(this, name, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `s3-exfil-responder ${props.playbook.id}: ${name}`,
      });
    this.alarms = [
      alarm('ExecutionsFailed', this.stateMachine.metricFailed({ period: Duration.minutes(5) })),
      alarm('ExecutionsTimedOut', this.stateMachine.metricTimedOut({ period: Duration.minutes(5) })),
      alarm('ExecutionsThrottled', this.stateMachine.metricThrottled({ period: Duration.minutes(5) })),
    ];
  }
}
