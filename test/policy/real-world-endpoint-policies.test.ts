import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type PolicyDocument,
  parsePolicy,
  type Statement,
  sameJson,
  serializePolicy,
  VPCE_POLICY_LIMIT_CHARS,
} from '../../handlers/shared/policy/document.js';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import { AWS_OWNED_BUCKET_OBJECTS, endpointDenyStatements } from '../../handlers/shared/policy/statements.js';
import { decideThroughEndpoint, type EndpointCheck } from '../support/iam-endpoint.js';

/** One request through the endpoint that the fixture's original endpoint policy lets through. */
interface FixtureRequest {
  readonly principal: string;
  readonly principalArn?: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
}

interface EndpointFixture {
  readonly file: string;
  readonly name: string;
  readonly policy: Record<string, unknown>;
  readonly allowed: readonly FixtureRequest[];
}

type Merge = (current: PolicyDocument | undefined, ours: readonly Statement[]) => PolicyDocument;
type Probe = Omit<EndpointCheck, 'endpointPolicy'>;

const ACCOUNT = '123456789012';
const TRUSTED_ACCOUNT = '210987654321';
const ATTACKER_ACCOUNT = '999999999999';
const AWS_SERVICE_ACCOUNT = '730335286462';
const ORG = 'o-a1b2c3d4e5';
const ATTACKER = `arn:aws:iam::${ACCOUNT}:user/engineering/developer-jane`;
const IR_ROLE = `arn:aws:iam::${ACCOUNT}:role/IncidentResponder`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`;
const WORKLOAD = {
  principal: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-api/i-0abc123def4567890`,
  principalArn: `arn:aws:iam::${ACCOUNT}:role/orders-api`,
};
const SID_PREFIX = 'IR20260223abcdef012345Vpce';
const OUR_OBJECT = 'arn:aws:s3:::customer-records/exports/customers.csv';
/** Callers and buckets of our organization carry these keys (the org-perimeter fixture needs them). */
const INSIDE_ORG = { 'aws:PrincipalOrgID': ORG, 'aws:ResourceOrgID': ORG };

const FIXTURE_DIR = new URL('../fixtures/policies/endpoint/', import.meta.url);
const fixtures: EndpointFixture[] = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8')) }));

const ours = endpointDenyStatements({
  sidPrefix: SID_PREFIX,
  principalArns: [ATTACKER],
  allowedAccounts: [ACCOUNT, TRUSTED_ACCOUNT],
  exemptArns: [IR_ROLE, BREAK_GLASS],
});
const realMerge: Merge = (current, statements) => mergeStatements(current, statements).document;

function parsed(fixture: EndpointFixture): PolicyDocument {
  const document = parsePolicy(JSON.stringify(fixture.policy), fixture.file);
  if (!document) throw new Error(`${fixture.file}: no policy`);
  return document;
}

function contain(fixture: EndpointFixture, merge: Merge = realMerge, statements: readonly Statement[] = ours) {
  return merge(parsed(fixture), statements);
}

/** A bucket policy that lets this caller in, so that a cross-account request turns on the endpoint policy alone. */
function grantTo(probe: Probe) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: probe.principalArn ?? probe.principal },
        Action: probe.action,
        Resource: probe.resource,
      },
    ],
  };
}

function crossAccount(probe: Probe): boolean {
  return (probe.resourceAccount ?? ACCOUNT) !== probe.principal.split(':')[4];
}

async function through(policy: unknown, probe: Probe) {
  const bucketPolicy = probe.bucketPolicy ?? (crossAccount(probe) ? grantTo(probe) : undefined);
  return decideThroughEndpoint({ ...probe, bucketPolicy, endpointPolicy: policy });
}

function describeProbe(probe: Probe): string {
  return `${probe.principal} ${probe.action} ${probe.resource}`;
}

const attackerRead: Probe = {
  principal: ATTACKER,
  action: 's3:GetObject',
  resource: OUR_OBJECT,
  context: INSIDE_ORG,
};

/** Copies into a bucket of an untrusted account, by principals that are not exempt. */
const exfiltrationCopies: Probe[] = [
  { principal: ATTACKER },
  WORKLOAD,
  { principal: `arn:aws:iam::${ACCOUNT}:user/batch-exporter` },
  { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_PowerUserAccess_0123456789abcdef/mallory` },
].map((caller) => ({
  ...caller,
  action: 's3:PutObject',
  resource: 'arn:aws:s3:::attacker-bucket/x',
  resourceAccount: ATTACKER_ACCOUNT,
  context: { 'aws:PrincipalOrgID': ORG },
  bucketPolicy: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::attacker-bucket/*' },
    ],
  },
}));

/** Objects that instances behind the endpoint fetch from AWS's own buckets (ECR layers, OS repositories). */
const AWS_OWNED_OBJECTS = [
  'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/layer',
  'arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/mirrors/2023.6.20250123/x86_64/mirror.list',
  'arn:aws:s3:::amazonlinux-2-repos-us-east-1/2/core/latest/x86_64/mirror.list',
  'arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/2018.03/updates/x86_64/mirror.list',
  'arn:aws:s3:::repo.us-east-1.amazonaws.com/latest/main/mirror.list',
  'arn:aws:s3:::packages.us-east-1.amazonaws.com/2018.03/updates/x86_64/Packages/openssl-1.0.2k-16.el7.x86_64.rpm',
  'arn:aws:s3:::aws-ssm-us-east-1/manifest.json',
  'arn:aws:s3:::amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm',
  'arn:aws:s3:::us-east-1-birdwatcher-prod/inventory/manifest.json',
  'arn:aws:s3:::patch-baseline-snapshot-us-east-1/1a2b3c4d-5e6f-7a8b-9c0d.json',
  'arn:aws:s3:::aws-patchmanager-macos-us-east-1/install.sh',
  'arn:aws:s3:::amazoncloudwatch-agent-us-east-1/amazon_linux/amd64/latest/amazon-cloudwatch-agent.rpm',
  'arn:aws:s3:::aws-codedeploy-us-east-1/latest/install',
  'arn:aws:s3:::aws-windows-downloads-us-east-1/PSModules/AWSPowerShell.zip',
  'arn:aws:s3:::ec2-windows-nvidia-drivers/latest/driver.zip',
];

function awsOwnedRead(resource: string): Probe {
  return {
    ...WORKLOAD,
    action: 's3:GetObject',
    resource,
    resourceAccount: AWS_SERVICE_ACCOUNT,
    context: { 'aws:PrincipalOrgID': ORG },
    bucketPolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: resource }],
    },
  };
}

function allowedProbe(request: FixtureRequest): Probe {
  return { ...request };
}

async function fixtureProblems(fixture: EndpointFixture): Promise<string[]> {
  const problems: string[] = [];
  for (const probe of [...fixture.allowed.map(allowedProbe), attackerRead]) {
    const { decision } = await through(fixture.policy, probe);
    if (decision !== 'Allowed') problems.push(`${describeProbe(probe)}: ${decision} by the original policy`);
  }
  for (const request of fixture.allowed) {
    if ((request.principalArn ?? request.principal) === ATTACKER) problems.push('the attacker is listed as allowed');
  }
  return problems;
}

async function denialRegressions(contained: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const probe of [attackerRead, ...exfiltrationCopies]) {
    const { decision, endpoint } = await through(contained, probe);
    if (decision !== 'ExplicitlyDenied' || endpoint !== 'ExplicitlyDenied') {
      problems.push(`${describeProbe(probe)}: ${decision} (endpoint: ${endpoint}), expected ExplicitlyDenied`);
    }
  }
  return problems;
}

async function allowedRegressions(fixture: EndpointFixture, contained: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const probe of fixture.allowed.map(allowedProbe)) {
    const { decision } = await through(contained, probe);
    if (decision !== 'Allowed') problems.push(`${describeProbe(probe)}: ${decision} after the merge`);
  }
  return problems;
}

/** Requests whose decision changed between the original and the merged policy. */
async function changedDecisions(before: unknown, after: unknown, probes: readonly Probe[]): Promise<string[]> {
  const problems: string[] = [];
  for (const probe of probes) {
    const old = await through(before, probe);
    const now = await through(after, probe);
    if (old.decision !== now.decision || old.endpoint !== now.endpoint) {
      problems.push(`${describeProbe(probe)}: ${old.decision} before the merge, ${now.decision} after`);
    }
  }
  return problems;
}

function responderProbes(): Probe[] {
  return [
    { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponder/responder`, principalArn: IR_ROLE },
    { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/BreakGlassAdmin/oncall-lead`, principalArn: BREAK_GLASS },
  ].flatMap((caller) =>
    (
      [
        ['s3:GetObject', OUR_OBJECT],
        ['s3:GetBucketPolicy', 'arn:aws:s3:::customer-records'],
        ['s3:PutBucketPolicy', 'arn:aws:s3:::customer-records'],
      ] as const
    ).map(([action, resource]) => ({ ...caller, action, resource, context: INSIDE_ORG })),
  );
}

/** Others' statements unchanged and in order, an Allow kept, unknown fields kept, idempotent, within 20,480 chars. */
function structureRegressions(fixture: EndpointFixture, merge: Merge = realMerge): string[] {
  const problems: string[] = [];
  const original = parsed(fixture);
  const contained = merge(original, ours);
  original.Statement.forEach((statement, index) => {
    if (!sameJson(contained.Statement[index], statement)) {
      problems.push(`Statement[${index}] (${statement.Sid ?? 'no Sid'}) changed, moved or dropped`);
    }
  });
  if (!contained.Statement.some((statement) => statement.Effect === 'Allow')) {
    problems.push('no Allow statement left: a deny-only endpoint policy cuts all traffic');
  }
  for (const [field, value] of Object.entries(fixture.policy)) {
    if (field !== 'Statement' && !sameJson(contained[field], value))
      problems.push(`top-level ${field} changed or lost`);
  }
  const reread = parsePolicy(serializePolicy(contained), fixture.file);
  if (!sameJson(merge(reread, ours), contained)) problems.push('merging twice changed the document');
  const length = serializePolicy(contained).length;
  if (length > VPCE_POLICY_LIMIT_CHARS) problems.push(`${length} characters, limit ${VPCE_POLICY_LIMIT_CHARS}`);
  return problems;
}

describe('merging the incident Deny and data perimeter into real-world VPC endpoint policies (IAM oracle)', () => {
  it('has an example object for every AWS-owned bucket pattern we exempt', () => {
    const covered = AWS_OWNED_BUCKET_OBJECTS.filter((pattern) =>
      AWS_OWNED_OBJECTS.some((object) => globToRegExp(pattern).test(object)),
    );

    expect(covered).toEqual(AWS_OWNED_BUCKET_OBJECTS);
  });

  describe.each(fixtures)('$file: $name', (fixture) => {
    it('is a right fixture: the original policy lets every listed request and the attacker through', async () => {
      const problems = await fixtureProblems(fixture);

      expect(problems).toEqual([]);
    });

    it('denies the attacker, and copies into an untrusted account by any non-exempt principal', async () => {
      const contained = contain(fixture);

      const problems = await denialRegressions(contained);

      expect(problems).toEqual([]);
    });

    it("still lets through every request to our or a trusted account's bucket that it let through", async () => {
      const contained = contain(fixture);

      const problems = await allowedRegressions(fixture, contained);

      expect(problems).toEqual([]);
    });

    it('leaves requests to the AWS-owned buckets we exempt as they were', async () => {
      const contained = contain(fixture);

      const problems = await changedDecisions(fixture.policy, contained, AWS_OWNED_OBJECTS.map(awsOwnedRead));

      expect(problems).toEqual([]);
    });

    it('leaves the IR and break-glass roles as they were', async () => {
      const contained = contain(fixture);

      const problems = await changedDecisions(fixture.policy, contained, responderProbes());

      expect(problems).toEqual([]);
    });

    it('keeps every statement (never deny-only), field and their order, is idempotent and fits 20,480 chars', () => {
      const problems = structureRegressions(fixture);

      expect(problems).toEqual([]);
    });
  });
});

describe('the checks above catch a broken merge', () => {
  const fullAccess = fixtures.find((fixture) => fixture.file === 'default-full-access.json');
  if (!fullAccess) throw new Error('no default-full-access.json fixture');

  it('reports a full-access policy replaced by deny-only statements', async () => {
    const replace: Merge = (_current, statements) => ({ Version: '2012-10-17', Statement: [...statements] });

    const structure = structureRegressions(fullAccess, replace);
    const access = await allowedRegressions(fullAccess, contain(fullAccess, replace));

    expect(structure).toContain('no Allow statement left: a deny-only endpoint policy cuts all traffic');
    expect(access).toHaveLength(fullAccess.allowed.length);
  });

  it('reports AWS-owned buckets cut off by a perimeter without the NotResource carve-out', async () => {
    const perimeter = ours.find((statement) => statement.Sid === `${SID_PREFIX}DataPerimeter`);
    if (!perimeter) throw new Error('no data perimeter statement');
    const { NotResource: _carveOut, ...rest } = perimeter;
    const uncarved = ours.map((statement) => (statement === perimeter ? { ...rest, Resource: '*' } : statement));

    const problems = await changedDecisions(
      fullAccess.policy,
      contain(fullAccess, realMerge, uncarved),
      AWS_OWNED_OBJECTS.map(awsOwnedRead),
    );

    expect(problems).toHaveLength(AWS_OWNED_OBJECTS.length);
  });

  it('reports exfiltration copies let through when the data perimeter is missing', async () => {
    const withoutPerimeter = ours.filter((statement) => statement.Sid !== `${SID_PREFIX}DataPerimeter`);

    const problems = await denialRegressions(contain(fullAccess, realMerge, withoutPerimeter));

    expect(problems).toHaveLength(exfiltrationCopies.length - 1);
    expect(problems.some((problem) => problem.includes(WORKLOAD.principal))).toBe(true);
  });
});

/**
 * AWS-owned buckets that instances behind an S3 endpoint must reach (first found missing here). The Systems Manager user guide ("SSM Agent communications with
 * AWS managed S3 buckets", "Reference: Amazon S3 buckets for patching operations") says SSM Agent and
 * Patch Manager need these buckets through a VPC endpoint, and AWS's data perimeter examples
 * (aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/s3_endpoint_policy.json) allow
 * them and the CloudWatch and CodeDeploy agent buckets too. AWS accounts own them, so our data
 * perimeter (s3:ResourceAccount not ours or trusted) newly denies them to every non-exempt
 * principal, even under the default full-access policy: patching, Run Command plugins, inventory and
 * agent installs on the affected instances would stop.
 */
describe('AWS-owned buckets instances need through the endpoint', () => {
  const fullAccess = fixtures.find((fixture) => fixture.file === 'default-full-access.json');
  if (!fullAccess) throw new Error('no default-full-access.json fixture');

  it.each([
    'arn:aws:s3:::aws-ssm-us-east-1/manifest.json',
    'arn:aws:s3:::amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm',
    'arn:aws:s3:::amazon-ssm-packages-us-east-1/BirdwatcherPackage/AmazonCloudWatchAgent/manifest.json',
    'arn:aws:s3:::us-east-1-birdwatcher-prod/inventory/manifest.json',
    'arn:aws:s3:::aws-ssm-document-attachments-us-east-1/AWS-RunPatchBaseline/patch-baseline-operations.zip',
    'arn:aws:s3:::patch-baseline-snapshot-us-east-1/1a2b3c4d-5e6f-7a8b-9c0d.json',
    'arn:aws:s3:::amazoncloudwatch-agent-us-east-1/amazon_linux/amd64/latest/amazon-cloudwatch-agent.rpm',
    'arn:aws:s3:::aws-codedeploy-us-east-1/latest/install',
  ])('leaves %s reachable for an instance behind the endpoint', async (resource) => {
    const contained = contain(fullAccess);

    const problems = await changedDecisions(fullAccess.policy, contained, [awsOwnedRead(resource)]);

    expect(problems).toEqual([]);
  });
});

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
