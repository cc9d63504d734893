import { isIP } from 'node:net';
import * as z from 'zod';

/**
 * Validators for identifiers that end up in policies, ARNs, Slack messages and Athena queries.
 * They are strict on purpose: a value that passes can be embedded without escaping surprises.
 */
export const AccountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
export const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1');
export const Partition = z.enum(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f']);

/** S3 bucket naming rules (general purpose buckets): 3–63 chars of a-z, 0-9, '.', '-', starting and ending alphanumeric. */
export const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3-63 of a-z 0-9 . -)')
  .refine((name) => !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name), 'must be a valid S3 bucket name');

/** IAM access key ids: AKIA (long-term) and ASIA (temporary) and the documented 16–128 uppercase alphanumerics. */
export const AccessKeyId = z.string().regex(/^[A-Z0-9]{16,128}$/, 'must be an access key id (16-128 of A-Z 0-9)');

/**
 * A GuardDuty sample's stand-in for an identifier (`GeneratedFindingAccessKeyId`, bucket `bucketName`):
 * plain characters only, so it can be shown anywhere. A drill plans on it; nothing is ever applied to it.
 */
export const SamplePlaceholder = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a sample placeholder (1-63 of A-Z a-z 0-9 . _ -)');

/** IAM user, role and session names share this character set (role session names allow the same). */
export const IamName = z.string().regex(/^[\w+=,.@-]{1,128}$/, 'must be an IAM name ([A-Za-z0-9_+=,.@-], 1-128)');

/** A principal id as GuardDuty and CloudTrail report it (AIDA…, AROA…:session, an account id, ANONYMOUS_PRINCIPAL). */
export const PrincipalId = z.string().regex(/^[\w+=,.@:-]{1,256}$/, 'must be a principal id');

/** A zone index (`fe80::1%eth0`) names a local interface, never a remote caller, and is no `aws:SourceIp`. */
export const IpAddress = z
  .string()
  .refine((value) => isIP(value) !== 0 && !value.includes('%'), 'must be an IPv4 or IPv6 address');

/** An IAM/STS ARN for a principal. */
export const PrincipalArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+|assumed-role\/[\w+=,.@/-]+|federated-user\/[\w+=,.@-]+)$/,
    'must be an IAM or STS principal ARN',
  );

/** An ISO 8601 timestamp, normalized to `toISOString()` form. Accepts epoch seconds as GuardDuty sometimes sends. */
export const Timestamp = z.union([z.string(), z.number(), z.date()]).transform((value, ctx) => {
  const date =
    value instanceof Date ? value : typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 timestamp' });
    return z.NEVER;
  }
  return date.toISOString();
});

/** A zod issue path rendered as `detail.resource.s3BucketDetails[0].name`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The first issue of a failed parse, as a path and a message. */
export function firstIssue(error: z.ZodError, prefix = ''): { path: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { path: prefix, message: 'invalid' };
  const path = formatPath([...(prefix ? [prefix] : []), ...issue.path]);
  // Zod reports a missing field as invalid_type "received undefined" (`input` only when asked to report it).
  const missing =
    issue.code === 'invalid_type' &&
    ('input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message));
  const message = missing ? 'is required' : issue.message;
  return { path, message };
}
