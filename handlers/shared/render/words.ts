import { causeMessage } from '../errors.js';
import type { ActionId } from '../schemas/plan.js';
import { oneLine } from './escape.js';

/** CloudTrail's and GuardDuty's principal types in the words a responder uses. */
const PRINCIPAL_WORDS: Record<string, string> = {
  IAMUser: 'IAM user',
  AssumedRole: 'assumed role',
  Role: 'IAM role',
  Root: 'root user',
  FederatedUser: 'federated user',
  AWSAccount: 'AWS account',
  AWSService: 'AWS service',
  IdentityCenterUser: 'IAM Identity Center user',
  Anonymous: 'anonymous caller',
  anonymous: 'anonymous caller',
  Unknown: 'unknown principal',
};

/** A principal type as words (`IAMUser` → `IAM user`); an unknown type is shown as it is, on one line. */
export function principalTypeWords(type: string): string {
  return PRINCIPAL_WORDS[type] ?? oneLine(type);
}

/** Words with their indefinite article: `an IAM user`, `a root user`. */
export function withArticle(words: string): string {
  return `${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words}`;
}

/** `an IAM user principal`, `an anonymous caller`: how a sentence names a principal of this type. */
export function principalOfType(type: string): string {
  const words = principalTypeWords(type);
  return withArticle(/principal|caller/.test(words) ? words : `${words} principal`);
}

/** `1 statement`, `3 statements`. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}

/** At most `limit` characters, ending in an ellipsis when cut. */
export function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** What a source is, for the sentence that says it could not answer. */
const SERVICE_DISABLED: Record<string, string> = {
  assessSensitivity: 'Macie is not enabled in this account',
  startMacieJob: 'Macie is not enabled in this account',
};

/** Longest reason shown to a person; the execution history keeps the whole cause. */
const REASON_LIMIT = 300;

/**
 * Why a source or an action could not answer, as one readable line: the message inside a Step
 * Functions cause (never its JSON), a sentence for a service that is not enabled, and at most 300
 * characters. `error` is the error name the flow recorded, `source` the task that failed.
 */
export function readableReason(reason: string | undefined, error?: string, source?: string): string {
  if (error === 'AwsServiceDisabled' && source && SERVICE_DISABLED[source]) return SERVICE_DISABLED[source];
  let message = oneLine(causeMessage(reason) ?? '').trim();
  // A cause quoted inside a sentence ("…: {"errorType":…}") is replaced by its message.
  const quoted = message.indexOf('{"');
  if (quoted > 0) {
    const inner = causeMessage(message.slice(quoted));
    if (inner !== undefined && inner !== message.slice(quoted))
      message = `${message.slice(0, quoted)}${oneLine(inner)}`;
  }
  if (!message) return error ? `${error} (no details given)` : 'no reason given';
  if (/^[[{]/.test(message)) return `${error ?? 'the task failed'} (details in the execution history)`;
  return clip(message, REASON_LIMIT);
}

/** Each containment action as a responder reads it (checkboxes, the decision message, the report). */
export const ACTION_LABELS: Record<ActionId, string> = {
  deactivateAccessKey: 'Deactivate the access key',
  revokeRoleSessions: 'Revoke the role’s sessions',
  startMacieJob: 'Start a Macie classification job',
  denyBucketAccess: 'Deny the principal in the bucket policy',
  restrictVpcEndpoint: 'Restrict the VPC endpoint policy',
  revokeUserSessions: 'Revoke sessions minted from the leaked key',
};
