import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ResponderConfigInput } from '../../infra/config.js';
import { MEMBER_KINDS, MEMBER_TASKS, type MemberRoleKind } from '../../infra/member-roles.js';
import { MEMBER_ACTIONS, MemberAccountStack, type MemberScope, protectedRoleNames } from '../../infra/member-stack.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';
import { allAcknowledgements, readable } from './role-policies.js';

type Json = unknown;
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

const list = <T>(value: T | T[] | undefined): T[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** Intrinsics as `role-policies.ts` writes them (`<Partition>`, `<AdministratorAccountId>`), `Fn::If` kept. */
function readableDeep(value: Json): Json {
  if (Array.isArray(value)) return value.map(readableDeep);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, Json>;
  if ('Ref' in record || 'Fn::Join' in record || 'Fn::GetAtt' in record) return readable(value);
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, readableDeep(inner)]));
}

function memberApp() {
  const app = new App();
  const stack = new MemberAccountStack(app, 'S3ExfilResponderMember');
  return { app, stack, template: Template.fromStack(stack) };
}

let member: ReturnType<typeof memberApp>;
let resources: Resources;
let roles: Record<MemberRoleKind, Record<string, Json>>;
const LOGICAL_IDS: Record<MemberRoleKind, string> = {
  read: 'ReadRole',
  contain: 'ContainRole',
  rollback: 'RollbackRole',
};

beforeAll(() => {
  member = memberApp();
  resources = member.template.toJSON().Resources as Resources;
  roles = Object.fromEntries(
    MEMBER_KINDS.map((kind) => [kind, resources[LOGICAL_IDS[kind]]?.Properties ?? {}]),
  ) as Record<MemberRoleKind, Record<string, Json>>;
});

/** A kind's actions as one list, in scope order. */
const actionsOf = (kind: MemberRoleKind): string[] =>
  Object.values(MEMBER_ACTIONS[kind] as Partial<Record<MemberScope, readonly string[]>>).flat();

const policy = (name: string, kind: MemberRoleKind = 'contain'): Statement[] => {
  const policies = roles[kind].Policies as { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
  const found = policies.find((candidate) => candidate.PolicyName === name);
  if (!found) throw new Error(`no inline policy ${name}`);
  return readableDeep(found.PolicyDocument.Statement) as Statement[];
};

describe('the member-account stack (StackSets)', () => {
  it('is three IAM roles and their outputs: no assets, no Lambda, no bootstrap check, no custom resources', () => {
    const template = member.template.toJSON();
    expect(Object.entries(resources).map(([id, resource]) => [id, resource.Type])).toEqual([
      ['ReadRole', 'AWS::IAM::Role'],
      ['ContainRole', 'AWS::IAM::Role'],
      ['RollbackRole', 'AWS::IAM::Role'],
    ]);
    expect(Object.keys(template.Outputs)).toEqual(['ReadRoleArn', 'ContainRoleArn', 'RollbackRoleArn']);
    expect(template.Rules).toBeUndefined();
    expect(Object.keys(template.Parameters)).not.toContain('BootstrapVersion');

    const assembly = member.app.synth();
    const artifact = assembly.getStackArtifact(member.stack.artifactId);
    expect(artifact.assets).toEqual([]);
    expect(assembly.artifacts.filter((candidate) => candidate.constructor.name === 'AssetManifestArtifact')).toEqual(
      [],
    );
    // Nothing can add one by accident: the synthesizer refuses assets.
    expect(() => member.stack.synthesizer.addFileAsset({ sourceHash: 'x', fileName: 'x' })).toThrow(/assets/);
  });

  it('takes what differs per deployment as parameters, each constrained by a pattern', () => {
    const parameters = member.template.toJSON().Parameters as Record<
      string,
      { Type: string; Default?: string; AllowedPattern: string }
    >;
    expect(
      Object.fromEntries(
        Object.entries(parameters).map(([name, { Type, Default, AllowedPattern }]) => [
          name,
          { Type, Default, AllowedPattern },
        ]),
      ),
    ).toEqual({
      AdministratorAccountId: { Type: 'String', Default: undefined, AllowedPattern: '^\\d{12}$' },
      ResponderStackName: {
        Type: 'String',
        Default: 'S3ExfilResponder',
        AllowedPattern: '^[A-Za-z][A-Za-z0-9-]{0,39}$',
      },
      MemberRoleName: { Type: 'String', Default: 'S3ExfilResponderMember', AllowedPattern: '^[\\w+=,.@-]{1,56}$' },
      OrganizationId: { Type: 'String', Default: '', AllowedPattern: '^(o-[a-z0-9]{10,32})?$' },
      ProtectedRoleNames: { Type: 'CommaDelimitedList', Default: '', AllowedPattern: '^([\\w+=,.@*/-]{1,512})?$' },
    });

    const matches = (name: string, value: string) => new RegExp(parameters[name]?.AllowedPattern ?? '$^').test(value);
    expect(matches('AdministratorAccountId', '123456789012')).toBe(true);
    expect(matches('AdministratorAccountId', '12345678901')).toBe(false);
    expect(matches('AdministratorAccountId', 'arn:aws:iam::123456789012:root')).toBe(false);
    expect(matches('OrganizationId', '')).toBe(true);
    expect(matches('OrganizationId', 'o-a1b2c3d4e5')).toBe(true);
    expect(matches('OrganizationId', 'r-a1b2')).toBe(false);
    expect(matches('MemberRoleName', 'S3ExfilResponderMember')).toBe(true);
    expect(matches('MemberRoleName', 'a/b')).toBe(false);
    // The longest names still make role names IAM accepts (64 characters): `<stack>-CollectManagementEvents`, `<base>Rollback`.
    expect(matches('ResponderStackName', `A${'b'.repeat(39)}`)).toBe(true);
    expect(matches('ResponderStackName', `A${'b'.repeat(40)}`)).toBe(false);
    expect(`${'A'.repeat(40)}-CollectManagementEvents`.length).toBe(64);
    expect(matches('MemberRoleName', 'm'.repeat(56))).toBe(true);
    expect(matches('MemberRoleName', 'm'.repeat(57))).toBe(false);
    expect(matches('ProtectedRoleNames', '')).toBe(true);
    expect(matches('ProtectedRoleNames', 'ir/IncidentResponder,BreakGlass*')).toBe(true);
    expect(matches('ProtectedRoleNames', 'arn:aws:iam::1:role/x')).toBe(false);
    // The default role name is the one the responder assumes by default.
    expect(parameters.MemberRoleName?.Default).toBe(parseConfig(BASE_CONFIG).memberRoleName);
  });

  it('each role is assumable only by the exact task roles of its kind of work, for at most an hour', () => {
    const callers: Record<MemberRoleKind, string[]> = {
      read: ['DescribePrincipal', 'DescribeBuckets', 'AssessSensitivity', 'CollectManagementEvents', 'PlanContainment'],
      contain: [
        'DeactivateAccessKey',
        'RevokeRoleSessions',
        'StartMacieJob',
        'DenyBucketAccess',
        'RestrictVpcEndpoint',
      ],
      rollback: ['RollbackIncident'],
    };
    for (const kind of MEMBER_KINDS) {
      const role = roles[kind];
      expect(readable(role.RoleName)).toBe(`<MemberRoleName>${kind.charAt(0).toUpperCase()}${kind.slice(1)}`);
      expect(role.MaxSessionDuration).toBe(3600);
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.PermissionsBoundary).toBeUndefined();

      const conditions = (extra: Record<string, string>) => ({
        ArnEquals: {
          'aws:PrincipalArn': callers[kind].map(
            (task) => `arn:<Partition>:iam::<AdministratorAccountId>:role/<ResponderStackName>-${task}`,
          ),
        },
        StringEquals: { 'sts:RoleSessionName': 's3-exfil-responder', ...extra },
      });
      expect(readableDeep(role.AssumeRolePolicyDocument)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ResponderTaskRoles',
            Effect: 'Allow',
            Principal: { AWS: 'arn:<Partition>:iam::<AdministratorAccountId>:root' },
            Action: 'sts:AssumeRole',
            Condition: {
              'Fn::If': ['HasOrganizationId', conditions({ 'aws:PrincipalOrgID': '<OrganizationId>' }), conditions({})],
            },
          },
        ],
      });
      // No wildcard anywhere in who may assume it.
      expect(JSON.stringify(readableDeep(role.AssumeRolePolicyDocument))).not.toContain('*');
    }
    // The callers are the tasks of infra/member-roles.ts, the ones the responder stack names so.
    expect(Object.fromEntries(MEMBER_KINDS.map((kind) => [kind, MEMBER_TASKS[kind].length]))).toEqual({
      read: callers.read.length,
      contain: callers.contain.length,
      rollback: callers.rollback.length,
    });
    expect(member.template.toJSON().Conditions).toEqual({
      HasOrganizationId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] },
      HasProtectedRoleNames: {
        'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'ProtectedRoleNames' }] }, ''] }],
      },
    });
  });

  it('the read role allows reads only; each role exactly its kind of work, each scoped to this account', () => {
    expect(policy('Respond', 'read')).toEqual([
      {
        Sid: 'IamUsers',
        Effect: 'Allow',
        Action: [
          'iam:GetUser',
          'iam:ListAccessKeys',
          'iam:GetAccessKeyLastUsed',
          'iam:ListMFADevices',
          'iam:GetLoginProfile',
          'iam:ListUserTags',
        ],
        Resource: 'arn:<Partition>:iam::<AccountId>:user/*',
      },
      { Sid: 'IamRoles', Effect: 'Allow', Action: 'iam:GetRole', Resource: 'arn:<Partition>:iam::<AccountId>:role/*' },
      {
        Sid: 'Buckets',
        Effect: 'Allow',
        Action: [
          's3:GetBucketPolicy',
          's3:GetBucketPublicAccessBlock',
          's3:GetBucketVersioning',
          's3:GetReplicationConfiguration',
          's3:GetEncryptionConfiguration',
          's3:GetBucketTagging',
        ],
        Resource: 'arn:<Partition>:s3:::*',
        Condition: { StringEquals: { 'aws:ResourceAccount': '<AccountId>' } },
      },
      {
        Sid: 'UnscopableReads',
        Effect: 'Allow',
        Action: [
          'macie2:DescribeBuckets',
          'macie2:ListFindings',
          'macie2:GetFindings',
          'cloudtrail:LookupEvents',
          'ec2:DescribeVpcEndpoints',
        ],
        Resource: '*',
      },
    ]);
    expect(actionsOf('read').filter((action) => !/^[a-z0-9]+:(Get|List|Describe|Lookup)/.test(action))).toEqual([]);
    expect(policy('Respond', 'contain')).toEqual([
      {
        Sid: 'IamUsers',
        Effect: 'Allow',
        Action: ['iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:GetUserPolicy', 'iam:PutUserPolicy'],
        Resource: 'arn:<Partition>:iam::<AccountId>:user/*',
      },
      {
        Sid: 'IamRoles',
        Effect: 'Allow',
        Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
        Resource: 'arn:<Partition>:iam::<AccountId>:role/*',
      },
      {
        Sid: 'Buckets',
        Effect: 'Allow',
        Action: ['s3:GetBucketPolicy', 's3:PutBucketPolicy'],
        Resource: 'arn:<Partition>:s3:::*',
        Condition: { StringEquals: { 'aws:ResourceAccount': '<AccountId>' } },
      },
      {
        Sid: 'VpcEndpoints',
        Effect: 'Allow',
        Action: 'ec2:ModifyVpcEndpoint',
        Resource: 'arn:<Partition>:ec2:*:<AccountId>:vpc-endpoint/*',
      },
      {
        Sid: 'MacieJobs',
        Effect: 'Allow',
        Action: 'macie2:CreateClassificationJob',
        Resource: 'arn:<Partition>:macie2:*:<AccountId>:classification-job/*',
      },
      { Sid: 'UnscopableReads', Effect: 'Allow', Action: 'ec2:DescribeVpcEndpoints', Resource: '*' },
    ]);
    // Only the rollback role may delete what containment wrote.
    for (const kind of MEMBER_KINDS) {
      expect({ kind, deletes: actionsOf(kind).filter((action) => /:Delete/.test(action)) }).toEqual({
        kind,
        deletes: kind === 'rollback' ? ['iam:DeleteUserPolicy', 'iam:DeleteRolePolicy', 's3:DeleteBucketPolicy'] : [],
      });
      // Each policy is MEMBER_ACTIONS of its kind, nothing more.
      expect(policy('Respond', kind).flatMap((statement) => list(statement.Action))).toEqual(actionsOf(kind));
      // Every write on `*`-named resources is limited to this account by ARN or by condition.
      for (const statement of policy('Respond', kind)) {
        const resource = String(statement.Resource);
        if (resource === '*')
          expect(list(statement.Action).every((action) => /:(Describe|List|Get|Lookup)/.test(action))).toBe(true);
        else expect(resource.includes(':<AccountId>:') || statement.Condition !== undefined).toBe(true);
      }
    }
  });

  it('denies changing any member role, and rewriting the policies of the responder and protected roles', () => {
    for (const kind of MEMBER_KINDS) {
      expect((roles[kind].Policies as { PolicyName: string }[]).map((entry) => entry.PolicyName)).toEqual([
        'Respond',
        'NoSelfEscalation',
      ]);
      expect(policy('NoSelfEscalation', kind)).toEqual(policy('NoSelfEscalation', 'read'));
    }
    expect(policy('NoSelfEscalation')).toEqual([
      {
        Sid: 'NeverTheMemberRoles',
        Effect: 'Deny',
        Action: [
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
        ],
        Resource: [
          'arn:<Partition>:iam::<AccountId>:role/<MemberRoleName>Read',
          'arn:<Partition>:iam::<AccountId>:role/<MemberRoleName>Contain',
          'arn:<Partition>:iam::<AccountId>:role/<MemberRoleName>Rollback',
        ],
      },
      {
        Sid: 'NeverTheResponderRoles',
        Effect: 'Deny',
        Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        Resource: 'arn:<Partition>:iam::<AccountId>:role/<ResponderStackName>-*',
      },
      {
        'Fn::If': [
          'HasProtectedRoleNames',
          {
            Sid: 'NeverTheProtectedRoles',
            Effect: 'Deny',
            Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
            Resource: {
              'Fn::Split': [',', 'arn:*:iam::*:role/<join ",arn:*:iam::*:role/" <ProtectedRoleNames>>'],
            },
          },
          '<NoValue>',
        ],
      } as unknown as Statement,
    ]);
    // Every role-policy write any role is allowed is covered by every Deny.
    const allowed = MEMBER_KINDS.flatMap((kind) => actionsOf(kind)).filter((action) =>
      /^iam:(Put|Delete)RolePolicy$/.test(action),
    );
    expect(new Set(allowed)).toEqual(new Set(['iam:PutRolePolicy', 'iam:DeleteRolePolicy']));
    const denies = policy('NoSelfEscalation').map(
      (deny) => ((deny as unknown as { 'Fn::If'?: [string, Statement] })['Fn::If']?.[1] ?? deny) as Statement,
    );
    for (const deny of denies) expect(list(deny.Action)).toEqual(expect.arrayContaining([...new Set(allowed)]));
  });

  it('defaults ProtectedRoleNames to the configured IR and break-glass role names, with their path', () => {
    const app = new App();
    const names = protectedRoleNames([
      'arn:aws:iam::123456789012:role/IncidentResponder',
      'arn:aws:iam::123456789012:role/ops/BreakGlassAdmin',
      'arn:aws:iam::210987654321:role/IncidentResponder',
    ]);
    const stack = new MemberAccountStack(app, 'Configured', { protectedRoleNames: names });
    const parameters = Template.fromStack(stack).toJSON().Parameters as Record<string, { Default?: string }>;

    expect(names).toEqual(['IncidentResponder', 'ops/BreakGlassAdmin']);
    expect(parameters.ProtectedRoleNames?.Default).toBe('IncidentResponder,ops/BreakGlassAdmin');
    expect(
      new RegExp((parameters.ProtectedRoleNames as { AllowedPattern: string }).AllowedPattern).test(
        'ops/BreakGlassAdmin',
      ),
    ).toBe(true);
  });

  it('turns ProtectedRoleNames into one denied role ARN per name, and into no statement when empty', () => {
    const raw = (roles.contain.Policies as { PolicyName: string; PolicyDocument: { Statement: Json[] } }[])
      .find((entry) => entry.PolicyName === 'NoSelfEscalation')
      ?.PolicyDocument.Statement.at(-1) as { 'Fn::If': [string, { Resource: Json }, Json] };
    /** The few intrinsics the statement uses, evaluated as CloudFormation would for these parameters. */
    const evaluate = (value: Json, names: string[]): Json => {
      if (Array.isArray(value)) return value.map((inner) => evaluate(inner, names));
      if (typeof value !== 'object' || value === null) return value;
      const record = value as Record<string, Json>;
      if ('Ref' in record) return record.Ref === 'ProtectedRoleNames' ? names : `<${record.Ref}>`;
      if ('Fn::Join' in record) {
        const [delimiter, parts] = record['Fn::Join'] as [string, Json];
        return (evaluate(parts, names) as string[]).join(delimiter);
      }
      if ('Fn::Split' in record) {
        const [delimiter, text] = record['Fn::Split'] as [string, Json];
        return (evaluate(text, names) as string).split(delimiter);
      }
      return value;
    };
    const [condition, statement, otherwise] = raw['Fn::If'];
    expect(condition).toBe('HasProtectedRoleNames');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(evaluate(statement.Resource, ['ir/IncidentResponder', 'BreakGlass*'])).toEqual([
      'arn:*:iam::*:role/ir/IncidentResponder',
      'arn:*:iam::*:role/BreakGlass*',
    ]);
    expect(evaluate(statement.Resource, ['IncidentResponder'])).toEqual(['arn:*:iam::*:role/IncidentResponder']);
  });

  it('passes cdk-nag AwsSolutions, each wildcard acknowledged one by one with its reason', () => {
    const report = new AwsSolutionsChecks(member.app).validateScope(member.app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(Annotations.fromStack(member.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(member.stack).findWarning('*', Match.anyValue())).toEqual([]);

    // What the IAM5 rule finds without acknowledgements is exactly what is acknowledged, role by role.
    const acknowledged = allAcknowledgements(member.app);
    const findings = MEMBER_KINDS.flatMap((kind) =>
      (rules.iam.IAMNoWildcardPermissions(member.stack.roles[kind]) as string[]).map(
        (finding) => `${LOGICAL_IDS[kind]} AwsSolutions-IAM5[${finding}]`,
      ),
    );
    expect(acknowledged.map(({ path, id }) => `${path.split('/').at(-1)} ${id}`).sort()).toEqual(findings.sort());
    expect(findings.filter((finding) => finding.startsWith('ReadRole')).sort()).toEqual(
      [
        'Resource::*',
        'Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*',
        'Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*',
        'Resource::arn:<AWS::Partition>:s3:::*',
      ]
        .map((finding) => `ReadRole AwsSolutions-IAM5[${finding}]`)
        .sort(),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(30);
  });

  it('is env-agnostic: account and partition are pseudo parameters, so one template serves every account', () => {
    expect(member.stack.resolve(member.stack.account)).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(member.template.toJSON())).not.toMatch(/\d{12}/);
  });
});

/** What the administrator stack needs to grant for member use: every configured option on, with a member account. */
const MEMBER = '210987654321';
const ADMIN_CONFIG: ResponderConfigInput = {
  ...BASE_CONFIG,
  vpcEndpointIds: ['vpce-0a1b2c3d4e5f60718'],
  memberAccounts: [MEMBER],
  athena: {
    database: 'security',
    table: 'cloudtrail_logs',
    workgroup: 'responder',
    cloudTrailBucket: 'org-trail-logs',
  },
};

/** Actions in a member-assuming task role that only ever act for the function itself, never in an account. */
const FUNCTION_ONLY: Record<string, string> = {
  'xray:PutTraceSegments': "the function's own traces (Lambda active tracing)",
  'xray:PutTelemetryRecords': "the function's own traces (Lambda active tracing)",
};

/**
 * The member scope of an administrator grant, from its resource as the task scopes it; `home` for
 * a resource of the administrator stack itself (the incident table, the function's log group).
 */
function scopeOf(resource: string, conditions: Json): MemberScope | 'home' | `unknown: ${string}` {
  if (/<(?!Partition>|Region>|AccountId>|URLSuffix>)[^>]+>/.test(resource)) return 'home';
  if (resource === '*') return 'unscopable';
  if (/^arn:<Partition>:iam::\d{12}:user\/\*$/.test(resource)) return 'user';
  if (/^arn:<Partition>:iam::\d{12}:role\/\*$/.test(resource)) return 'role';
  if (resource === 'arn:<Partition>:s3:::*' && JSON.stringify(conditions).includes('aws:ResourceAccount'))
    return 'bucket';
  if (/^arn:<Partition>:ec2:[a-z0-9-]+:\d{12}:vpc-endpoint\/vpce-[0-9a-f]+$/.test(resource)) return 'vpcEndpoint';
  if (/^arn:<Partition>:macie2:\*:\d{12}:classification-job\/\*$/.test(resource)) return 'macieJob';
  return `unknown: ${resource}`;
}

describe('the member roles and the administrator stack cannot drift', () => {
  it('each holds exactly the actions its task roles are granted, each with the same scope', async () => {
    const { template } = await synthStack(ADMIN_CONFIG);
    const adminResources = template.toJSON().Resources as Resources;
    const byRole = new Map<string, Statement[]>();
    for (const resource of Object.values(adminResources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const statements = list(
        (resource.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement,
      );
      for (const roleRef of list(resource.Properties?.Roles)) {
        const key = readable(roleRef);
        byRole.set(key, [...(byRole.get(key) ?? []), ...statements]);
      }
    }
    /** The member role kind a statement lets the task assume, if any. */
    const assumed = (statement: Statement): MemberRoleKind | undefined =>
      statement.Effect === 'Allow' && list(statement.Action).includes('sts:AssumeRole')
        ? MEMBER_KINDS.find((kind) =>
            list(statement.Resource).some((resource) =>
              readable(resource).endsWith(
                `:${MEMBER}:role/S3ExfilResponderMember${kind.charAt(0).toUpperCase()}${kind.slice(1)}`,
              ),
            ),
          )
        : undefined;

    const granted = Object.fromEntries(MEMBER_KINDS.map((kind) => [kind, new Map<string, Set<string>>()])) as Record<
      MemberRoleKind,
      Map<string, Set<string>>
    >;
    const homeOnly = new Set<string>();
    const taskRoles = Object.fromEntries(MEMBER_KINDS.map((kind) => [kind, [] as string[]])) as Record<
      MemberRoleKind,
      string[]
    >;
    for (const [roleRef, statements] of byRole) {
      const kinds = [...new Set(statements.map(assumed).filter((kind) => kind !== undefined))];
      if (kinds.length === 0) continue;
      // A task assumes one member role, never two.
      expect({ roleRef, kinds: kinds.length }).toEqual({ roleRef, kinds: 1 });
      const kind = kinds[0] as MemberRoleKind;
      taskRoles[kind].push(roleRef.replace(/^<|Role>$/g, ''));
      for (const statement of statements) {
        if (statement.Effect !== 'Allow' || assumed(statement)) continue;
        for (const action of list(statement.Action)) {
          if (action in FUNCTION_ONLY) continue;
          for (const resource of list(statement.Resource)) {
            const scope = scopeOf(readable(resource), statement.Condition);
            if (scope === 'home') homeOnly.add(action);
            else granted[kind].set(action, new Set([...(granted[kind].get(action) ?? []), scope]));
          }
        }
      }
    }

    const sortedEntries = (entries: [string, string][]) => entries.sort(([a], [b]) => a.localeCompare(b));
    for (const kind of MEMBER_KINDS) {
      const expected = sortedEntries(
        (
          Object.entries(MEMBER_ACTIONS[kind] as Partial<Record<MemberScope, readonly string[]>>) as [
            MemberScope,
            readonly string[],
          ][]
        ).flatMap(([scope, actions]) => actions.map((action): [string, string] => [action, scope])),
      );
      const actual = sortedEntries(
        [...granted[kind]].map(([action, scopes]): [string, string] => [action, [...scopes].join(' + ')]),
      );
      // Every action a task of this kind may call in a member account is in its member role, with
      // the scope the task grants it; and the member role holds nothing else.
      expect({ kind, actions: actual }).toEqual({ kind, actions: expected });
      // No action is listed twice, under two scopes.
      expect(new Set(expected.map(([action]) => action)).size).toBe(expected.length);
    }

    // The check covers the tasks that act in an account, each under its kind, and what it left
    // out acts on the stack's own resources only.
    const pascal = (task: string) => task.charAt(0).toUpperCase() + task.slice(1);
    for (const kind of MEMBER_KINDS) {
      expect({ kind, roles: taskRoles[kind].sort() }).toEqual({ kind, roles: MEMBER_TASKS[kind].map(pascal).sort() });
    }
    expect(Object.values(taskRoles).flat()).toHaveLength(11);
    expect([...homeOnly].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });
});
