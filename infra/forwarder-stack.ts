import {
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnParameter,
  CfnResource,
  Duration,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface RegionalForwarderStackProps extends StackProps {
  /** The home rules' patterns to forward, by rule id (`forwardedPatterns`). */
  readonly patterns: Readonly<Record<string, events.EventPattern>>;
}

/** The description every forwarding rule starts with. */
export const FORWARDER_RULE_DESCRIPTION = 's3-exfil-responder forwarder:';

/**
 * The regional forwarder: one EventBridge rule per home rule, on this Region's default bus, with
 * the home rule's own pattern, whose target is the home Region's default event bus
 * (`HomeEventBusArn`). Events keep their `account` and `region`, so the responder acts where the
 * finding happened. Undeliverable events wait 14 days in an encrypted dead-letter queue.
 *
 * Made for CloudFormation StackSets (every Region of every account): no assets, no Lambda, no
 * bootstrap version check. Where the stack lands in the home Region of the home account itself,
 * the condition `Forwards` is false and it creates nothing but a no-op placeholder, so no event is
 * sent back to its own bus.
 */
export class RegionalForwarderStack extends Stack {
  readonly rules: Record<string, events.Rule> = {};
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: RegionalForwarderStackProps) {
    super(scope, id, {
      description: "s3-exfil-responder regional forwarder: this Region's S3 findings and API calls to the home Region",
      synthesizer: new BootstraplessSynthesizer(),
      analyticsReporting: false,
      ...props,
    });
    const homeBusArn = new CfnParameter(this, 'HomeEventBusArn', {
      type: 'String',
      allowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/default$',
      constraintDescription:
        'must be a default event bus ARN: arn:aws:events:<home Region>:<home account>:event-bus/default',
      description: "The default event bus of the responder's home account and Region",
    }).valueAsString;
    const forwards = new CfnCondition(this, 'Forwards', {
      expression: Fn.conditionNot(
        Fn.conditionEquals(homeBusArn, `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`),
      ),
    });

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, 'AwsSolutions-SQS3', 'this queue is the dead-letter queue of the forwarding rules');
    const role = new iam.Role(this, 'PutEventsRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 's3-exfil-responder forwarder: put matching events on the home event bus',
    });
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus', homeBusArn);
    for (const [ruleId, pattern] of Object.entries(props.patterns)) {
      const rule = new events.Rule(this, ruleId, {
        description: `${FORWARDER_RULE_DESCRIPTION} ${ruleId} to the home Region`,
        eventPattern: pattern,
      });
      rule.addTarget(new targets.EventBus(homeBus, { role, deadLetterQueue: this.deadLetters }));
      this.rules[ruleId] = rule;
    }
    for (const child of this.node.findAll()) {
      if (child instanceof CfnResource) child.cfnOptions.condition = forwards;
    }
    // A no-op handle, unconditioned, so the stack has something to create even where every other
    // resource is conditioned out (the home Region of the home account).
    new CfnResource(this, 'Placeholder', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  }
}
