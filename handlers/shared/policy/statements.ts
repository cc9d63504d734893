import { UnsafePolicy } from '../errors.js';
import { asArray, type Statement } from './document.js';

export interface BucketDenySpec {
  readonly sid: string;
  readonly bucket: string;
  readonly partition: string;
  /** Deny these principals (`aws:PrincipalArn`: the user ARN, or the role ARN for its sessions). */
  readonly principalArns?: readonly string[];
  /** Or deny requests from these addresses (anonymous callers have no principal ARN). */
  readonly sourceIps?: readonly string[];
  /** Or every principal of these accounts (`aws:PrincipalAccount`): a caller of whom only the account is known. */
  readonly principalAccounts?: readonly string[];
  /** Never denied: IR roles, break-glass roles and the responder's own roles. */
  readonly exemptArns: readonly string[];
  /** Accounts never denied whole (home, members, the finding's own). */
  readonly ourAccounts?: readonly string[];
}

/**
 * A Deny of every S3 action on the bucket and its objects for one principal (or source addresses),
 * with the exempt roles carved out by `ArnNotLike aws:PrincipalArn`, so the IR role can still read
 * and change the policy and undo this statement.
 */
export function bucketDenyStatement(spec: BucketDenySpec): Statement {
  const bucketArn = `arn:${spec.partition}:s3:::${spec.bucket}`;
  const condition: Record<string, Record<string, unknown>> = {};
  if (spec.principalArns && spec.principalArns.length > 0) {
    condition.ArnEquals = { 'aws:PrincipalArn': [...spec.principalArns] };
  } else if (spec.principalAccounts && spec.principalAccounts.length > 0) {
    condition.StringEquals = { 'aws:PrincipalAccount': [...spec.principalAccounts] };
  } else if (spec.sourceIps && spec.sourceIps.length > 0) {
    condition.IpAddress = { 'aws:SourceIp': spec.sourceIps.map(toCidr) };
    // An address is not an identity: our own roles may call from the same NAT or office address.
    // Requests signed by a principal of our accounts are left alone; an anonymous request has no
    // aws:PrincipalAccount, and a negated operator on a missing key matches, so it is denied.
    if (spec.ourAccounts && spec.ourAccounts.length > 0) {
      condition.StringNotEquals = { 'aws:PrincipalAccount': [...spec.ourAccounts] };
    }
  } else {
    throw new UnsafePolicy(
      `refusing to build ${spec.sid}: a deny needs a principal ARN, a principal account or source addresses`,
    );
  }
  if (spec.exemptArns.length > 0) condition.ArnNotLike = { 'aws:PrincipalArn': [...spec.exemptArns] };
  const statement: Statement = {
    Sid: spec.sid,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: condition,
  };
  assertSafeDeny(statement, spec.exemptArns, spec.ourAccounts);
  return statement;
}

function toCidr(ip: string): string {
  if (ip.includes('/')) return ip;
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/**
 * Refuses a Deny we would write if it could apply to a protected principal: it must carve out
 * every protected ARN with `ArnNotLike aws:PrincipalArn`, and must not name one as its target.
 * Nor may it deny a whole account of ours (`ourAccounts`: home, members, the finding's own): an
 * `aws:PrincipalAccount` condition naming one of them (or a pattern matching one, or a negated
 * operator, which denies every account but those listed, unless it lists every account of ours) is
 * `UnsafePolicy`, whatever the finding said.
 */
export function assertSafeDeny(
  statement: Statement,
  protectedArns: readonly string[],
  ourAccounts: readonly string[] = [],
): void {
  if (statement.Effect !== 'Deny') throw new UnsafePolicy(`${statement.Sid}: we only ever add Deny statements`);
  const exempt = new Set(asArray(statement.Condition?.ArnNotLike?.['aws:PrincipalArn'] as string | string[]));
  const missing = protectedArns.filter((arn) => !exempt.has(arn));
  if (missing.length > 0) {
    throw new UnsafePolicy(`${statement.Sid}: would not exempt ${missing.join(', ')}`);
  }
  const targets = asArray(statement.Condition?.ArnEquals?.['aws:PrincipalArn'] as string | string[]);
  const hit = targets.filter((arn) => protectedArns.includes(arn));
  if (hit.length > 0) {
    throw new UnsafePolicy(`${statement.Sid}: refusing to deny a protected role (${hit.join(', ')})`);
  }
  const ours = ownAccountsDenied(statement, ourAccounts);
  if (ours) throw new UnsafePolicy(`${statement.Sid}: refusing to deny ${ours} (aws:PrincipalAccount)`);
}

/** What of ours an `aws:PrincipalAccount` condition of a statement denies whole, if anything. */
function ownAccountsDenied(statement: Statement, ourAccounts: readonly string[]): string | undefined {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (typeof keys !== 'object' || keys === null) continue;
    for (const [key, raw] of Object.entries(keys)) {
      // Condition keys are case-insensitive in IAM.
      if (key.toLowerCase() !== 'aws:principalaccount') continue;
      const values = asArray(raw as string | string[]).map(String);
      if (/not/i.test(operator)) {
        // A negated operator denies every account it does not list: safe only as an exemption
        // that lists every account of ours (the source-address Deny's carve-out).
        const denied = ourAccounts.filter((account) => !values.some((value) => matchesPattern(value, account)));
        if (ourAccounts.length === 0 || denied.length > 0) {
          return `every account but ${values.join(', ') || 'none'} (${operator})`;
        }
        continue;
      }
      const named = ourAccounts.filter((account) => values.some((value) => matchesPattern(value, account)));
      if (named.length > 0) return `our own account ${named.join(', ')}`;
    }
  }
  return undefined;
}

/** IAM's `StringLike` matching (`*` any run, `?` one character); a plain value matches itself. */
function matchesPattern(pattern: string, value: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 's').test(value);
}

/**
 * Buckets AWS itself serves through S3 endpoints (ECR image layers, Amazon Linux repositories, the
 * SSM Agent, Patch Manager, CloudWatch and CodeDeploy agent buckets): a data perimeter on
 * `s3:ResourceAccount` must not cut instances off from them, least of all during an incident.
 */
export const AWS_OWNED_BUCKET_OBJECTS = [
  'arn:aws:s3:::prod-*-starport-layer-bucket/*',
  'arn:aws:s3:::al2023-repos-*/*',
  'arn:aws:s3:::amazonlinux-2-repos-*/*',
  'arn:aws:s3:::amazonlinux.*.amazonaws.com/*',
  'arn:aws:s3:::repo.*.amazonaws.com/*',
  'arn:aws:s3:::packages.*.amazonaws.com/*',
  'arn:aws:s3:::aws-ssm-*/*',
  'arn:aws:s3:::amazon-ssm-*/*',
  'arn:aws:s3:::*-birdwatcher-prod/*',
  'arn:aws:s3:::patch-baseline-snapshot-*/*',
  'arn:aws:s3:::aws-patchmanager-macos-*/*',
  'arn:aws:s3:::amazoncloudwatch-agent-*/*',
  'arn:aws:s3:::aws-codedeploy-*/*',
  'arn:aws:s3:::aws-windows-downloads-*/*',
  'arn:aws:s3:::ec2-windows-*/*',
];

/** The AWS-owned bucket objects in a partition's ARNs (`aws`, `aws-cn`, `aws-us-gov`…). */
export function awsOwnedBucketObjects(partition: string): string[] {
  return AWS_OWNED_BUCKET_OBJECTS.map((arn) => arn.replace(/^arn:aws:/, `arn:${partition}:`));
}

export interface EndpointDenySpec {
  readonly sidPrefix: string;
  /** The incident's partition, for the AWS-owned bucket ARNs. @default 'aws' */
  readonly partition?: string;
  readonly principalArns?: readonly string[];
  /** Every principal of these accounts, when only the caller's account is known. */
  readonly principalAccounts?: readonly string[];
  /** Accounts whose buckets may be reached through the endpoint (ours and the trusted ones). */
  readonly allowedAccounts: readonly string[];
  readonly exemptArns: readonly string[];
  /** Accounts never denied whole (home, members, the finding's own). */
  readonly ourAccounts?: readonly string[];
}

/**
 * VPC endpoint statements: deny the principal through the endpoint, and a data perimeter that
 * denies S3 requests to buckets of any account not allowed (copying into an attacker's bucket
 * through the endpoint). Both carve out the exempt roles; the endpoint's existing Allow is kept by
 * the merge, so traffic that was allowed and is not the attacker's still flows.
 */
export function endpointDenyStatements(spec: EndpointDenySpec): Statement[] {
  const exempt: Record<string, Record<string, unknown>> = spec.exemptArns.length > 0
    ? { ArnNotLike: { 'aws:PrincipalArn': [...spec.exemptArns] } }
    : {};
  const statements: Statement[] = [];
  if (spec.principalArns && spec.principalArns.length > 0) {
    statements.push({
      Sid: `${spec.sidPrefix}DenyPrincipal`,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { ArnEquals: { 'aws:PrincipalArn': [...spec.principalArns] }, ...exempt },
    });
  } else if (spec.principalAccounts && spec.principalAccounts.length > 0) {
    statements.push({
      Sid: `${spec.sidPrefix}DenyAccount`,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': [...spec.principalAccounts] }, ...exempt },
    });
  }
  statements.push({
    Sid: `${spec.sidPrefix}DataPerimeter`,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    NotResource: awsOwnedBucketObjects(spec.partition ?? 'aws'),
    Condition: { StringNotEquals: { 's3:ResourceAccount': [...spec.allowedAccounts] }, ...exempt },
  });
  for (const statement of statements) assertSafeDeny(statement, spec.exemptArns, spec.ourAccounts);
  return statements;
}

/**
 * The seed's `DenyNonVpcAccess`: object reads that do not come through one of the endpoints are
 * denied, except for the exempt roles and AWS services acting on their own behalf.
 */
export function denyNonVpcStatement(spec: {
  sid: string;
  bucket: string;
  partition: string;
  vpcEndpointIds: readonly string[];
  exemptArns: readonly string[];
}): Statement {
  const statement: Statement = {
    Sid: spec.sid,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:${spec.partition}:s3:::${spec.bucket}/*`,
    Condition: {
      StringNotEquals: { 'aws:SourceVpce': [...spec.vpcEndpointIds] },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      ArnNotLike: { 'aws:PrincipalArn': [...spec.exemptArns] },
    },
  };
  assertSafeDeny(statement, spec.exemptArns);
  return statement;
}

/** The policy name the IAM console uses to revoke a role's active sessions. */
export const REVOKE_SESSIONS_POLICY = 'AWSRevokeOlderSessions';

/**
 * Denies everything to credentials issued before `issuedBefore` (the console's "revoke active
 * sessions"). Long-term access keys carry no `aws:TokenIssueTime`, so for a user this touches only
 * temporary credentials (GetSessionToken, federation).
 */
export function revokeSessionsPolicy(issuedBefore: string): PolicyDocumentLike {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
      },
    ],
  };
}

type PolicyDocumentLike = { Version: string; Statement: Statement[] };

/**
 * The newest `DateLessThan aws:TokenIssueTime` cut-off among a policy's Deny statements and
 * `atLeast`: a revoke-sessions statement merged beside an administrator's own (the console writes
 * the same policy name) keeps the later of the two, so merging never shortens a revocation.
 */
export function newestTokenCutoff(statements: readonly Statement[], atLeast: string): string {
  let newest = atLeast;
  for (const statement of statements) {
    if (statement.Effect !== 'Deny') continue;
    const values = asArray(statement.Condition?.DateLessThan?.['aws:TokenIssueTime'] as string | string[]);
    for (const value of values) {
      const time = Date.parse(value);
      if (Number.isFinite(time) && time > Date.parse(newest))
        newest = new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
  }
  return newest;
}
