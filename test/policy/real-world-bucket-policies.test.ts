import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_POLICY_LIMIT_BYTES,
  byteSize,
  type PolicyDocument,
  parsePolicy,
  type Statement,
  sameJson,
  serializePolicy,
} from '../../handlers/shared/policy/document.js';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';
import { decide } from '../support/iam.js';
import { withoutUnknownFields } from '../support/iam-endpoint.js';

/** One request a fixture's original policy allows (checked with the oracle before the merge). */
interface FixtureRequest {
  readonly principal?: string;
  readonly principalArn?: string;
  readonly action: string;
  readonly resource: string;
  readonly sourceIp?: string;
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
  readonly identityPolicy?: unknown;
}

interface BucketFixture {
  readonly file: string;
  readonly name: string;
  readonly bucket: string;
  readonly policy: Record<string, unknown>;
  readonly allowed: readonly FixtureRequest[];
  /** The network and request context the policy demands of in-house callers (the attacker and the responders). */
  readonly caller?: { readonly sourceIp?: string; readonly context?: Record<string, string | string[]> };
  /** The original policy already refuses the attacker (a "deny all except" policy). */
  readonly attackerDeniedBefore?: boolean;
  /** Why the fixture is shaped as it is, where the oracle and AWS differ. */
  readonly note?: string;
}

type Merge = (current: PolicyDocument | undefined, ours: readonly Statement[]) => PolicyDocument;

const ACCOUNT = '123456789012';
const ATTACKER = `arn:aws:iam::${ACCOUNT}:user/engineering/developer-jane`;
const IR_ROLE = `arn:aws:iam::${ACCOUNT}:role/IncidentResponder`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`;
const RESPONDERS = [
  { role: IR_ROLE, session: `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponder/responder` },
  { role: BREAK_GLASS, session: `arn:aws:sts::${ACCOUNT}:assumed-role/BreakGlassAdmin/oncall-lead` },
];
const SID = 'IR20260223abcdef012345DenyPrincipal';
const NO_IDENTITY_GRANTS = { Version: '2012-10-17', Statement: [] };

const FIXTURE_DIR = new URL('../fixtures/policies/bucket/', import.meta.url);
const fixtures: BucketFixture[] = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8')) }));

const realMerge: Merge = (current, ours) => mergeStatements(current, ours).document;

function ourDeny(fixture: BucketFixture): Statement {
  return bucketDenyStatement({
    sid: SID,
    bucket: fixture.bucket,
    partition: 'aws',
    principalArns: [ATTACKER],
    exemptArns: [IR_ROLE, BREAK_GLASS],
  });
}

function parsed(fixture: BucketFixture): PolicyDocument {
  const document = parsePolicy(JSON.stringify(fixture.policy), fixture.bucket);
  if (!document) throw new Error(`${fixture.file}: no policy`);
  return document;
}

function contain(fixture: BucketFixture, merge: Merge = realMerge, deny: Statement = ourDeny(fixture)): PolicyDocument {
  return merge(parsed(fixture), [deny]);
}

function bucketArn(fixture: BucketFixture): string {
  return `arn:aws:s3:::${fixture.bucket}`;
}

function objectArn(fixture: BucketFixture): string {
  return `${bucketArn(fixture)}/exports/customers.csv`;
}

function asCaller(fixture: BucketFixture) {
  return { sourceIp: fixture.caller?.sourceIp, context: fixture.caller?.context };
}

/** A fixture request as the oracle sees it: service principals have no identity policy. */
function asCheck(request: FixtureRequest, policy: unknown) {
  const isService = request.principal !== undefined && !request.principal.startsWith('arn:');
  return {
    ...request,
    identityPolicy: request.identityPolicy ?? (isService ? NO_IDENTITY_GRANTS : undefined),
    bucketPolicy: withoutUnknownFields(policy),
  };
}

function attackerRequests(fixture: BucketFixture): [string, string][] {
  return [
    ['s3:GetObject', objectArn(fixture)],
    ['s3:ListBucket', bucketArn(fixture)],
    ['s3:PutObject', objectArn(fixture)],
  ];
}

function responderRequests(fixture: BucketFixture): [string, string][] {
  return [
    ['s3:GetBucketPolicy', bucketArn(fixture)],
    ['s3:PutBucketPolicy', bucketArn(fixture)],
    ['s3:GetObject', objectArn(fixture)],
  ];
}

function describeRequest(request: FixtureRequest): string {
  return `${request.principal ?? 'anonymous'} ${request.action} ${request.resource}`;
}

/** Problems with the fixture itself: its original policy must allow what it lists, and treat the attacker as declared. */
async function fixtureProblems(fixture: BucketFixture): Promise<string[]> {
  const problems: string[] = [];
  for (const request of fixture.allowed) {
    if (request.principal === ATTACKER || request.principalArn === ATTACKER) {
      problems.push(`${describeRequest(request)}: the attacker cannot be a legitimate request`);
    }
    const decision = await decide(asCheck(request, fixture.policy));
    if (decision !== 'Allowed') problems.push(`${describeRequest(request)}: ${decision} by the original policy`);
  }
  const expected = fixture.attackerDeniedBefore ? 'ExplicitlyDenied' : 'Allowed';
  for (const [action, resource] of attackerRequests(fixture)) {
    const bucketPolicy = withoutUnknownFields(fixture.policy);
    const decision = await decide({ principal: ATTACKER, action, resource, bucketPolicy, ...asCaller(fixture) });
    if (decision !== expected) problems.push(`attacker ${action} before the merge: ${decision}, expected ${expected}`);
  }
  return problems;
}

async function attackerRegressions(fixture: BucketFixture, contained: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const [action, resource] of attackerRequests(fixture)) {
    const bucketPolicy = withoutUnknownFields(contained);
    const decision = await decide({ principal: ATTACKER, action, resource, bucketPolicy, ...asCaller(fixture) });
    if (decision !== 'ExplicitlyDenied') problems.push(`attacker ${action}: ${decision}, expected ExplicitlyDenied`);
  }
  return problems;
}

/** The IR and break-glass roles must get exactly the decisions they got before the merge. */
async function responderRegressions(fixture: BucketFixture, contained: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const { role, session } of RESPONDERS) {
    for (const [action, resource] of responderRequests(fixture)) {
      const check = { principal: session, principalArn: role, action, resource, ...asCaller(fixture) };
      const before = await decide({ ...check, bucketPolicy: withoutUnknownFields(fixture.policy) });
      const after = await decide({ ...check, bucketPolicy: withoutUnknownFields(contained) });
      if (after !== before) problems.push(`${role} ${action}: ${before} before the merge, ${after} after`);
    }
  }
  return problems;
}

async function allowedRegressions(fixture: BucketFixture, contained: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const request of fixture.allowed) {
    const decision = await decide(asCheck(request, contained));
    if (decision !== 'Allowed') problems.push(`${describeRequest(request)}: ${decision} after the merge`);
  }
  return problems;
}

/** Others' statements unchanged and in order, unknown fields kept, ours appended once, idempotent, within 20 KB. */
function structureRegressions(fixture: BucketFixture, merge: Merge = realMerge): string[] {
  const problems: string[] = [];
  const original = parsed(fixture);
  const deny = ourDeny(fixture);
  const contained = merge(original, [deny]);
  original.Statement.forEach((statement, index) => {
    if (!sameJson(contained.Statement[index], statement)) {
      problems.push(`Statement[${index}] (${statement.Sid ?? 'no Sid'}) changed, moved or dropped`);
    }
  });
  if (contained.Statement.length !== original.Statement.length + 1) {
    problems.push(`${contained.Statement.length} statements, expected ${original.Statement.length + 1}`);
  }
  if (!sameJson(contained.Statement.at(-1), deny)) problems.push(`${SID} is not the last statement`);
  for (const [field, value] of Object.entries(fixture.policy)) {
    if (field !== 'Statement' && !sameJson(contained[field], value))
      problems.push(`top-level ${field} changed or lost`);
  }
  const reread = parsePolicy(serializePolicy(contained), fixture.bucket);
  if (!sameJson(merge(reread, [deny]), contained)) problems.push('merging twice changed the document');
  const size = byteSize(serializePolicy(contained));
  if (size >= BUCKET_POLICY_LIMIT_BYTES) problems.push(`${size} bytes, limit ${BUCKET_POLICY_LIMIT_BYTES}`);
  return problems;
}

describe('merging the incident Deny into real-world bucket policies (IAM oracle: iam-simulate)', () => {
  it('has at least 20 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(fixtures)('$file: $name', (fixture) => {
    it('is a right fixture: the original policy allows every listed request', async () => {
      const problems = await fixtureProblems(fixture);

      expect(problems).toEqual([]);
    });

    it('denies the attacker s3:GetObject, s3:ListBucket and s3:PutObject', async () => {
      const contained = contain(fixture);

      const problems = await attackerRegressions(fixture, contained);

      expect(problems).toEqual([]);
    });

    it('leaves the IR and break-glass roles as they were (policy read/write and object read)', async () => {
      const contained = contain(fixture);

      const problems = await responderRegressions(fixture, contained);

      expect(problems).toEqual([]);
    });

    it('still allows every request the original policy allowed', async () => {
      const contained = contain(fixture);

      const problems = await allowedRegressions(fixture, contained);

      expect(problems).toEqual([]);
    });

    it('keeps every statement, field and their order, is idempotent and stays under 20 KB', () => {
      const problems = structureRegressions(fixture);

      expect(problems).toEqual([]);
    });
  });
});

describe('the checks above catch a broken merge', () => {
  const byFile = (file: string): BucketFixture => {
    const fixture = fixtures.find((candidate) => candidate.file === file);
    if (!fixture) throw new Error(`no fixture ${file}`);
    return fixture;
  };
  const publicRead = byFile('public-read-static-website.json');
  const sslOnly = byFile('ssl-only.json');

  it('reports a dropped original statement, and the access it granted', async () => {
    const dropFirst: Merge = (current, ours) => {
      const merged = realMerge(current, ours);
      return { ...merged, Statement: merged.Statement.slice(1) };
    };

    const structure = structureRegressions(publicRead, dropFirst);
    const access = await allowedRegressions(publicRead, contain(publicRead, dropFirst));

    expect(structure).toContain('Statement[0] (PublicReadGetObject) changed, moved or dropped');
    expect(access).toEqual([
      'anonymous s3:GetObject arn:aws:s3:::www.example-shop.com/index.html: ImplicitlyDenied after the merge',
      'anonymous s3:GetObject arn:aws:s3:::www.example-shop.com/assets/app.js: ImplicitlyDenied after the merge',
    ]);
  });

  it('reports the IR roles newly denied by a broad Deny without the ArnNotLike exemption', async () => {
    const deny = ourDeny(sslOnly);
    const wholeAccount = { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:*` } };
    const unexempt = { ...deny, Condition: wholeAccount };
    const exempt = {
      ...deny,
      Condition: { ...wholeAccount, ArnNotLike: { 'aws:PrincipalArn': [IR_ROLE, BREAK_GLASS] } },
    };

    const withoutExemption = await responderRegressions(sslOnly, contain(sslOnly, realMerge, unexempt));
    const withExemption = await responderRegressions(sslOnly, contain(sslOnly, realMerge, exempt));

    expect(withoutExemption).toHaveLength(6);
    expect(withoutExemption).toContain(
      `${IR_ROLE} s3:PutBucketPolicy: Allowed before the merge, ExplicitlyDenied after`,
    );
    expect(withExemption).toEqual([]);
  });

  it('reports an attacker left able to read objects when the Deny covers only the bucket ARN', async () => {
    const bucketOnly = { ...ourDeny(sslOnly), Resource: bucketArn(sslOnly) };

    const problems = await attackerRegressions(sslOnly, contain(sslOnly, realMerge, bucketOnly));

    expect(problems).toEqual([
      'attacker s3:GetObject: Allowed, expected ExplicitlyDenied',
      'attacker s3:PutObject: Allowed, expected ExplicitlyDenied',
    ]);
  });

  it('reports a policy replaced by our Deny alone', async () => {
    const replace: Merge = (_current, ours) => ({ Version: '2012-10-17', Statement: [...ours] });

    const structure = structureRegressions(publicRead, replace);
    const access = await allowedRegressions(publicRead, contain(publicRead, replace));

    expect(structure).not.toEqual([]);
    expect(access).toHaveLength(2);
  });
});
