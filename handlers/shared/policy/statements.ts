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
  /** Never denied: IR roles, break-glass roles and the responder's own roles. */
  readonly exemptArns: readonly string[];
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
  } else if (spec.sourceIps && spec.sourceIps.length > 0) {
    condition.IpAddress = { 'aws:SourceIp': spec.sourceIps.map(toCidr) };
  } else {
    throw new UnsafePolicy(`refusing to build ${spec.sid}: a deny needs a principal ARN or source addresses`);
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
  assertSafeDeny(statement, spec.exemptArns);
  return statement;
}

function toCidr(ip: string): string {
  if (ip.includes('/')) return ip;
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/**
 * Refuses a Deny we would write if it could apply to a protected principal: it must carve out
 * every protected ARN with `ArnNotLike aws:PrincipalArn`, and must not name one as its target.
 */
export function assertSafeDeny(statement: Statement, protectedArns: readonly string[]): void {
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
}
