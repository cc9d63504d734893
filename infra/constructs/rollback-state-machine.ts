import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERRORS } from '../../handlers/shared/errors.js';
import { acknowledgeResource } from '../nag.js';

export interface RollbackStateMachineProps {
  readonly rollbackFunction: IFunction;
}

/**
 * Undoes one incident (`{"incidentId", "reactivateKeys"?}`): what the Slack Undo button and
 * `responder rollback` start. One task, retried on transient errors (the rollback is idempotent).
 */
export class RollbackStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RollbackStateMachineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: '/aws/vendedlogs/states/s3-exfil-responder-rollback',
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const rollback = new tasks.LambdaInvoke(this, 'Roll Back Incident', {
      lambdaFunction: props.rollbackFunction,
      payload: sfn.TaskInput.fromObject({
        'incidentId.$': '$.incidentId',
        'reactivateKeys.$': '$.reactivateKeys',
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
    });
    rollback.addRetry({
      errors: [
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        ...RETRYABLE_ERRORS,
      ],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
    });
    const defaults = new sfn.Pass(this, 'Defaults', {
      comment: 'Keys stay inactive unless the caller asks otherwise',
      parameters: { 'incidentId.$': '$.incidentId', reactivateKeys: false },
    });
    const invalid = new sfn.Fail(this, 'Invalid Input', {
      error: 'InvalidExecutionInput',
      cause: 'expected {"incidentId": "<id>", "reactivateKeys"?: true|false}',
    });
    const choose = new sfn.Choice(this, 'Check Input')
      .when(sfn.Condition.isNotPresent('$.incidentId'), invalid)
      .when(sfn.Condition.isNotPresent('$.reactivateKeys'), defaults.next(rollback))
      .when(sfn.Condition.isBoolean('$.reactivateKeys'), rollback)
      .otherwise(invalid);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 's3-exfil-responder: undo one incident',
      definitionBody: sfn.DefinitionBody.fromChainable(choose),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      timeout: Duration.minutes(30),
    });
    acknowledgeResource(
      this.stateMachine.role,
      '*',
      'X-Ray and CloudWatch Logs delivery for Step Functions support no resource-level permissions',
    );
    acknowledgeResource(
      this.stateMachine.role,
      `${props.rollbackFunction.functionArn}:*`,
      'invoking the versions and aliases of the rollback function',
    );
  }
}
