import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { MEMBER_TASKS } from '../../infra/member-roles.js';
import { MemberAccountStack } from '../../infra/member-stack.js';
import { ResponderStack } from '../../infra/responder-stack.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';
import { readable } from './role-policies.js';

/**
 * Both synthesized templates, read as IAM would: a task role in the administrator account reaches
 * a member role when its policy allows `sts:AssumeRole` on that role's ARN AND the member role's
 * trust names the task role's ARN; it can then do what that role's policy allows.
 */

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;
interface Statement {
  Effect: string;
  Action: Json;
  Resource?: Json;
  Condition?: Record<string, Record<string, Json>>;
  Principal?: { AWS?: Json };
}

const HOME = '123456789012';
const MEMBER = '210987654321';
const READ = /^[a-z0-9-]+:(Get|List|Describe|Lookup|Head)/;

const list = (value: Json): Json[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** The member template as CloudFormation deploys it with these parameters in account MEMBER. */
function evaluate(value: Json, parameters: Record<string, Json>, conditions: Record<string, Json>): Json {
  const recurse = (inner: Json) => evaluate(inner, parameters, conditions);
  if (Array.isArray(value)) return value.map(recurse).filter((inner) => inner !== NO_VALUE);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, Json>;
  if ('Ref' in record) {
    const pseudo: Record<string, Json> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': MEMBER,
      'AWS::NoValue': NO_VALUE,
    };
    const name = String(record.Ref);
    if (name in pseudo) return pseudo[name];
    if (!(name in parameters)) throw new Error(`no value for parameter ${name}`);
    return parameters[name];
  }
  if ('Fn::Join' in record) {
    const [delimiter, parts] = record['Fn::Join'] as [string, Json];
    return (recurse(parts) as Json[]).flat().map(String).join(delimiter);
  }
  if ('Fn::Split' in record) {
    const [delimiter, text] = record['Fn::Split'] as [string, Json];
    return String(recurse(text)).split(delimiter);
  }
  if ('Fn::If' in record) {
    const [condition, yes, no] = record['Fn::If'] as [string, Json, Json];
    return recurse(recurse(conditions[condition]) ? yes : no);
  }
  if ('Fn::Not' in record) return !(recurse((record['Fn::Not'] as Json[])[0]) as boolean);
  if ('Fn::Equals' in record) {
    const [a, b] = record['Fn::Equals'] as [Json, Json];
    return JSON.stringify(recurse(a)) === JSON.stringify(recurse(b));
  }
  if ('Fn::GetAtt' in record) return `<${(record['Fn::GetAtt'] as string[]).join('.')}>`;
  return Object.fromEntries(
    Object.entries(record)
      .map(([key, inner]) => [key, recurse(inner)])
      .filter(([, inner]) => inner !== NO_VALUE),
  );
}
const NO_VALUE = Symbol('AWS::NoValue');

interface MemberRole {
  readonly arn: string;
  /** Role ARNs of the administrator account allowed to assume it. */
  readonly trusts: string[];
  readonly allows: string[];
}

function memberRoles(template: Record<string, Json>, parameters: Record<string, Json>): MemberRole[] {
  const conditions = (template.Conditions ?? {}) as Record<string, Json>;
  return Object.values(template.Resources as Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Role')
    .map((resource) => {
      const role = evaluate(resource.Properties, parameters, conditions) as {
        RoleName: string;
        AssumeRolePolicyDocument: { Statement: Statement[] };
        Policies: { PolicyDocument: { Statement: Statement[] } }[];
      };
      const trusts = role.AssumeRolePolicyDocument.Statement.filter(
        (statement) =>
          statement.Effect === 'Allow' &&
          list(statement.Action).includes('sts:AssumeRole') &&
          list(statement.Principal?.AWS).includes(`arn:aws:iam::${HOME}:root`),
      ).flatMap((statement) => {
        const arns = statement.Condition?.ArnEquals?.['aws:PrincipalArn'];
        // Without an exact list, the whole account would be trusted: make that visible.
        return arns === undefined ? ['*'] : (list(arns) as string[]);
      });
      const allows = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => list(statement.Action) as string[]);
      return { arn: `arn:aws:iam::${MEMBER}:role/${role.RoleName}`, trusts, allows };
    });
}

interface TaskRole {
  readonly key: string;
  readonly arn: string;
  readonly assumes: string[];
}

function taskRoles(template: Record<string, Json>): TaskRole[] {
  const resources = Object.entries(template.Resources as Resources);
  return resources
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .map(([logicalId, resource]) => {
      const name = resource.Properties?.RoleName;
      const statements = resources
        .filter(
          ([, policy]) =>
            policy.Type === 'AWS::IAM::Policy' &&
            list(policy.Properties?.Roles).some((role) => (role as { Ref?: string }).Ref === logicalId),
        )
        .flatMap(
          ([, policy]) =>
            list((policy.Properties?.PolicyDocument as { Statement?: Json } | undefined)?.Statement) as Statement[],
        );
      return {
        key: logicalId.replace(/[0-9A-F]{8}$/, '').replace(/Role$/, ''),
        arn: typeof name === 'string' ? `arn:aws:iam::${HOME}:role/${name}` : `<generated name of ${logicalId}>`,
        assumes: statements
          .filter((statement) => statement.Effect === 'Allow' && list(statement.Action).includes('sts:AssumeRole'))
          .flatMap((statement) =>
            list(statement.Resource).map((resource) => readable(resource).replace('<Partition>', 'aws')),
          ),
      };
    });
}

/** For each task role: the member roles it reaches and every action it can then call there. */
function reach(tasks: TaskRole[], members: MemberRole[]): Record<string, { roles: string[]; actions: string[] }> {
  return Object.fromEntries(
    tasks.map((task) => {
      const reached = members.filter(
        (member) =>
          task.assumes.includes(member.arn) && (member.trusts.includes(task.arn) || member.trusts.includes('*')),
      );
      return [
        task.key,
        {
          roles: reached.map((member) => member.arn.split('/').at(-1) as string),
          actions: [...new Set(reached.flatMap((member) => member.allows))].sort(),
        },
      ];
    }),
  );
}

const PARAMETERS = {
  AdministratorAccountId: HOME,
  ResponderStackName: 'S3ExfilResponder',
  MemberRoleName: 'S3ExfilResponderMember',
  OrganizationId: '',
  ProtectedRoleNames: [''],
};

let home: Record<string, Json>;
let member: Record<string, Json>;

beforeAll(async () => {
  home = (
    await synthStack({ ...BASE_CONFIG, memberAccounts: [MEMBER], vpcEndpointIds: ['vpce-0a1b2c3d4e5f60718'] })
  ).template.toJSON() as Record<string, Json>;
  member = Template.fromStack(new MemberAccountStack(new App(), 'S3ExfilResponderMember')).toJSON() as Record<
    string,
    Json
  >;
});

const pascal = (task: string) => task.charAt(0).toUpperCase() + task.slice(1);
const writes = (actions: string[]) => actions.filter((action) => !READ.test(action));

describe('what each task can reach in a member account (both templates, walked as IAM would)', () => {
  it('no enrichment or planning task can reach a write action in a member account', () => {
    const reached = reach(taskRoles(home), memberRoles(member, PARAMETERS));

    for (const task of MEMBER_TASKS.read) {
      const { roles, actions } = reached[pascal(task)] ?? { roles: [], actions: [] };
      expect({ task, roles }).toEqual({ task, roles: ['S3ExfilResponderMemberRead'] });
      expect(actions.length).toBeGreaterThan(10);
      expect({ task, writes: writes(actions) }).toEqual({ task, writes: [] });
    }
  });

  it('each task reaches exactly the member role of its kind, and tasks that act at home reach none', () => {
    const reached = reach(taskRoles(home), memberRoles(member, PARAMETERS));
    const roles = Object.fromEntries(
      Object.entries(reached)
        .filter(([, { roles: found }]) => found.length > 0)
        .map(([task, { roles: found }]) => [task, found]),
    );

    expect(roles).toEqual({
      ...Object.fromEntries(MEMBER_TASKS.read.map((task) => [pascal(task), ['S3ExfilResponderMemberRead']])),
      ...Object.fromEntries(MEMBER_TASKS.contain.map((task) => [pascal(task), ['S3ExfilResponderMemberContain']])),
      RollbackIncident: ['S3ExfilResponderMemberRollback'],
    });
    // Containment can write, but never delete; only the rollback deletes what containment wrote.
    expect(writes(reached.DenyBucketAccess?.actions ?? [])).toContain('s3:PutBucketPolicy');
    for (const task of MEMBER_TASKS.contain) {
      expect({ task, deletes: (reached[pascal(task)]?.actions ?? []).filter((a) => /:Delete/.test(a)) }).toEqual({
        task,
        deletes: [],
      });
    }
    expect((reached.RollbackIncident?.actions ?? []).filter((action) => /:Delete/.test(action))).toEqual([
      'iam:DeleteRolePolicy',
      'iam:DeleteUserPolicy',
      's3:DeleteBucketPolicy',
    ]);
  });

  it('needs both sides: a grant to assume the contain role alone reaches nothing, a trust that names the task does', () => {
    const tasks = taskRoles(home);
    const members = memberRoles(member, PARAMETERS);
    const contain = members.find((role) => role.arn.endsWith('MemberContain')) as MemberRole;
    const widened = tasks.map((task) =>
      task.key === 'DescribePrincipal' ? { ...task, assumes: [...task.assumes, contain.arn] } : task,
    );

    // The home grant alone: the contain role's trust does not name the enrichment task.
    expect(writes(reach(widened, members).DescribePrincipal?.actions ?? [])).toEqual([]);
    // With the trust widened too, the walk finds the writes: the check can fail.
    const describePrincipal = tasks.find((task) => task.key === 'DescribePrincipal') as TaskRole;
    const trusting = members.map((role) =>
      role === contain ? { ...role, trusts: [...role.trusts, describePrincipal.arn] } : role,
    );
    expect(writes(reach(widened, trusting).DescribePrincipal?.actions ?? [])).toContain('iam:PutRolePolicy');
    // A trust without an exact list (the whole administrator account) would be found too.
    const open = members.map((role) => (role === contain ? { ...role, trusts: ['*'] } : role));
    expect(writes(reach(widened, open).DescribePrincipal?.actions ?? [])).toContain('s3:PutBucketPolicy');
  });

  it('names the task roles exactly as the member trust expects them', () => {
    const named = taskRoles(home)
      .filter((task) => !task.arn.startsWith('<'))
      .map((task) => task.arn)
      .sort();
    const trusted = memberRoles(member, PARAMETERS)
      .flatMap((role) => role.trusts)
      .sort();

    expect(named).toEqual(trusted);
    expect(trusted).toContain(`arn:aws:iam::${HOME}:role/S3ExfilResponder-CollectManagementEvents`);
  });

  it('refuses a stack name too long for its task role names, naming the limit', async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const build = (name: string) =>
      new ResponderStack(app, name, {
        config: parseConfig({ ...BASE_CONFIG, memberAccounts: [MEMBER] }),
        playbooks,
        env: { account: HOME, region: 'us-east-1' },
      });
    const playbooks = await loadPlaybooks();

    expect(() => build(`R${'x'.repeat(40)}`)).toThrow(
      `invalid responder config at memberAccounts: with member accounts the stack name "R${'x'.repeat(40)}" must be at most 40 characters`,
    );
    expect(() => build(`R${'x'.repeat(39)}`)).not.toThrow();
  });
});
