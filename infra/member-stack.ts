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
import { DEFAULT_MEMBER_ROLE_NAME, ROLE_SESSION_NAME } from '../handlers/shared/clients/accounts.js';
import { acknowledgeWildcards, justify } from './nag.js';

/** What a member-account action is scoped to, as the administrator stack's tasks scope it (`infra/tasks.ts`). */
export type MemberScope = 'user' | 'role' | 'bucket' | 'vpcEndpoint' | 'macieJob' | 'unscopable';

/**
 * Every action a task may call in a member account, by what it is scoped to: exactly the actions
 * `infra/tasks.ts` grants the task roles that may assume the member role, minus what only ever
 * acts in the administrator account (the incident table, the functions' own logs and traces).
 * `test/infra/member-stack.test.ts` checks this against the synthesized administrator stack, so
 * the two cannot drift. Data-event queries (Athena) and the report never run in a member account.
 */
export const MEMBER_ACTIONS = {
  /** Enrichment (describePrincipal), key deactivation and the user side of session revocation and rollback. */
  user: [
    'iam:GetUser',
    'iam:ListAccessKeys',
    'iam:GetAccessKeyLastUsed',
    'iam:ListMFADevices',
    'iam:GetLoginProfile',
    'iam:ListUserTags',
    'iam:UpdateAccessKey',
    'iam:GetUserPolicy',
    'iam:PutUserPolicy',
    'iam:DeleteUserPolicy',
  ],
  /** Enrichment (GetRole) and AWSRevokeOlderSessions on roles, and its rollback. */
  role: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
  /** Bucket enrichment, the Sid-keyed bucket Deny, and its rollback. */
  bucket: [
    's3:GetBucketPolicy',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketVersioning',
    's3:GetReplicationConfiguration',
    's3:GetEncryptionConfiguration',
    's3:GetBucketTagging',
    's3:PutBucketPolicy',
    's3:DeleteBucketPolicy',
  ],
  /** The Sid-keyed S3 VPC endpoint Deny, and its rollback. */
  vpcEndpoint: ['ec2:ModifyVpcEndpoint'],
  /** The one-time Macie classification job. */
  macieJob: ['macie2:CreateClassificationJob'],
  /** Reads AWS offers on `*` only. */
  unscopable: [
    'macie2:DescribeBuckets',
    'macie2:ListFindings',
    'macie2:GetFindings',
    'cloudtrail:LookupEvents',
    'ec2:DescribeVpcEndpoints',
  ],
} as const satisfies Record<MemberScope, readonly string[]>;

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

/** Everything that changes the member role itself: it may never widen, re-trust or remove itself. */
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

/**
 * The member-account stack (DESIGN §8a): one IAM role, `MemberRoleName`, that the administrator
 * stack's task roles assume to contain an incident in this account, with exactly the permissions
 * those tasks use here (`MEMBER_ACTIONS`) and nothing else.
 *
 * Made for CloudFormation StackSets: no assets, no Lambda, no bootstrap version check (target
 * accounts need not be CDK-bootstrapped), no context; whatever differs per deployment is a
 * parameter. IAM is global: deploy one instance per account, in one Region.
 */
export class MemberAccountStack extends Stack {
  readonly role: iam.CfnRole;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 's3-exfil-responder member account: the role the responder assumes to contain incidents here',
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
      allowedPattern: '^[A-Za-z][A-Za-z0-9-]{0,127}$',
      constraintDescription: 'must be a CloudFormation stack name',
      description:
        "The responder stack's name in the administrator account: its task roles are named <name>-*, and only they may assume this role",
    });
    const roleName = new CfnParameter(this, 'MemberRoleName', {
      type: 'String',
      default: DEFAULT_MEMBER_ROLE_NAME,
      allowedPattern: '^[\\w+=,.@-]{1,64}$',
      constraintDescription: 'must be an IAM role name',
      description: "The role to create: the responder configuration's memberRoleName",
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
      default: '',
      allowedPattern: '^([\\w+=,.@*/-]{1,512})?$',
      constraintDescription: 'must be role names with their path (wildcards allowed), separated by commas',
      description:
        "Optional: this account's incident-response and break-glass roles (names with their path, e.g. ir/IncidentResponder, BreakGlass*): the responder may never rewrite their policies",
    });
    const hasProtectedRoles = new CfnCondition(this, 'HasProtectedRoleNames', {
      expression: Fn.conditionNot(Fn.conditionEquals(Fn.join('', protectedRoles.valueAsList), '')),
    });
    const hasOrganization = new CfnCondition(this, 'HasOrganizationId', {
      expression: Fn.conditionNot(Fn.conditionEquals(organization.valueAsString, '')),
    });

    const { PARTITION: partition, ACCOUNT_ID: account } = Aws;
    const adminAccount = administrator.valueAsString;
    const responderRoles = `arn:${partition}:iam::${adminAccount}:role/${responderStack.valueAsString}-*`;
    const memberRole = `arn:${partition}:iam::${account}:role/${roleName.valueAsString}`;

    // Trust: the administrator account, and there only the responder stack's roles (its task
    // roles; the others hold no sts:AssumeRole), under the session name the adapters use
    // (handlers/shared/clients/accounts.ts), so CloudTrail here names every session the same way.
    // No sts:ExternalId: it guards against the confused deputy, a third party assuming roles on
    // behalf of several customers. Here the caller is our own account, pinned by account and role
    // ARN, and never acts for anyone else; an external id would be one more value to distribute
    // and no added check (it is not a secret).
    const conditions = (extra: Record<string, string>) => ({
      ArnLike: { 'aws:PrincipalArn': responderRoles },
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

    const resources: Record<MemberScope, string[]> = {
      user: [`arn:${partition}:iam::${account}:user/*`],
      role: [`arn:${partition}:iam::${account}:role/*`],
      bucket: [`arn:${partition}:s3:::*`],
      vpcEndpoint: [`arn:${partition}:ec2:*:${account}:vpc-endpoint/*`],
      macieJob: [`arn:${partition}:macie2:*:${account}:classification-job/*`],
      unscopable: ['*'],
    };
    const sid: Record<MemberScope, string> = {
      user: 'IamUsers',
      role: 'IamRoles',
      bucket: 'Buckets',
      vpcEndpoint: 'VpcEndpoints',
      macieJob: 'MacieJobs',
      unscopable: 'UnscopableReads',
    };
    const allows = (Object.keys(MEMBER_ACTIONS) as MemberScope[]).map((scope) =>
      justify(
        new iam.PolicyStatement({
          sid: sid[scope],
          actions: [...MEMBER_ACTIONS[scope]],
          resources: resources[scope],
          conditions: scope === 'bucket' ? { StringEquals: { 'aws:ResourceAccount': account } } : undefined,
        }),
        WHY[scope],
      ),
    );
    // No self-escalation: a finding that names this role or a responder role must not let the
    // responder rewrite it, even though the planner never targets them.
    const denies = [
      new iam.PolicyStatement({
        sid: 'NeverThisRole',
        effect: iam.Effect.DENY,
        actions: SELF_CHANGES,
        resources: [memberRole],
      }),
      new iam.PolicyStatement({
        sid: 'NeverTheResponderRoles',
        effect: iam.Effect.DENY,
        actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        resources: [`arn:${partition}:iam::${account}:role/${responderStack.valueAsString}-*`],
      }),
    ];

    this.role = new iam.CfnRole(this, 'MemberRole', {
      roleName: roleName.valueAsString,
      description: 's3-exfil-responder: contain incidents in this account, on behalf of the responder stack',
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: trust,
      policies: [
        { policyName: 'Respond', policyDocument: new iam.PolicyDocument({ statements: allows, minimize: false }) },
        {
          policyName: 'NoSelfEscalation',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              ...denies.map((statement) => statement.toStatementJson()),
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
          },
        },
      ],
    });
    acknowledgeWildcards(this.role, allows);

    new CfnOutput(this, 'MemberRoleArn', {
      value: this.role.attrArn,
      description: 'The role the responder assumes in this account',
    });
  }
}
