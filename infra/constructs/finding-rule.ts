import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface FindingRuleProps {
  /** GuardDuty types: `Exfiltration:S3/` (or `…*`) is a prefix, anything else an exact type. */
  readonly findingTypes: readonly string[];
  readonly stateMachine: sfn.IStateMachine;
}

/** The EventBridge pattern for GuardDuty findings of these types. */
export function guardDutyPattern(findingTypes: readonly string[]): events.EventPattern {
  return {
    source: ['aws.guardduty'],
    detailType: ['GuardDuty Finding'],
    detail: {
      type: findingTypes.map((type) =>
        type.endsWith('/') || type.endsWith('*') ? { prefix: type.replace(/\*$/, '') } : type,
      ),
    },
  };
}

/**
 * Starts the playbook for each matching GuardDuty finding. Events the target cannot take after
 * retries land in an encrypted dead-letter queue instead of being lost.
 */
export class FindingRule extends Construct {
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: FindingRuleProps) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, 'AwsSolutions-SQS3', 'this queue is the dead-letter queue of the EventBridge target');
    this.rule = new events.Rule(this, 'Rule', {
      description: 's3-exfil-responder: GuardDuty S3 findings start the playbook',
      eventPattern: guardDutyPattern(props.findingTypes),
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.stateMachine, {
        deadLetterQueue: this.deadLetters,
        retryAttempts: 10,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
