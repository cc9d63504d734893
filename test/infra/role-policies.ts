import { CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * A role's permissions, read off the synthesized template and made readable: intrinsics become
 * `<Partition>`, `<IncidentStoreTable.Arn>` (logical ids without their hash), statements with
 * the same actions and conditions are one entry with their resources together (for Allow
 * statements the same permissions), and every list is sorted.
 */
export interface Grant {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, string[]>>;
}

export interface RoleFacts {
  /** The template's logical id of the role. */
  readonly logicalId: string;
  /** Service principals that may assume it. */
  readonly trustedBy: string[];
  readonly grants: Grant[];
  /** Explicit Deny statements: what the role may never do, whatever it is granted. */
  readonly denies: Grant[];
  /** Managed policies and inline `Policies` of the role itself (expected: none). */
  readonly attached: unknown[];
}

type Json = unknown;
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json> }> };

const HASH = /[0-9A-F]{8}$/;

/** A CloudFormation value as a readable string: `arn:<Partition>:s3:::*`, `<EvidenceBucket.Arn>/incidents/*`. */
export function readable(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, Json>;
    if (typeof record.Ref === 'string') return `<${record.Ref.replace(/^AWS::/, '').replace(HASH, '')}>`;
    const getAtt = record['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) return `<${getAtt[0].replace(HASH, '')}.${getAtt[1]}>`;
    const join = record['Fn::Join'] as [string, Json[]] | undefined;
    if (join) {
      // A list parameter joined: `<join ",x" <Names>>`, the delimiter kept so a test can check it.
      if (!Array.isArray(join[1])) return `<join ${JSON.stringify(join[0])} ${readable(join[1])}>`;
      return join[1].map(readable).join(join[0]);
    }
  }
  return JSON.stringify(value);
}

/** The statements of an `AWS::IAM::Policy`. */
const statementsOf = (policy: { Properties?: Record<string, Json> }): Json[] =>
  list((policy.Properties?.PolicyDocument as { Statement?: Json } | undefined)?.Statement);
const list = (value: Json): Json[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The role's key in the tables: its logical id without the hash and the `Role` suffix, camelCase. */
export function roleKey(logicalId: string): string {
  const name = logicalId.replace(HASH, '').replace(/Role$/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function readableConditions(conditions: Json): Grant['conditions'] {
  if (typeof conditions !== 'object' || conditions === null) return undefined;
  return Object.fromEntries(
    Object.entries(conditions as Record<string, Record<string, Json>>).map(([operator, keys]) => [
      operator,
      Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, list(values).map(readable)])),
    ]),
  );
}

/** Every role of the template, by `roleKey`, with its permissions. */
export function rolePermissions(template: Template): Record<string, RoleFacts> {
  const resources = Object.entries(template.Resources);
  const policies = resources.filter(([, resource]) => resource.Type === 'AWS::IAM::Policy');
  const roles: Record<string, RoleFacts> = {};
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const properties = resource.Properties ?? {};
    const trust = properties.AssumeRolePolicyDocument as { Statement: { Principal: { Service?: Json } }[] };
    const statements = policies
      .filter(([, policy]) =>
        list(policy.Properties?.Roles).some((role) => readable(role) === `<${logicalId.replace(HASH, '')}>`),
      )
      .flatMap(([, policy]) => statementsOf(policy));
    const grants = new Map<string, Grant>();
    const denies = new Map<string, Grant>();
    for (const raw of statements) {
      const statement = raw as { Effect: string; Action: Json; Resource: Json; Condition?: Json };
      if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
        throw new Error(`${logicalId}: unexpected ${statement.Effect} statement`);
      }
      const into = statement.Effect === 'Allow' ? grants : denies;
      const actions = sorted(list(statement.Action).map(readable));
      const conditions = readableConditions(statement.Condition);
      const key = JSON.stringify([actions, conditions]);
      const resourcesOf = list(statement.Resource).map(readable);
      const existing = into.get(key);
      into.set(key, {
        actions,
        resources: sorted([...(existing?.resources ?? []), ...resourcesOf]),
        ...(conditions && { conditions }),
      });
    }
    roles[roleKey(logicalId)] = {
      logicalId,
      trustedBy: sorted(trust.Statement.flatMap((entry) => list(entry.Principal.Service).map(readable))),
      grants: [...grants.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      denies: [...denies.values()],
      attached: [...list(properties.ManagedPolicyArns), ...list(properties.Policies)],
    };
  }
  return roles;
}

/** Sorts grants the way `rolePermissions` does, so an expected table can be written in any order. */
export function normalized(grants: readonly Grant[]): Grant[] {
  return grants
    .map((grant) => ({
      ...grant,
      actions: sorted(grant.actions),
      resources: sorted(grant.resources),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** One cdk-nag `AwsSolutions-IAM5` finding of a role's policy, and the reasons acknowledged for it. */
export interface WildcardFinding {
  /** `Resource::<AWS::Partition>:s3:::*` or `Action::s3:Get*`, as cdk-nag names it. */
  readonly finding: string;
  /** The resource (or action) as the tables write it. */
  readonly readable: string;
  readonly reasons: string[];
}

const ACKNOWLEDGED = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

/** The acknowledgements recorded on one construct: rule id → reason. */
function acknowledgedOn(scope: IConstruct): [string, string][] {
  return scope.node.metadata
    .filter((entry) => entry.type === ACKNOWLEDGED && entry.data)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]);
}

/** Every acknowledgement in the app: where, which rule, why. */
export function allAcknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((scope) => acknowledgedOn(scope).map(([id, reason]) => ({ path: scope.node.path, id, reason })));
}

/**
 * For each role (by `roleKey`), every wildcard its policies hold, as cdk-nag's `AwsSolutions-IAM5`
 * names it, with the reasons acknowledged for it where cdk-nag looks: on the policy or an ancestor.
 */
export function wildcardFindings(stack: Stack, template: Template): Record<string, WildcardFinding[]> {
  const constructs = new Map(
    stack.node
      .findAll()
      .filter((scope): scope is CfnResource => CfnResource.isCfnResource(scope))
      .map((resource) => [stack.resolve(resource.logicalId) as string, resource]),
  );
  const found: Record<string, WildcardFinding[]> = {};
  for (const [logicalId, policy] of Object.entries(template.Resources)) {
    if (policy.Type !== 'AWS::IAM::Policy') continue;
    const scope = constructs.get(logicalId);
    if (!scope) throw new Error(`no construct for ${logicalId}`);
    const acknowledged = new Map<string, string[]>();
    for (let current: IConstruct | undefined = scope; current; current = current.node.scope) {
      for (const [id, reason] of acknowledgedOn(current))
        acknowledged.set(id, [...(acknowledged.get(id) ?? []), reason]);
    }
    const findings: WildcardFinding[] = [];
    for (const raw of statementsOf(policy)) {
      const statement = raw as { Action: Json; Resource: Json };
      const wildcards = [
        ...list(statement.Resource).map((resource) => [
          `Resource::${flattenCfnReference(resource)}`,
          readable(resource),
        ]),
        ...list(statement.Action).map((action) => [`Action::${readable(action)}`, readable(action)]),
      ].filter(([finding]) => finding?.includes('*'));
      for (const [finding = '', text = ''] of wildcards) {
        findings.push({ finding, readable: text, reasons: acknowledged.get(`AwsSolutions-IAM5[${finding}]`) ?? [] });
      }
    }
    for (const role of list(policy.Properties?.Roles)) {
      const key = roleKey(readable(role).slice(1, -1));
      found[key] = [...(found[key] ?? []), ...findings];
    }
  }
  return found;
}
