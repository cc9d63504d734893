/**
 * Named errors. Each class's `name` is the Step Functions error code that Retry and Catch match on,
 * so a thrown error keeps its meaning from the Lambda to the state machine to the report.
 */
export abstract class ResponderError extends Error {
  abstract override readonly name: string;
}

/** A GuardDuty finding or signal that does not match the schema. `path` names the offending field. */
export class InvalidFinding extends ResponderError {
  override readonly name = 'InvalidFinding';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

/**
 * The execution input is none of the accepted forms (an EventBridge event, a finding,
 * `{"Findings":[…]}`, `{findingId, detectorId}`, `{incidentId, rerun: true}`, a detection), or
 * names something that does not exist (a finding id the detector does not know, an unknown
 * incident). The execution fails with this error and nothing is written. `path` names the field.
 */
export class InvalidExecutionInput extends ResponderError {
  override readonly name = 'InvalidExecutionInput';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

/** A task received input that does not match its schema (a wiring bug, never user data). */
export class InvalidTaskInput extends ResponderError {
  override readonly name = 'InvalidTaskInput';
  constructor(
    readonly task: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${task}: ${path || '(input)'}: ${detail}`);
  }
}

/** A scenario file (local runtime) that cannot be loaded. */
export class InvalidScenario extends ResponderError {
  override readonly name = 'InvalidScenario';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

/** Deployment configuration that cannot be used. Fails synth before anything is created. */
export class ConfigError extends ResponderError {
  override readonly name = 'ConfigError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`invalid responder config at ${path || '(root)'}: ${detail}`);
  }
}

/** The approver declined the plan (sent with SendTaskFailure). */
export class ApprovalDenied extends ResponderError {
  override readonly name = 'ApprovalDenied';
}

/**
 * The incident was closed while its approval request was pending: the request is withdrawn and
 * nothing is contained (sent with SendTaskFailure by the closing, or thrown by a re-ping that
 * finds the incident closed).
 */
export class ApprovalWithdrawn extends ResponderError {
  override readonly name = 'ApprovalWithdrawn';
}

/** The approval deadline passed before anyone decided. */
export class ApprovalExpired extends ResponderError {
  override readonly name = 'ApprovalExpired';
}

/** The Step Functions errors of SendTaskSuccess/SendTaskFailure that mean the task no longer waits on the token. */
export const STALE_TOKEN_CODES = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'] as const;
export type StaleTokenCode = (typeof STALE_TOKEN_CODES)[number];

/**
 * Step Functions no longer waits on a task token (its heartbeat or timeout passed, or the
 * execution ended): `code` is the API's error. Nothing was delivered; the message never carries the token.
 */
export class TaskTokenStale extends ResponderError {
  override readonly name = 'TaskTokenStale';
  constructor(
    readonly code: StaleTokenCode,
    message: string,
  ) {
    super(message);
  }
}

/** A decision that must not be applied: wrong approver, reused nonce, expired request. */
export class DecisionRejected extends ResponderError {
  override readonly name = 'DecisionRejected';
  constructor(
    readonly reason: DecisionRejectionReason,
    message: string,
  ) {
    super(message);
  }
}
export type DecisionRejectionReason =
  | 'unknown-request'
  | 'not-an-approver'
  | 'already-decided'
  | 'expired'
  | 'same-approver-twice'
  | 'approver-is-subject'
  | 'nothing-selected'
  | 'request-refreshed'
  | 'withdrawn'
  | 'group-lookup-failed';

/**
 * The merged policy would exceed the service's size limit, or the service refused the write for
 * its size quota (IAM `LimitExceeded` on an inline policy: 10,240 characters for all of a role's
 * inline policies, 2,048 for a user's, whitespace not counted). Nothing was written. Not retried:
 * the same document is just as large on the next attempt.
 */
export class PolicyTooLarge extends ResponderError {
  override readonly name = 'PolicyTooLarge';
  constructor(
    readonly target: string,
    /** The size we measured; undefined when the service refused without telling. */
    readonly size: number | undefined,
    readonly limit: number,
    readonly unit: 'bytes' | 'characters' = 'bytes',
  ) {
    const noun = unit === 'bytes' ? 'byte' : 'character';
    super(
      size === undefined
        ? `policy for ${target} is over the ${limit}-${noun} limit; nothing was written`
        : `policy for ${target} would be ${size} ${unit}, over the ${limit}-${noun} limit; nothing was written`,
    );
  }
}

/**
 * A statement already in the policy uses one of our Sids and was not written by this incident:
 * overwriting it would destroy someone else's statement, and rollback would later remove it.
 * Nothing was written. Not retried. The statement's owner renames its Sid (or removes it), then
 * the action is re-run.
 */
export class SidConflict extends ResponderError {
  override readonly name = 'SidConflict';
  constructor(
    readonly target: string,
    readonly sids: readonly string[],
  ) {
    super(
      `${target} already holds a statement with Sid ${Array.from(sids).join(', ')} that this incident did not write; ` +
        'nothing was written. Rename or remove that statement, then re-run the incident',
    );
  }
}

/** A policy we would write fails a safety check (for example, it would deny the IR role). Nothing was written. */
export class UnsafePolicy extends ResponderError {
  override readonly name = 'UnsafePolicy';
}

/** A policy document that cannot be parsed as an IAM policy. Nothing was written. */
export class InvalidPolicyDocument extends ResponderError {
  override readonly name = 'InvalidPolicyDocument';
}

/** Our write was overwritten by someone else and retries ran out. */
export class LostUpdate extends ResponderError {
  override readonly name = 'LostUpdate';
}

/** The access key in the finding does not belong to the user in the finding. Nothing was changed. */
export class AccessKeyMismatch extends ResponderError {
  override readonly name = 'AccessKeyMismatch';
}

/** A containment action cannot be applied to this target (wrong credential type, protected role…). */
export class ActionNotApplicable extends ResponderError {
  override readonly name = 'ActionNotApplicable';
}

/** A conditional write lost to another writer in the incident store. */
export class StoreConflict extends ResponderError {
  override readonly name = 'StoreConflict';
}

/** The incident a task refers to is not in the store. */
export class IncidentNotFound extends ResponderError {
  override readonly name = 'IncidentNotFound';
}

/**
 * A query scanned, or would have scanned, more data than allowed: cancelled by the Athena
 * workgroup's per-query cutoff (`BytesScannedCutoffPerQuery`), or its results refused because it
 * scanned more than the configured limit. Not retried: the same query scans the same data.
 */
export class DataScanLimitExceeded extends ResponderError {
  override readonly name = 'DataScanLimitExceeded';
  constructor(
    message: string,
    /** The limit in bytes, when known. */
    readonly limit: number | undefined,
    /** The bytes scanned when the query was stopped or refused. */
    readonly scanned: number,
  ) {
    super(message);
  }
}

/** AWS answered with throttling. Retried by the state machine. */
export class AwsThrottling extends ResponderError {
  override readonly name = 'AwsThrottling';
}
/** AWS refused the call for lack of permission. */
export class AwsAccessDenied extends ResponderError {
  override readonly name = 'AwsAccessDenied';
}
/** The resource the call names does not exist. */
export class AwsResourceNotFound extends ResponderError {
  override readonly name = 'AwsResourceNotFound';
}
/** The call did not complete in time. Retried by the state machine. */
export class AwsTimeout extends ResponderError {
  override readonly name = 'AwsTimeout';
}
/** The service is not enabled or not set up for this account (Macie disabled, no trail…). */
export class AwsServiceDisabled extends ResponderError {
  override readonly name = 'AwsServiceDisabled';
}
/** Any other AWS error. */
export class AwsServiceError extends ResponderError {
  override readonly name = 'AwsServiceError';
}

/** Error names the state machine retries: transient by nature, and every task is idempotent. */
export const RETRYABLE_ERRORS = ['AwsThrottling', 'AwsTimeout', 'StoreConflict'] as const;

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'TransactionInProgressException',
]);
/** IAM's quota error (query API `LimitExceeded`, SDK v3 `LimitExceededException`): a quota, never throttling. */
const IAM_QUOTA = new Set(['LimitExceeded', 'LimitExceededException']);
/** IAM's aggregate inline policy size quotas, in non-whitespace characters. */
export const ROLE_INLINE_POLICY_LIMIT_CHARS = 10_240;
export const USER_INLINE_POLICY_LIMIT_CHARS = 2_048;
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'AuthorizationErrorException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const NOT_FOUND = new Set([
  'NoSuchEntity',
  'NoSuchEntityException',
  'NoSuchBucket',
  'NoSuchKey',
  'NotFound',
  'NotFoundException',
  'ResourceNotFoundException',
  'InvalidVpcEndpointId.NotFound',
  'InvalidVpcEndpointId.Malformed',
  'TrailNotFoundException',
  'EntityNotFoundException',
]);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'AbortError']);
const DISABLED = new Set(['OptInRequired', 'SubscriptionRequiredException', 'MacieNotEnabled']);

/**
 * Maps any error from an AWS call (SDK v3 or the in-memory account) onto the named errors above,
 * keeping the call and the original code in the message. Our own named errors pass through.
 */
export function mapAwsError(call: string, error: unknown): Error {
  if (error instanceof ResponderError) return error;
  const code = awsErrorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  const message = `${call} failed: ${code}${text && text !== code ? `: ${text}` : ''}`;
  if (call.startsWith('iam:') && IAM_QUOTA.has(code)) return iamQuota(call, message);
  if (THROTTLING.has(code) || isSdkThrottle(error)) return new AwsThrottling(message);
  if (DISABLED.has(code) || /not enabled|isn't enabled|is not subscribed/i.test(text)) {
    return new AwsServiceDisabled(message);
  }
  if (ACCESS_DENIED.has(code)) return new AwsAccessDenied(message);
  if (NOT_FOUND.has(code)) return new AwsResourceNotFound(message);
  if (TIMEOUT.has(code)) return new AwsTimeout(message);
  return new AwsServiceError(message);
}

/**
 * IAM `LimitExceeded`: on an inline policy write it is the size quota (`PolicyTooLarge` with the
 * limit); on any other call another quota (keys per user, …). Neither is retried.
 */
function iamQuota(call: string, message: string): Error {
  const owner = call === 'iam:PutRolePolicy' ? 'role' : call === 'iam:PutUserPolicy' ? 'user' : undefined;
  if (!owner) return new AwsServiceError(`${message} (an IAM quota; not retried)`);
  const limit = owner === 'role' ? ROLE_INLINE_POLICY_LIMIT_CHARS : USER_INLINE_POLICY_LIMIT_CHARS;
  return new PolicyTooLarge(
    `the ${owner}'s inline policies, all together [${message}]`,
    undefined,
    limit,
    'characters',
  );
}

/** The AWS error code of an SDK or Node error: `name`, else `Code`/`code`. */
export function awsErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  return 'UnknownError';
}

function isSdkThrottle(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true
  );
}

/** The name and message of an error as the report and the store record it. */
export function describeError(error: unknown): { error: string; cause: string } {
  if (error instanceof Error) return { error: error.name, cause: error.message };
  return { error: 'UnknownError', cause: String(error) };
}

/**
 * The message inside a Step Functions `Cause`: a Lambda error's cause is JSON
 * (`{"errorType","errorMessage","trace"}`); a callback failure's cause is plain text.
 */
export function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return cause;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string'
    ) {
      return (parsed as { errorMessage: string }).errorMessage;
    }
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause;
}
