import {
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  type MemberRoleKind,
  memberRoleNameFor,
  ROLE_SESSION_NAME,
} from '../handlers/shared/member-roles.js';
import {
  MAX_MEMBER_ROLE_BASE_LENGTH,
  MAX_STACK_NAME_LENGTH,
  MEMBER_ACTIONS,
  MEMBER_KINDS,
  MEMBER_TASKS,
  type MemberScope,
  taskRoleName,
} from './member-roles.js';
import { acknowledgeWildcards, justify } from './nag.js';

export { MEMBER_ACTIONS, type MemberScope };

/** Why each scope's resource holds a `*` (cdk-nag `AwsSolutions-IAM5`). */
const WHY: Record<MemberScope, string> = {
  user: 'user names come from the finding at run time; users of this account only',
  role: 'role names come from the finding at run time; roles of this account only, never the responder or this role (explicit Deny)',
  bucket: 'bucket names come from the finding at run time; buckets of this account only, by aws:ResourceAccount',
  vpcEndpoint:
    "endpoint ids come from the administrator stack's vpcEndpointIds; endpoints of this account only, in any Region (the role is global)",
  macieJob: 'job ids are assigned by Macie; classification jobs of this account only',
  unscopable: 'these APIs support no resource-level permissions (read-only)',
};

/** Everything that changes a member role itself: none may widen, re-trust or remove itself or another. */
const SELF_CHANGES = [
  'iam:AttachRolePolicy',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
];

const SID: Record<MemberScope, string> = {
  user: 'IamUsers',
  role: 'IamRoles',
  bucket: 'Buckets',
  vpcEndpoint: 'VpcEndpoints',
  macieJob: 'MacieJobs',
  unscopable: 'UnscopableReads',
};
const LOGICAL_ID: Record<MemberRoleKind, string> = {
  read: 'ReadRole',
  contain: 'ContainRole',
  rollback: 'RollbackRole',
};
const DESCRIPTION: Record<MemberRoleKind, string> = {
  read: 's3-exfil-responder: enrich and plan in this account (read-only), on behalf of the responder stack',
  contain: 's3-exfil-responder: contain incidents in this account, on behalf of the responder stack',
  rollback: 's3-exfil-responder: undo containment in this account, on behalf of the responder stack',
};

/** Role names with their path from role ARNs: what `ProtectedRoleNames` takes. */
export function protectedRoleNames(roleArns: readonly string[]): string[] {
  return [...new Set(roleArns.map((arn) => arn.replace(/^arn:[^:]+:iam::\d{12}:role\//, '')))];
}

export interface MemberAccountStackProps extends StackProps {
  /**
   * The default of `ProtectedRoleNames`: the responder configuration's IR and break-glass role
   * names (`protectedRoleNames(config.irRoleArns, config.breakGlassRoleArns)`).
   * @default none (the member roles are protected whatever the parameter says)
   */
  readonly protectedRoleNames?: readonly string[];
}

/**
 * The member-account stack (DESIGN §8a): one IAM role per kind of work (`MEMBER_ACTIONS`):
 * `<MemberRoleName>Read` for enrichment and planning, `<MemberRoleName>Contain` for containment and
 * `<MemberRoleName>Rollback` for its undo, each assumable only by the administrator stack's task
 * roles of that kind, named exactly (`<ResponderStackName>-<Task>`, `infra/member-roles.ts`).
 *
 * Made for CloudFormation StackSets: no assets, no Lambda, no bootstrap version check (target
 * accounts need not be CDK-bootstrapped), no context; whatever differs per deployment is a
 * parameter. IAM is global: deploy one instance per account, in one Region.
 */
export class MemberAccountStack extends Stack {
  readonly roles: Record<MemberRoleKind, iam.CfnRole>;

  constructor(scope: Construct, id: string, props: MemberAccountStackProps = {}) {
    super(scope, id, {
      description: 's3-exfil-responder member account: the roles the responder assumes to respond to incidents here',
      synthesizer: new BootstraplessSynthesizer(),
      analyticsReporting: false,
      ...props,
    });

    const administrator = new CfnParameter(this, 'AdministratorAccountId', {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'must be a 12-digit AWS account id',
      description: 'The account the responder stack is deployed in (usually the GuardDuty delegated administrator)',
    });
    const responderStack = new CfnParameter(this, 'ResponderStackName', {
      type: 'String',
      default: 'S3ExfilResponder',
      allowedPattern: `^[A-Za-z][A-Za-z0-9-]{0,${MAX_STACK_NAME_LENGTH - 1}}$`,
      constraintDescription: `must be a CloudFormation stack name of at most ${MAX_STACK_NAME_LENGTH} characters`,
      description:
        "The responder stack's name in the administrator account: its task roles are named <name>-<Task>, and only they may assume these roles",
    });
    const roleName = new CfnParameter(this, 'MemberRoleName', {
      type: 'String',
      default: DEFAULT_MEMBER_ROLE_NAME,
      allowedPattern: `^[\\w+=,.@-]{1,${MAX_MEMBER_ROLE_BASE_LENGTH}}$`,
      constraintDescription: `must be an IAM role name of at most ${MAX_MEMBER_ROLE_BASE_LENGTH} characters`,
      description:
        "The base name of the roles to create (<name>Read, <name>Contain, <name>Rollback): the responder configuration's memberRoleName",
    });
    const organization = new CfnParameter(this, 'OrganizationId', {
      type: 'String',
      default: '',
      allowedPattern: '^(o-[a-z0-9]{10,32})?$',
      constraintDescription: 'must be empty or an AWS Organizations id such as o-a1b2c3d4e5',
      description: 'Optional: also require the caller to be in this organization (aws:PrincipalOrgID)',
    });
    const protectedRoles = new CfnParameter(this, 'ProtectedRoleNames', {
      type: 'CommaDelimitedList',
      default: (props.protectedRoleNames ?? []).join(','),
      allowedPattern: '^([\\w+=,.@*/-]{1,512})?$',
      constraintDescription: 'must be role names with their path (wildcards allowed), separated by commas',
      description:
        "This account's incident-response and break-glass roles (names with their path, e.g. ir/IncidentResponder, BreakGlass*): the responder may never rewrite their policies (the member roles themselves are always protected)",
    });
    const hasProtectedRoles = new CfnCondition(this, 'HasProtectedRoleNames', {
      expression: Fn.conditionNot(Fn.conditionEquals(Fn.join('', protectedRoles.valueAsList), '')),
    });
    const hasOrganization = new CfnCondition(this, 'HasOrganizationId', {
      expression: Fn.conditionNot(Fn.conditionEquals(organization.valueAsString, '')),
    });

    const { PARTITION: partition, ACCOUNT_ID: account } = Aws;
    const adminAccount = administrator.valueAsString;
    const stackName = responderStack.valueAsString;
    const nameOf = (kind: MemberRoleKind) => memberRoleNameFor(roleName.valueAsString, kind);
    const memberRoles = MEMBER_KINDS.map((kind) => `arn:${partition}:iam::${account}:role/${nameOf(kind)}`);

    const resources: Record<MemberScope, string[]> = {
      user: [`arn:${partition}:iam::${account}:user/*`],
      role: [`arn:${partition}:iam::${account}:role/*`],
      bucket: [`arn:${partition}:s3:::*`],
      vpcEndpoint: [`arn:${partition}:ec2:*:${account}:vpc-endpoint/*`],
      macieJob: [`arn:${partition}:macie2:*:${account}:classification-job/*`],
      unscopable: ['*'],
    };

    // No self-escalation: a finding that names a member role, a responder role or a protected role
    // must not let the responder rewrite it, even though the planner never targets them.
    const noSelfEscalation = {
      Version: '2012-10-17',
      Statement: [
        new iam.PolicyStatement({
          sid: 'NeverTheMemberRoles',
          effect: iam.Effect.DENY,
          actions: SELF_CHANGES,
          resources: memberRoles,
        }).toStatementJson(),
        new iam.PolicyStatement({
          sid: 'NeverTheResponderRoles',
          effect: iam.Effect.DENY,
          actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
          resources: [`arn:${partition}:iam::${account}:role/${stackName}-*`],
        }).toStatementJson(),
        // The IR and break-glass roles of this account, when named: a Deny only when there is a
        // name (an empty list would make an empty ARN). Partition and account are wildcards:
        // in a Deny they only widen what is refused, and the role acts in this account alone.
        Fn.conditionIf(
          hasProtectedRoles.logicalId,
          {
            Sid: 'NeverTheProtectedRoles',
            Effect: 'Deny',
            Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
            Resource: Fn.split(
              ',',
              Fn.join('', ['arn:*:iam::*:role/', Fn.join(',arn:*:iam::*:role/', protectedRoles.valueAsList)]),
            ),
          },
          Aws.NO_VALUE,
        ),
      ],
    };

    this.roles = Object.fromEntries(
      MEMBER_KINDS.map((kind) => {
        // Trust: the administrator account, and there exactly the task roles of this kind of work
        // (by ARN, no wildcard), under the session name the adapters use
        // (handlers/shared/clients/accounts.ts), so CloudTrail here names every session the same
        // way. The ARNs are a condition, not the Principal: IAM would reject a Principal naming a
        // role that does not exist yet (this stack may be deployed first) and would pin a
        // replaced role's old id. No sts:ExternalId: it guards against the confused deputy, a
        // third party assuming roles on behalf of several customers. Here the caller is our own
        // account, pinned by account and role ARN, and never acts for anyone else.
        const callers = MEMBER_TASKS[kind].map(
          (task) => `arn:${partition}:iam::${adminAccount}:role/${taskRoleName(stackName, task)}`,
        );
        const conditions = (extra: Record<string, string>) => ({
          ArnEquals: { 'aws:PrincipalArn': callers },
          StringEquals: { 'sts:RoleSessionName': ROLE_SESSION_NAME, ...extra },
        });
        const trust = {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ResponderTaskRoles',
              Effect: 'Allow',
              Principal: { AWS: `arn:${partition}:iam::${adminAccount}:root` },
              Action: 'sts:AssumeRole',
              Condition: Fn.conditionIf(
                hasOrganization.logicalId,
                conditions({ 'aws:PrincipalOrgID': organization.valueAsString }),
                conditions({}),
              ),
            },
          ],
        };
        const actions: Partial<Record<MemberScope, readonly string[]>> = MEMBER_ACTIONS[kind];
        const allows = (Object.keys(SID) as MemberScope[])
          .filter((scope) => actions[scope] !== undefined)
          .map((scope) =>
            justify(
              new iam.PolicyStatement({
                sid: SID[scope],
                actions: [...(actions[scope] ?? [])],
                resources: resources[scope],
                conditions: scope === 'bucket' ? { StringEquals: { 'aws:ResourceAccount': account } } : undefined,
              }),
              WHY[scope],
            ),
          );
        const role = new iam.CfnRole(this, LOGICAL_ID[kind], {
          roleName: nameOf(kind),
          description: DESCRIPTION[kind],
          maxSessionDuration: 3600,
          assumeRolePolicyDocument: trust,
          policies: [
            { policyName: 'Respond', policyDocument: new iam.PolicyDocument({ statements: allows, minimize: false }) },
            { policyName: 'NoSelfEscalation', policyDocument: noSelfEscalation },
          ],
        });
        acknowledgeWildcards(role, allows);
        new CfnOutput(this, `${LOGICAL_ID[kind]}Arn`, {
          value: role.attrArn,
          description: `The role the responder's ${MEMBER_TASKS[kind].join(', ')} assume in this account`,
        });
        return [kind, role];
      }),
    ) as Record<MemberRoleKind, iam.CfnRole>;
  }
}
