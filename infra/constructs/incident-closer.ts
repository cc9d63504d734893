import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SWEEP_INDEX } from '../../handlers/shared/store/sweep-index.js';
import { acknowledgeWildcards } from '../nag.js';
import { entryOf, type GrantContext, rewriteReports } from '../tasks.js';
import { TaskFunction } from './task-function.js';

export interface IncidentCloserProps {
  readonly context: GrantContext;
  readonly table: dynamodb.ITable;
  readonly secret: secretsmanager.ISecret;
  /**
   * The playbooks' state machines: closing an incident whose approval is pending ends the waiting
   * execution (SendTaskFailure `ApprovalWithdrawn`) on them, and on nothing else.
   */
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** An incident with no signal for this long closes as `auto`. */
  readonly autoCloseAfterMinutes: number;
  /** How often the sweep runs. @default Duration.hours(1) */
  readonly sweepEvery?: Duration;
}

/**
 * Closing incidents outside Slack: one function that `responder close` invokes for one incident,
 * and that an EventBridge schedule runs hourly to close every incident past
 * `autoCloseAfterMinutes` without a new signal. It finds the incidents to sweep in the table's
 * sweep index (a Query; a filtered Scan until the table is migrated to it), records the closure,
 * withdraws a pending approval (SendTaskFailure on the playbooks' state machines only), tells the
 * thread and rewrites the report; nothing else. It also follows the
 * table's stream, filtered to incident records whose report still lacks its closing part, and
 * writes it within seconds of any close.
 */
export class IncidentCloser extends Construct {
  readonly function: TaskFunction;

  constructor(scope: Construct, id: string, props: IncidentCloserProps) {
    super(scope, id);
    const { context } = props;
    this.function = new TaskFunction(this, 'Handler', {
      entry: entryOf('close-incident'),
      description: 'Close incidents: responder close, and the auto-close sweep',
      timeout: Duration.minutes(5),
      environment: {
        TABLE_NAME: props.table.tableName,
        SLACK_SECRET_ARN: props.secret.secretArn,
        EVIDENCE_BUCKET: context.evidence.bucket.bucketName,
        EVIDENCE_KEY_ARN: context.evidence.key.keyArn,
        AUTO_CLOSE_AFTER_MINUTES: String(props.autoCloseAfterMinutes),
      },
    });
    const statements = [
      // Scan only until the table is marked migrated to the sweep index (sweep-index.ts).
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
        resources: [props.table.tableArn],
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${SWEEP_INDEX}`],
      }),
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.secret.secretArn] }),
      new iam.PolicyStatement({
        actions: ['states:SendTaskFailure'],
        resources: props.stateMachines.map((machine) => machine.stateMachineArn),
      }),
      ...rewriteReports(context),
    ];
    for (const statement of statements) this.function.role.addToPolicy(statement);
    acknowledgeWildcards(this.function.role, statements);
    // Prompt closing part: an incident record written with `closureReportPending` (a close from
    // Slack or the registration, which cannot write the evidence bucket) reaches this function
    // within seconds; the hourly sweep stays as the catch-up. Only such records pass the filter.
    this.function.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 3,
        maxRecordAge: Duration.hours(1),
        reportBatchItemFailures: true,
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: {
              Keys: { sk: { S: lambda.FilterRule.isEqual('META') } },
              NewImage: { closureReportPending: { BOOL: lambda.FilterRule.isEqual(true) } },
            },
          }),
        ],
      }),
    );
    new events.Rule(this, 'Sweep', {
      description: 'Closes incidents past autoCloseAfterMinutes without a new signal (s3-exfil-responder)',
      schedule: events.Schedule.rate(props.sweepEvery ?? Duration.hours(1)),
      targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 2 })],
    });
    const output = new CfnOutput(this, 'CloseFunctionArn', {
      value: this.function.fn.functionArn,
      description: 'responder close <incidentId> --function <this> --resolution …',
    });
    output.overrideLogicalId('CloseFunctionArn');
  }
}
