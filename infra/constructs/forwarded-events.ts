import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface ForwardedEventsProps {
  /** The organization whose accounts' forwarders may put events on the home bus. @default none */
  readonly organizationId?: string;
  /** Without an organization: the other accounts whose forwarders may put events. @default [] */
  readonly accounts?: readonly string[];
}

/** The Sid of our statement in the default event bus's resource policy. */
export const FORWARDED_EVENTS_SID = 'S3ExfilResponderForwardedEvents';

/**
 * Lets the regional forwarders of other accounts put events on this Region's default event bus,
 * where the home rules match them. With an organization id: any principal of that organization
 * (`aws:PrincipalOrgID`), and nobody else. Without one: only the listed accounts; with none listed,
 * no statement at all, so only this account's own forwarders (other Regions, same account, allowed
 * by their role) are accepted.
 */
export class ForwardedEvents extends Construct {
  readonly policy?: events.CfnEventBusPolicy;

  constructor(scope: Construct, id: string, props: ForwardedEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const others = (props.accounts ?? []).filter((account) => account !== stack.account);
    if (!props.organizationId && others.length === 0) return;
    const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    const statement = props.organizationId
      ? {
          Sid: FORWARDED_EVENTS_SID,
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        }
      : {
          Sid: FORWARDED_EVENTS_SID,
          Effect: 'Allow',
          Principal: {
            AWS: others.map((account) => stack.formatArn({ service: 'iam', region: '', account, resource: 'root' })),
          },
          Action: 'events:PutEvents',
          Resource: busArn,
        };
    this.policy = new events.CfnEventBusPolicy(this, 'Policy', {
      eventBusName: 'default',
      statementId: FORWARDED_EVENTS_SID,
      statement,
    });
  }
}
