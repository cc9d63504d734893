import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResponderConfigInput } from '../../infra/config.js';
import { ROOT } from '../support/fixtures.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';
import { allAcknowledgements, type Grant, normalized, rolePermissions, wildcardFindings } from './role-policies.js';

/** A grant as the tables write it, with the one-line reason for each `*` it holds (cdk-nag's acknowledgement). */
interface Entry extends Grant {
  readonly why?: string;
}

/** What a deployment's roles may refer to. */
interface Deployment {
  /** Our account, then the member accounts. */
  readonly accounts: string[];
  readonly members: string[];
  readonly endpoints: string[];
  readonly athena?: { workgroup: string; database: string; table: string; trailObjects: string[] };
}

const HOME = '123456789012';
const MEMBER = '210987654321';
const ENDPOINT = 'vpce-0a1b2c3d4e5f60718';

const WHY = {
  logs: 'log streams of the own log group of this function',
  xray: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions',
  iamNames: 'user and role names come from the finding at run time; scoped to the accounts we act in',
  buckets: 'bucket names come from the finding at run time; writes are limited to our accounts by aws:ResourceAccount',
  unscopable: 'this API supports no resource-level permissions (read-only)',
  stepFunctions: 'X-Ray and CloudWatch Logs delivery for Step Functions support no resource-level permissions',
};

/** The explicit Deny of the two roles that may rewrite role policies: never ours, the IR or break-glass roles. */
const NEVER_OUR_ROLES: Entry = {
  actions: ['iam:DeleteRolePolicy', 'iam:PutRolePolicy'],
  resources: [
    `arn:<Partition>:iam::${HOME}:role/S3ExfilResponder-*`,
    `arn:aws:iam::${HOME}:role/BreakGlassAdmin`,
    `arn:aws:iam::${HOME}:role/IncidentResponder`,
  ],
  why: 'an explicit Deny: the wildcard widens what is refused (every role of this stack), it grants nothing',
};
const DENIES: Record<string, Entry[]> = {
  revokeRoleSessions: [NEVER_OUR_ROLES],
  rollbackIncident: [NEVER_OUR_ROLES],
};

const STORE: Entry = {
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  resources: ['<IncidentStoreTable.Arn>'],
};
const SLACK_SECRET: Entry = { actions: ['secretsmanager:GetSecretValue'], resources: ['<SlackSecret>'] };

/** Closing an incident rewrites its report: the close function does it. */
const REWRITE_REPORTS: Entry[] = [
  {
    actions: ['s3:GetObject', 's3:PutObject'],
    resources: ['<EvidenceBucket.Arn>/incidents/*'],
    why: 'closing an incident rewrites its report under incidents/<incidentId>/ of our own evidence bucket',
  },
  { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['<EvidenceKey.Arn>'] },
];

/** What every function's role holds: its own log group, and X-Ray. */
function lambdaRole(name: string, ...grants: (Entry | undefined)[]): Entry[] {
  return [
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`<${name}Logs.Arn>`, `<${name}Logs.Arn>:*`],
      why: WHY.logs,
    },
    { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'], why: WHY.xray },
    ...grants.filter((grant): grant is Entry => grant !== undefined),
  ];
}

/** What a Step Functions state machine's role holds besides invoking its functions. */
const STATE_MACHINE_DELIVERY: Entry[] = [
  {
    actions: [
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
    ],
    resources: ['*'],
    why: WHY.stepFunctions,
  },
  {
    actions: ['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    resources: ['*'],
    why: WHY.stepFunctions,
  },
];

const PLAYBOOK_FUNCTIONS = [
  'RegisterIncident',
  'DescribePrincipal',
  'DescribeBuckets',
  'AssessSensitivity',
  'CollectManagementEvents',
  'QueryDataEvents',
  'PlanContainment',
  'RequestApproval',
  'DeactivateAccessKey',
  'RevokeRoleSessions',
  'StartMacieJob',
  'DenyBucketAccess',
  'RestrictVpcEndpoint',
  'WriteReport',
];

/**
 * Every role's exact permissions for a deployment: the least-privilege table. Changing a grant in
 * `infra/` means changing this table, and the README's copy (rendered from it).
 */
function expectedRoles(d: Deployment): Record<string, Entry[]> {
  const iam = (kind: 'user' | 'role') => d.accounts.map((account) => `arn:<Partition>:iam::${account}:${kind}/*`);
  const ourBuckets = (actions: string[]): Entry => ({
    actions,
    resources: ['arn:<Partition>:s3:::*'],
    conditions: { StringEquals: { 'aws:ResourceAccount': d.accounts } },
    why: WHY.buckets,
  });
  const describeEndpoints: Entry = { actions: ['ec2:DescribeVpcEndpoints'], resources: ['*'], why: WHY.unscopable };
  const modifyEndpoints: Entry | undefined =
    d.endpoints.length > 0
      ? {
          actions: ['ec2:ModifyVpcEndpoint'],
          resources: d.endpoints.map((id) => `arn:<Partition>:ec2:us-east-1:${HOME}:vpc-endpoint/${id}`),
        }
      : undefined;
  /** Assuming the member role of the task's kind of work: read-only for enrichment and planning. */
  const member = (kind: 'Read' | 'Contain' | 'Rollback'): Entry | undefined =>
    d.members.length > 0
      ? {
          actions: ['sts:AssumeRole'],
          resources: d.members.map((account) => `arn:<Partition>:iam::${account}:role/S3ExfilResponderMember${kind}`),
        }
      : undefined;
  const athena: Entry[] = d.athena
    ? [
        {
          actions: [
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
          ],
          resources: [`arn:<Partition>:athena:us-east-1:${HOME}:workgroup/${d.athena.workgroup}`],
        },
        {
          actions: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
          resources: [
            `arn:<Partition>:glue:us-east-1:${HOME}:catalog`,
            `arn:<Partition>:glue:us-east-1:${HOME}:database/${d.athena.database}`,
            `arn:<Partition>:glue:us-east-1:${HOME}:table/${d.athena.database}/${d.athena.table}`,
          ],
        },
        {
          actions: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
          resources: d.athena.trailObjects,
          why: 'CloudTrail log objects under the configured prefix are named by date and account at run time',
        },
        { actions: ['s3:GetBucketLocation', 's3:ListBucket'], resources: ['<EvidenceBucket.Arn>'] },
        {
          actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
          resources: ['<EvidenceBucket.Arn>/athena-results/*'],
          why: 'Athena names result objects by query id at run time, under athena-results/ of our own evidence bucket',
        },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['<EvidenceKey.Arn>'] },
      ]
    : [];
  return {
    registerIncident: lambdaRole('RegisterIncident', STORE, SLACK_SECRET, {
      actions: ['guardduty:GetFindings'],
      resources: [`arn:<Partition>:guardduty:us-east-1:${HOME}:detector/*`],
      why: 'a manual re-run names its detector at run time (read-only); scoped to detectors of this account and Region',
    }),
    describePrincipal: lambdaRole(
      'DescribePrincipal',
      {
        actions: [
          'iam:GetAccessKeyLastUsed',
          'iam:GetLoginProfile',
          'iam:GetUser',
          'iam:ListAccessKeys',
          'iam:ListMFADevices',
          'iam:ListUserTags',
        ],
        resources: iam('user'),
        why: WHY.iamNames,
      },
      { actions: ['iam:GetRole'], resources: iam('role'), why: WHY.iamNames },
      member('Read'),
    ),
    describeBuckets: lambdaRole(
      'DescribeBuckets',
      ourBuckets([
        's3:GetBucketPolicy',
        's3:GetBucketPublicAccessBlock',
        's3:GetBucketTagging',
        's3:GetBucketVersioning',
        's3:GetEncryptionConfiguration',
        's3:GetReplicationConfiguration',
      ]),
      member('Read'),
    ),
    assessSensitivity: lambdaRole(
      'AssessSensitivity',
      {
        actions: ['macie2:DescribeBuckets', 'macie2:GetFindings', 'macie2:ListFindings'],
        resources: ['*'],
        why: WHY.unscopable,
      },
      member('Read'),
    ),
    collectManagementEvents: lambdaRole(
      'CollectManagementEvents',
      { actions: ['cloudtrail:LookupEvents'], resources: ['*'], why: WHY.unscopable },
      member('Read'),
    ),
    queryDataEvents: lambdaRole('QueryDataEvents', STORE, SLACK_SECRET, ...athena),
    planContainment: lambdaRole(
      'PlanContainment',
      ourBuckets(['s3:GetBucketPolicy']),
      describeEndpoints,
      member('Read'),
    ),
    requestApproval: lambdaRole('RequestApproval', STORE, SLACK_SECRET),
    deactivateAccessKey: lambdaRole(
      'DeactivateAccessKey',
      { actions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'], resources: iam('user'), why: WHY.iamNames },
      STORE,
      member('Contain'),
    ),
    revokeRoleSessions: lambdaRole(
      'RevokeRoleSessions',
      { actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy'], resources: iam('role'), why: WHY.iamNames },
      { actions: ['iam:GetUserPolicy', 'iam:PutUserPolicy'], resources: iam('user'), why: WHY.iamNames },
      STORE,
      member('Contain'),
    ),
    startMacieJob: lambdaRole(
      'StartMacieJob',
      {
        actions: ['macie2:CreateClassificationJob'],
        resources: [`arn:<Partition>:macie2:*:${HOME}:classification-job/*`],
        why: 'job ids are assigned by Macie; scoped to classification jobs of this account',
      },
      STORE,
      member('Contain'),
    ),
    denyBucketAccess: lambdaRole(
      'DenyBucketAccess',
      ourBuckets(['s3:GetBucketPolicy', 's3:PutBucketPolicy']),
      STORE,
      member('Contain'),
    ),
    restrictVpcEndpoint: lambdaRole(
      'RestrictVpcEndpoint',
      describeEndpoints,
      modifyEndpoints,
      STORE,
      member('Contain'),
    ),
    rollbackIncident: lambdaRole(
      'RollbackIncident',
      ourBuckets(['s3:DeleteBucketPolicy', 's3:GetBucketPolicy', 's3:PutBucketPolicy']),
      describeEndpoints,
      modifyEndpoints,
      {
        actions: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
        resources: iam('role'),
        why: WHY.iamNames,
      },
      {
        actions: [
          'iam:DeleteUserPolicy',
          'iam:GetUserPolicy',
          'iam:ListAccessKeys',
          'iam:PutUserPolicy',
          'iam:UpdateAccessKey',
        ],
        resources: iam('user'),
        why: WHY.iamNames,
      },
      STORE,
      member('Rollback'),
    ),
    writeReport: lambdaRole(
      'WriteReport',
      STORE,
      SLACK_SECRET,
      {
        actions: ['s3:PutObject'],
        resources: ['<EvidenceBucket.Arn>/incidents/*'],
        why: 'reports are written under incidents/<incidentId>/ of our own evidence bucket',
      },
      { actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: ['<EvidenceKey.Arn>'] },
    ),
    slackApprovalHandler: lambdaRole(
      'SlackApprovalHandler',
      SLACK_SECRET,
      STORE,
      { actions: ['states:SendTaskFailure', 'states:SendTaskSuccess'], resources: ['<S3ExfiltrationStateMachine>'] },
      { actions: ['states:StartExecution'], resources: ['<RollbackStateMachine>'] },
    ),
    operationsNotifier: lambdaRole('OperationsNotifier', SLACK_SECRET),
    incidentCloserHandler: lambdaRole(
      'IncidentCloserHandler',
      {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        resources: ['<IncidentStoreTable.Arn>'],
      },
      { actions: ['dynamodb:Query'], resources: ['<IncidentStoreTable.Arn>/index/sweep'] },
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: ['<IncidentStoreTable.StreamArn>'],
      },
      { actions: ['dynamodb:ListStreams'], resources: ['*'], why: WHY.unscopable },
      SLACK_SECRET,
      { actions: ['states:SendTaskFailure'], resources: ['<S3ExfiltrationStateMachine>'] },
      ...REWRITE_REPORTS,
    ),
    detectionsDetect: lambdaRole(
      'DetectionsDetect',
      { actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: ['<DetectionsNewTerms.Arn>'] },
      { actions: ['states:StartExecution'], resources: ['<S3ExfiltrationStateMachine>'] },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        resources: ['<DetectionsDeadLetters.Arn>'],
      },
    ),
    s3ExfiltrationStateMachine: [
      {
        actions: ['lambda:InvokeFunction'],
        resources: PLAYBOOK_FUNCTIONS.flatMap((fn) => [`<${fn}Function.Arn>`, `<${fn}Function.Arn>:*`]),
        why: 'invoking the versions and aliases of the task function',
      },
      ...STATE_MACHINE_DELIVERY,
    ],
    s3ExfiltrationStateMachineEvents: [
      { actions: ['states:StartExecution'], resources: ['<S3ExfiltrationStateMachine>'] },
    ],
    rollbackStateMachine: [
      {
        actions: ['lambda:InvokeFunction'],
        resources: ['<RollbackIncidentFunction.Arn>', '<RollbackIncidentFunction.Arn>:*'],
        why: 'invoking the versions and aliases of the rollback function',
      },
      ...STATE_MACHINE_DELIVERY,
    ],
  };
}

const TRUSTED_BY: Record<string, string> = {
  s3ExfiltrationStateMachine: 'states.amazonaws.com',
  rollbackStateMachine: 'states.amazonaws.com',
  s3ExfiltrationStateMachineEvents: 'events.amazonaws.com',
};

const FULL_CONFIG: ResponderConfigInput = {
  ...BASE_CONFIG,
  vpcEndpointIds: [ENDPOINT],
  memberAccounts: [MEMBER],
  detections: { enabled: true, cloudTrailLogGroup: 'org-trail' },
  athena: {
    database: 'security',
    table: 'cloudtrail_logs',
    workgroup: 'responder',
    cloudTrailBucket: 'org-trail-logs',
    cloudTrailPrefix: 'org',
  },
};

const BASE: Deployment = { accounts: [HOME], members: [], endpoints: [] };
const FULL: Deployment = {
  accounts: [HOME, MEMBER],
  members: [MEMBER],
  endpoints: [ENDPOINT],
  athena: {
    workgroup: 'responder',
    database: 'security',
    table: 'cloudtrail_logs',
    trailObjects: [
      'arn:<Partition>:s3:::org-trail-logs',
      `arn:<Partition>:s3:::org-trail-logs/org/AWSLogs/${HOME}/CloudTrail/*`,
      `arn:<Partition>:s3:::org-trail-logs/org/AWSLogs/${MEMBER}/CloudTrail/*`,
    ],
  },
};

const withoutWhy = (entries: readonly Entry[]): Grant[] => normalized(entries.map(({ why: _, ...grant }) => grant));

/** Read-only by name; everything else is a write. */
const READ = /^[a-z0-9-]+:(Get|List|Describe|Lookup|Head)/;
/** Writes AWS offers on `*` only, each with why that is acceptable. */
const UNSCOPABLE_WRITES: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray takes trace data for the caller only; no resource-level permissions',
  'xray:PutTelemetryRecords': 'X-Ray takes telemetry for the caller only; no resource-level permissions',
  'logs:CreateLogDelivery': 'vended-log delivery for Step Functions; no resource-level permissions',
  'logs:UpdateLogDelivery': 'vended-log delivery for Step Functions; no resource-level permissions',
  'logs:DeleteLogDelivery': 'vended-log delivery for Step Functions; no resource-level permissions',
  'logs:PutResourcePolicy': 'vended-log delivery for Step Functions; no resource-level permissions',
};

/** A write's resource is scoped when it is one of ours, names one of our accounts, or a condition limits it to them. */
function scoped(resource: string, grant: Grant, accounts: readonly string[]): boolean {
  if (/<(?!Partition>|Region>|AccountId>|URLSuffix>)[^>]+>/.test(resource)) return true;
  if (resource !== '*' && accounts.includes(resource.split(':')[4] ?? '')) return true;
  const limited = grant.conditions?.StringEquals?.['aws:ResourceAccount'];
  return limited !== undefined && limited.length > 0 && limited.every((account) => accounts.includes(account));
}

type Built = Awaited<ReturnType<typeof synthStack>>;
const builds: Record<'base' | 'full', { built: Built; deployment: Deployment }> = {} as never;

beforeAll(async () => {
  builds.base = { built: await synthStack(), deployment: BASE };
  builds.full = { built: await synthStack(FULL_CONFIG), deployment: FULL };
});

const template = (name: 'base' | 'full') => builds[name].built.template.toJSON() as never;

describe.each(['base', 'full'] as const)('least privilege, %s config', (name) => {
  it('every role holds exactly the permissions of the table, and nothing attached besides', () => {
    const actual = rolePermissions(template(name));
    const expected = expectedRoles(builds[name].deployment);

    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [role, facts] of Object.entries(actual)) {
      expect({ role, grants: facts.grants }).toEqual({ role, grants: withoutWhy(expected[role] ?? []) });
      expect({ role, trustedBy: facts.trustedBy }).toEqual({
        role,
        trustedBy: [TRUSTED_BY[role] ?? 'lambda.amazonaws.com'],
      });
      expect({ role, attached: facts.attached }).toEqual({ role, attached: [] });
    }
  });

  it('every write is scoped: to our resources, to our accounts by ARN, or by an aws:ResourceAccount condition', () => {
    const unscoped: string[] = [];
    for (const [role, facts] of Object.entries(rolePermissions(template(name)))) {
      for (const grant of facts.grants) {
        for (const action of grant.actions.filter((candidate) => !READ.test(candidate))) {
          if (action in UNSCOPABLE_WRITES) continue;
          const broad = grant.resources.filter(
            (resource) => !scoped(resource, grant, builds[name].deployment.accounts),
          );
          if (broad.length > 0) unscoped.push(`${role}: ${action} on ${broad.join(', ')}`);
        }
      }
    }

    expect(unscoped).toEqual([]);
    // The check itself: a bucket-policy write on every bucket, without the condition, is not scoped.
    const unconditioned = { actions: ['s3:PutBucketPolicy'], resources: ['arn:<Partition>:s3:::*'] };
    expect(scoped('arn:<Partition>:s3:::*', unconditioned, [HOME])).toBe(false);
    // Writes on `*` are only those AWS offers on `*` alone, and each is listed with its reason.
    for (const reason of Object.values(UNSCOPABLE_WRITES)) expect(reason.length).toBeGreaterThan(20);
  });

  it('only the roles that may rewrite role policies carry a Deny, and it covers our own, IR and break-glass roles', () => {
    const roles = rolePermissions(template(name));
    const denies = Object.fromEntries(
      Object.entries(roles)
        .filter(([, facts]) => facts.denies.length > 0)
        .map(([role, facts]) => [role, facts.denies]),
    );
    const strip = (entries: Entry[]) => normalized(entries.map(({ why: _why, ...grant }) => grant));
    expect(Object.keys(denies).sort()).toEqual(Object.keys(DENIES).sort());
    for (const [role, expected] of Object.entries(DENIES))
      expect(normalized(denies[role] ?? [])).toEqual(strip(expected));
    // Every role that may put a role policy has that Deny.
    for (const [role, facts] of Object.entries(roles)) {
      if (facts.grants.some((grant) => grant.actions.includes('iam:PutRolePolicy'))) expect(DENIES[role]).toBeDefined();
    }
  });

  it('every wildcard has a cdk-nag acknowledgement, and its reason is the one the table gives', () => {
    const { stack } = builds[name].built;
    const expected = expectedRoles(builds[name].deployment);
    const problems: string[] = [];
    for (const [role, findings] of Object.entries(wildcardFindings(stack, template(name)))) {
      for (const finding of findings) {
        const entry = [...(expected[role] ?? []), ...(DENIES[role] ?? [])].find(
          (candidate) => candidate.resources.includes(finding.readable) || candidate.actions.includes(finding.readable),
        );
        if (finding.reasons.length === 0) problems.push(`${role}: ${finding.finding} is not acknowledged`);
        else if (!entry?.why) problems.push(`${role}: ${finding.readable} has no reason in the table`);
        else if (!finding.reasons.includes(entry.why)) {
          problems.push(`${role}: ${finding.readable} is acknowledged as "${finding.reasons.join('" / "')}"`);
        }
      }
    }

    expect(problems).toEqual([]);
    expect(Object.values(wildcardFindings(stack, template(name))).flat().length).toBeGreaterThan(30);
  });

  it('every acknowledgement in the stack gives a reason of its own', () => {
    const acknowledged = allAcknowledgements(builds[name].built.app);

    expect(acknowledged.length).toBeGreaterThan(0);
    const weak = acknowledged.filter(({ reason }) => reason.trim().length < 20);
    expect(weak).toEqual([]);
  });
});

describe('cdk-nag with every option set (the base config is checked in stack.test.ts)', () => {
  it('AwsSolutions reports no unacknowledged error or warning, and the synth none either', () => {
    const { app, stack } = builds.full.built;
    const report = new AwsSolutionsChecks(app).validateScope(app);

    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

/** The README's copy of the base table: one row per grant, beyond every function's own logs and X-Ray. */
function renderReadme(roles: Record<string, Entry[]>): string {
  const boilerplate = (entry: Entry) => entry.why === WHY.logs || entry.why === WHY.xray;
  const actions = (list: readonly string[]) => {
    const byService = new Map<string, string[]>();
    for (const action of [...list].sort()) {
      const [service = '', operation = ''] = action.split(':');
      byService.set(service, [...(byService.get(service) ?? []), operation]);
    }
    return [...byService].map(([service, operations]) => `${service}: ${operations.join(', ')}`).join('; ');
  };
  const on = (entry: Entry) => {
    // `<Fn.Arn>` and `<Fn.Arn>:*` (its versions and aliases) as one: `<Fn.Arn>[:*]`.
    const resources = entry.resources
      .filter((resource) => !(resource.endsWith(':*') && entry.resources.includes(resource.slice(0, -2))))
      .map((resource) => `\`${resource}${entry.resources.includes(`${resource}:*`) ? '[:*]' : ''}\``)
      .join(', ');
    const condition = Object.entries(entry.conditions ?? {})
      .flatMap(([operator, keys]) =>
        Object.entries(keys).map(
          ([key, values]) => ` where ${key} ${operator === 'StringEquals' ? 'is' : operator} ${values.join(' or ')}`,
        ),
      )
      .join('');
    return `${resources}${condition}`;
  };
  const rows = Object.entries(roles).flatMap(([role, entries]) =>
    entries
      .filter((entry) => !boilerplate(entry))
      .map(
        (entry, index) =>
          `| ${index === 0 ? role : ''} | ${actions(entry.actions)} | ${on(entry)} | ${(entry.why ?? '').replace(/</g, '&lt;').replace(/>/g, '&gt;')} |`,
      ),
  );
  return ['| Role | May | On | Why the wildcard |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

describe('the README', () => {
  it('shows the least-privilege table of the base config as the test holds it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = /<!-- least-privilege:begin[^>]*-->\n([\s\S]*?)\n<!-- least-privilege:end -->/.exec(readme)?.[1];

    expect(section).toBe(renderReadme(expectedRoles(BASE)));
  });
});
