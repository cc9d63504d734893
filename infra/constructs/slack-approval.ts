import { CfnOutput } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { entryOf } from '../tasks.js';
import { TaskFunction } from './task-function.js';

export interface SlackApprovalProps {
  readonly table: dynamodb.ITable;
  readonly secret: secretsmanager.ISecret;
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** What the Undo button starts: the handler may StartExecution on this machine and no other. */
  readonly rollbackStateMachine: sfn.IStateMachine;
  /** Concurrent executions reserved for the endpoint, and its cap: a flood is throttled here, never elsewhere. */
  readonly reservedConcurrency: number;
  /**
   * Who may close an incident with its "Close incident" button (the configured approvers); the
   * close function's sweep adds the closing part to the report. @default nobody may close from Slack
   */
  readonly closeApprovers?: readonly string[];
}

/**
 * The Slack interaction endpoint: a Lambda Function URL in front of Bolt's `AwsLambdaReceiver`.
 * The URL has no AWS auth because Slack cannot sign AWS requests; every request is authenticated
 * by Slack's v0 signature, verified with the signing secret from Secrets Manager.
 */
export class SlackApproval extends Construct {
  readonly function: TaskFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: SlackApprovalProps) {
    super(scope, id);
    this.function = new TaskFunction(this, 'Handler', {
      entry: entryOf('slack'),
      description: 'Slack interactions: approve or deny a containment plan, undo an incident',
      environment: {
        TABLE_NAME: props.table.tableName,
        SLACK_SECRET_ARN: props.secret.secretArn,
        ROLLBACK_STATE_MACHINE_ARN: props.rollbackStateMachine.stateMachineArn,
        ...(props.closeApprovers ? { CLOSE_APPROVERS: props.closeApprovers.join(',') } : {}),
      },
      reservedConcurrency: props.reservedConcurrency,
    });
    const role = this.function.role;
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.secret.secretArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: props.stateMachines.map((machine) => machine.stateMachineArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.rollbackStateMachine.stateMachineArn],
      }),
    );
    this.url = this.function.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    const output = new CfnOutput(this, 'InteractionUrl', {
      value: this.url.url,
      description: 'Slack app: Interactivity and Shortcuts, Request URL',
    });
    // The deploy guide names this output: keep its name free of the construct path's hash.
    output.overrideLogicalId('InteractionUrl');
  }
}

/** The secret the Slack app's credentials go in, created with placeholders to fill after deploy. */
export function slackSecret(scope: Construct): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'SlackSecret', {
    description: 's3-exfil-responder Slack app: {"signingSecret": "...", "botToken": "xoxb-..."}',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ botToken: 'set-me' }),
      generateStringKey: 'signingSecret',
      excludePunctuation: true,
    },
  });
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    'Slack signing secrets and bot tokens are rotated in the Slack app settings, then stored here',
  );
  return secret;
}
