import { isDeepStrictEqual } from 'node:util';
import type { ActionId, PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { UndoEntry } from '../../handlers/shared/store/types.js';
import type { Fault, Scenario } from '../../local/scenario.js';
import { type IncidentResult, simulate } from '../../local/simulate.js';
import { decide } from '../support/iam.js';
import { variant } from '../support/simulate.js';
import { type PolicyState, type Tap, tapFor } from './tap.js';

/**
 * The fault matrix (issue 9): every AWS call the seed scenarios make, failed in every way AWS
 * fails, in a full local run, with what the incident and its report must then say.
 */

/** The scenarios the matrix runs: the two seeds, and the first with an S3 VPC endpoint configured. */
export type Base = 'user' | 'role' | 'endpoint';

export const ENDPOINT = 'vpce-0a1b2c3d4e5f60718';
const RERUN = { console: { incidentId: '@1', rerun: true } };

/** A seed scenario as the matrix runs it; `change` edits the raw scenario before it is parsed. */
export function baseScenario(base: Base, change: (raw: Scenario) => void = () => undefined): Scenario {
  switch (base) {
    case 'user':
      return variant('compromised-iam-user-key', change);
    case 'role':
      return variant('assumed-role-exfiltration', (s) => {
        // An inline policy of the role that is not ours: something the revocation could clobber.
        const role = s.iam.roles.find((candidate) => candidate.roleName === 'etl-pipeline');
        if (role) role.inlinePolicies = { 'etl-data-access': ETL_DATA_ACCESS };
        change(s);
      });
    case 'endpoint':
      return variant('compromised-iam-user-key', (s) => {
        s.config = {
          ...s.config,
          vpcEndpointIds: [ENDPOINT],
          trustedAccounts: ['210987654321'],
          denyNonVpcAccess: true,
        };
        s.vpcEndpoints = [{ id: ENDPOINT, serviceName: 'com.amazonaws.us-east-1.s3', policy: ENDPOINT_POLICY }];
        change(s);
      });
  }
}

const ETL_DATA_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'ReadRaw', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::analytics-lake/*' }],
};
const ENDPOINT_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AllowAll', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
    {
      Sid: 'NoBackupWrites',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::backup-vault-123456789012/*',
    },
  ],
};

/** What the report says of an evidence source. */
export type SourceStatus = 'ok' | 'partial' | 'unavailable';

export const SOURCES = {
  principal: 'Principal and keys (IAM)',
  buckets: 'Bucket facts (S3)',
  sensitivity: 'Sensitivity (Macie)',
  management: 'Management events (CloudTrail LookupEvents)',
  dataEvents: 'Data events (CloudTrail via Athena)',
} as const;

/**
 * How a fault plays out: `transient` (throttled twice, then the call answers), `persistent`
 * (throttling or timeouts outlast the state machine's retries), `refused` (AccessDenied or
 * not-found: not retried).
 */
export type Course = 'transient' | 'persistent' | 'refused';

/** What the report says of a source whose call fails, by course. */
type Degrades = Readonly<Record<Course, SourceStatus>>;
/** A lookup degraded on the spot (a part of the source): never retried, the rest stands. */
const PART: Degrades = { transient: 'partial', persistent: 'partial', refused: 'partial' };
/** A lookup that fails its task: retried when transient, else the whole source is unavailable. */
const TASK: Degrades = { transient: 'ok', persistent: 'unavailable', refused: 'unavailable' };
/** LookupEvents: retried when transient; one of its two lookups refused leaves the other's answer. */
const LOOKUP: Degrades = { transient: 'ok', persistent: 'unavailable', refused: 'partial' };

/** What a call is for, in the order a run makes it: a fault fires at its first uses. */
export interface CallRole {
  readonly base: Base;
  /** Read for this evidence source (first, during enrichment), and how the source degrades. */
  readonly source?: { readonly name: string; readonly degrades: Degrades };
  /** Read while planning, where a failure only leaves a note ("apply re-reads it"). */
  readonly planning?: true;
  /** Made by this containment action: a failure it cannot retry away fails the action. */
  readonly action?: ActionId;
  /** Writes the report to the evidence bucket. */
  readonly report?: true;
}

/** Every call the seed runs make. A test records the calls and fails when this list is not exactly them. */
export const MATRIX: Readonly<Record<string, CallRole>> = {
  'iam:GetUser': { base: 'user', source: { name: SOURCES.principal, degrades: PART } },
  'iam:ListAccessKeys': {
    base: 'user',
    source: { name: SOURCES.principal, degrades: PART },
    action: 'deactivateAccessKey',
  },
  'iam:ListMFADevices': { base: 'user', source: { name: SOURCES.principal, degrades: PART } },
  'iam:GetLoginProfile': { base: 'user', source: { name: SOURCES.principal, degrades: PART } },
  'iam:GetAccessKeyLastUsed': { base: 'user', source: { name: SOURCES.principal, degrades: PART } },
  'iam:ListUserTags': { base: 'user', source: { name: SOURCES.principal, degrades: PART } },
  'iam:UpdateAccessKey': { base: 'user', action: 'deactivateAccessKey' },
  'iam:GetUserPolicy': { base: 'user', action: 'revokeUserSessions' },
  'iam:PutUserPolicy': { base: 'user', action: 'revokeUserSessions' },
  's3:GetBucketPolicy': {
    base: 'user',
    source: { name: SOURCES.buckets, degrades: PART },
    planning: true,
    action: 'denyBucketAccess',
  },
  's3:GetPublicAccessBlock': { base: 'user', source: { name: SOURCES.buckets, degrades: PART } },
  's3:GetBucketVersioning': { base: 'user', source: { name: SOURCES.buckets, degrades: PART } },
  's3:GetBucketReplication': { base: 'user', source: { name: SOURCES.buckets, degrades: PART } },
  's3:GetBucketEncryption': { base: 'user', source: { name: SOURCES.buckets, degrades: PART } },
  's3:GetBucketTagging': { base: 'user', source: { name: SOURCES.buckets, degrades: PART } },
  'macie2:DescribeBuckets': { base: 'user', source: { name: SOURCES.sensitivity, degrades: TASK } },
  'macie2:ListFindings': { base: 'user', source: { name: SOURCES.sensitivity, degrades: TASK } },
  'cloudtrail:LookupEvents': { base: 'user', source: { name: SOURCES.management, degrades: LOOKUP } },
  'athena:StartQueryExecution': { base: 'user', source: { name: SOURCES.dataEvents, degrades: TASK } },
  'macie2:CreateClassificationJob': { base: 'user', action: 'startMacieJob' },
  's3:PutBucketPolicy': { base: 'user', action: 'denyBucketAccess' },
  's3:PutObject': { base: 'user', report: true },
  'iam:GetRole': { base: 'role', source: { name: SOURCES.principal, degrades: PART }, action: 'revokeRoleSessions' },
  'iam:GetRolePolicy': { base: 'role', action: 'revokeRoleSessions' },
  'iam:PutRolePolicy': { base: 'role', action: 'revokeRoleSessions' },
  'ec2:DescribeVpcEndpoints': { base: 'endpoint', planning: true, action: 'restrictVpcEndpoint' },
  'ec2:ModifyVpcEndpoint': { base: 'endpoint', action: 'restrictVpcEndpoint' },
};

/**
 * Calls the in-memory account can make that the seed runs do not: outside the matrix, each with
 * the reason. A test fails when the account gains a call that is in neither list.
 */
export const OUTSIDE_MATRIX: Readonly<Record<string, string>> = {
  'guardduty:GetFindings': 'only a console input naming a finding id; its failure is an input error, tested there',
  'iam:GetUserPolicy': 'revoking the temporary credentials of an IAM user; the seeds have none',
  'iam:PutUserPolicy': 'revoking the temporary credentials of an IAM user; the seeds have none',
  'iam:DeleteRolePolicy': 'rollback only',
  'iam:DeleteUserPolicy': 'rollback only',
  's3:DeleteBucketPolicy': 'rollback only',
  's3:GetObject':
    'closing only: the report rewrite reads the stored report; a failure leaves the closure recorded (tested with closing)',
};

export interface FaultSpec {
  readonly kind: 'throttled' | 'throttled-out' | 'denied' | 'not-found' | 'timeout';
  readonly course: Course;
  /** The AWS error code, as the service names it. */
  readonly code: string;
  readonly times: number;
  /** The responder's error it maps to (`mapAwsError`). */
  readonly mapped: string;
}

const THROTTLE: Record<string, string> = {
  iam: 'Throttling',
  s3: 'SlowDown',
  ec2: 'RequestLimitExceeded',
  athena: 'TooManyRequestsException',
};
const DENIED: Record<string, string> = { iam: 'AccessDenied', s3: 'AccessDenied', ec2: 'UnauthorizedOperation' };
const NOT_FOUND: Record<string, string> = {
  iam: 'NoSuchEntity',
  s3: 'NoSuchBucket',
  ec2: 'InvalidVpcEndpointId.NotFound',
};

/**
 * The five faults for a call, with the service's own error codes: throttled twice (the retries
 * absorb it), throttled or timing out past every retry (10 times), refused, and not found.
 */
export function faultsFor(call: string): FaultSpec[] {
  const service = call.split(':')[0] as string;
  const throttle = THROTTLE[service] ?? 'ThrottlingException';
  return [
    { kind: 'throttled', course: 'transient', code: throttle, times: 2, mapped: 'AwsThrottling' },
    { kind: 'throttled-out', course: 'persistent', code: throttle, times: 10, mapped: 'AwsThrottling' },
    {
      kind: 'denied',
      course: 'refused',
      code: DENIED[service] ?? 'AccessDeniedException',
      times: 1,
      mapped: 'AwsAccessDenied',
    },
    {
      kind: 'not-found',
      course: 'refused',
      code: NOT_FOUND[service] ?? 'ResourceNotFoundException',
      times: 1,
      mapped: 'AwsResourceNotFound',
    },
    {
      kind: 'timeout',
      course: 'persistent',
      code: service === 's3' ? 'RequestTimeout' : 'TimeoutError',
      times: 10,
      mapped: 'AwsTimeout',
    },
  ];
}

/** What an honest run says after the fault. */
export interface Expected {
  readonly status: 'contained' | 'partially_contained' | 'failed';
  /** The source the fault degrades and what the report must call it (every other source: ok). */
  readonly source?: { readonly name: string; readonly status: SourceStatus };
  /** The action that ends `failed` with the fault's error (every other action: applied). */
  readonly failedAction?: ActionId;
  /** The action the service refused to let us take: `skipped`, which is not a containment failure. */
  readonly skippedAction?: ActionId;
}

/** Refusals that mean the service is not ours to use here: the action is skipped (DESIGN §10). */
const SKIPPED_WHEN_REFUSED: Partial<Record<ActionId, readonly string[]>> = { startMacieJob: ['AwsAccessDenied'] };

export function expected(role: CallRole, fault: Pick<FaultSpec, 'course' | 'mapped'>): Expected {
  const source = role.source && { name: role.source.name, status: role.source.degrades[fault.course] };
  // A refused read is absorbed by its first use when that use degrades instead of failing.
  const absorbed = fault.course === 'refused' && (role.source !== undefined || role.planning === true);
  const fails = fault.course !== 'transient' && !absorbed;
  if (fails && role.action && SKIPPED_WHEN_REFUSED[role.action]?.includes(fault.mapped)) {
    return { status: 'contained', source, skippedAction: role.action };
  }
  if (fails && role.action) return { status: 'partially_contained', source, failedAction: role.action };
  if (fails && role.report) return { status: 'failed', source };
  return { status: 'contained', source };
}

export interface CaseRun {
  readonly scenario: Scenario;
  readonly tap: Tap;
  /** The incident's run during the fault, and the console re-run after it cleared. */
  readonly first: IncidentResult;
  readonly rerun: IncidentResult;
  readonly before: PolicyState;
  readonly afterFault: PolicyState;
  readonly final: PolicyState;
  /** The incident's UNDO# backups, after the re-run. */
  readonly undo: UndoEntry[];
}

/**
 * Runs a base scenario with one fault and approve-all, then (the fault cleared) a console re-run
 * of the incident, keeping the account's state before, after the fault and at the end.
 */
export async function runCase(base: Base, call: string, fault: Pick<FaultSpec, 'code' | 'times'>): Promise<CaseRun> {
  return runFaults(base, [{ call, error: fault.code, times: fault.times }]);
}

/**
 * `runCase` with any faults (stale reads included) and a further change to the scenario: the run
 * during the faults, then a console re-run once they have cleared.
 */
export async function runFaults(
  base: Base,
  faults: Fault[],
  change: (raw: Scenario) => void = () => undefined,
): Promise<CaseRun> {
  const scenario = baseScenario(base, (s) => {
    change(s);
    s.faults = faults;
    s.events = [...s.events, RERUN];
  });
  const tap = tapFor(scenario);
  let ended = 0;
  let undo: UndoEntry[] = [];
  const result = await simulate(scenario, {
    approve: { kind: 'all' },
    onEvent: (event) => {
      if (event.type !== 'ExecutionSucceeded' && event.type !== 'ExecutionFailed') return;
      ended += 1;
      if (ended === scenario.events.length - 1) tap.clear();
    },
    inspect: async (store, incidents) => {
      const incidentId = incidents[0]?.incidentId;
      undo = incidentId ? await store.listUndo(incidentId) : [];
    },
  });
  const first = result.incidents[0];
  const rerun = result.incidents.at(-1);
  if (!first || !rerun || !tap.before || !tap.afterFault)
    throw new Error(`the run of ${base} with ${faults.map((f) => f.call).join(', ')} did not complete`);
  return { scenario, tap, first, rerun, before: tap.before, afterFault: tap.afterFault, final: tap.now(), undo };
}

/**
 * The reads that check a write (post-write re-reads), by the action that writes: made stale (the
 * write not yet visible) they must neither fail the action nor repeat the write.
 */
export const READ_AFTER_WRITE: Readonly<Record<string, { base: Base; action: ActionId; write: string }>> = {
  's3:GetBucketPolicy': { base: 'user', action: 'denyBucketAccess', write: 's3:PutBucketPolicy' },
  'iam:ListAccessKeys': { base: 'user', action: 'deactivateAccessKey', write: 'iam:UpdateAccessKey' },
  'iam:GetRolePolicy': { base: 'role', action: 'revokeRoleSessions', write: 'iam:PutRolePolicy' },
  'ec2:DescribeVpcEndpoints': { base: 'endpoint', action: 'restrictVpcEndpoint', write: 'ec2:ModifyVpcEndpoint' },
};

/** Every call a base scenario makes, re-run included, with no fault. */
export async function recordCalls(base: Base): Promise<Set<string>> {
  const scenario = baseScenario(base, (s) => {
    s.events = [...s.events, RERUN];
  });
  const tap = tapFor(scenario);
  await simulate(scenario, { approve: { kind: 'all' } });
  return tap.calls;
}

type PolicyDocument = { Statement?: unknown; [field: string]: unknown };

/** A statement this tool writes: `IR<incident id><purpose>`. */
const OURS = /^IR\d{8}[0-9a-f]{12}[A-Za-z0-9]*$/;
const isOurs = (statement: unknown) =>
  typeof (statement as { Sid?: unknown }).Sid === 'string' && OURS.test((statement as { Sid: string }).Sid);
const statementsOf = (document: PolicyDocument | undefined): unknown[] =>
  document === undefined ? [] : Array.isArray(document.Statement) ? document.Statement : [document.Statement];
const name = (statement: unknown) => (statement as { Sid?: string }).Sid ?? JSON.stringify(statement);

/** What a document lost or gained besides our statements, against its prior version. */
function changesBesidesOurs(label: string, prior: string | undefined, now: string | undefined): string[] {
  if (now === undefined) return [`${label}: deleted`];
  const before = prior === undefined ? undefined : (JSON.parse(prior) as PolicyDocument);
  const after = JSON.parse(now) as PolicyDocument;
  const kept = statementsOf(before);
  const theirs = statementsOf(after).filter((statement) => !isOurs(statement));
  const problems = [
    ...kept
      .filter((statement) => !theirs.some((candidate) => isDeepStrictEqual(candidate, statement)))
      .map((statement) => `${label}: statement ${name(statement)} lost or changed`),
    ...theirs
      .filter((statement) => !kept.some((candidate) => isDeepStrictEqual(candidate, statement)))
      .map((statement) => `${label}: statement ${name(statement)} is neither the prior's nor ours`),
  ];
  if (problems.length === 0 && !isDeepStrictEqual(theirs, kept)) problems.push(`${label}: statements reordered`);
  const { Statement: _after, ...fieldsAfter } = after;
  const { Statement: _before, ...fieldsBefore } = before ?? {};
  // Version is kept as found: only a new policy (none before) gets 2012-10-17.
  const allowed = before === undefined ? { Version: fieldsAfter.Version, ...fieldsBefore } : fieldsBefore;
  if (!isDeepStrictEqual(fieldsAfter, allowed)) problems.push(`${label}: top-level fields changed`);
  return problems;
}

interface Slot {
  readonly kind: UndoEntry['kind'];
  readonly target: string;
  readonly prior: string | undefined;
  readonly now: string | undefined;
}

function slots(before: PolicyState, after: PolicyState): Slot[] {
  const flat = (kind: UndoEntry['kind'], prior: Record<string, string | undefined>, now: typeof prior) =>
    [...new Set([...Object.keys(prior), ...Object.keys(now)])].map((target) => ({
      kind,
      target,
      prior: prior[target],
      now: now[target],
    }));
  const inline = (kind: UndoEntry['kind'], prior: Record<string, Record<string, string>>, now: typeof prior) =>
    [...new Set([...Object.keys(prior), ...Object.keys(now)])].flatMap((owner) =>
      flat(kind, prior[owner] ?? {}, now[owner] ?? {}).map((slot) => ({ ...slot, target: `${owner}/${slot.target}` })),
    );
  return [
    ...flat('bucketPolicy', before.buckets, after.buckets),
    ...flat('vpcEndpointPolicy', before.endpoints, after.endpoints),
    ...inline('roleInlinePolicy', before.roleInline, after.roleInline),
    ...inline('userInlinePolicy', before.userInline, after.userInline),
  ];
}

/**
 * "No policy is lost": every bucket, endpoint and inline policy is unchanged, or is its prior
 * document plus only our `IR…` statements (same statements, order and fields); every changed one
 * has a backup, and every backup holds exactly the prior document (or key status). Returns the
 * problems; empty when nothing is lost.
 */
export function policyLosses(before: PolicyState, after: PolicyState, undo: readonly UndoEntry[]): string[] {
  const problems: string[] = [];
  const backups = new Set(undo.map((entry) => `${entry.kind} ${entry.target}`));
  for (const slot of slots(before, after)) {
    if (slot.now === slot.prior) continue;
    const label = `${slot.kind} ${slot.target}`;
    if (!backups.has(label)) problems.push(`${label}: changed without a backup`);
    problems.push(...changesBesidesOurs(label, slot.prior, slot.now));
  }
  for (const entry of undo) {
    if (entry.kind !== 'macieJob' && entry.prior !== (priorOf(before, entry) ?? null)) {
      problems.push(
        `${entry.kind} ${entry.target}: the backup is not the prior ${entry.kind === 'accessKey' ? 'status' : 'document'}`,
      );
    }
  }
  return problems;
}

/** What a backup should hold: the document (or key status) before the run; undefined when there was none. */
function priorOf(before: PolicyState, entry: UndoEntry): string | undefined {
  const [owner = '', name = ''] = entry.target.split('/');
  switch (entry.kind) {
    case 'bucketPolicy':
      return before.buckets[entry.target];
    case 'vpcEndpointPolicy':
      return before.endpoints[entry.target];
    case 'roleInlinePolicy':
      return before.roleInline[owner]?.[name];
    case 'userInlinePolicy':
      return before.userInline[owner]?.[name];
    case 'accessKey':
      return before.keys[name];
    case 'macieJob':
      return undefined;
  }
}

/** Throws with every loss `policyLosses` finds. */
export function assertNoPolicyLost(before: PolicyState, after: PolicyState, undo: readonly UndoEntry[]): void {
  const problems = policyLosses(before, after, undo);
  if (problems.length > 0) throw new Error(`policies lost:\n${problems.join('\n')}`);
}

/** The principal of a base scenario as IAM evaluates its requests. */
function principalOf(base: Base, scenario: Scenario): { principal: string; principalArn: string } {
  if (base === 'role') {
    const role = scenario.iam.roles.find((candidate) => candidate.roleName === 'etl-pipeline');
    return { principal: 'arn:aws:sts::123456789012:assumed-role/etl-pipeline/session', principalArn: role?.arn ?? '' };
  }
  const user = scenario.iam.users.find((candidate) => candidate.userName === 'developer-jane');
  return { principal: user?.arn ?? '', principalArn: user?.arn ?? '' };
}

const statementIn = (text: string | undefined, statement: unknown) =>
  statementsOf(text === undefined ? undefined : (JSON.parse(text) as PolicyDocument)).some((candidate) =>
    isDeepStrictEqual(candidate, statement),
  );

/**
 * Actions the run reports done (`applied`/`already`, a `[x]` in the report) whose effect is not
 * in the account as it was left: the key still active, a Deny that does not deny the principal
 * (IAM's decision, by iam-simulate), a statement or the session policy missing, no Macie job.
 */
export async function brokenPromises(
  base: Base,
  scenario: Scenario,
  incident: IncidentResult,
  state: PolicyState,
): Promise<string[]> {
  const problems: string[] = [];
  const { principal, principalArn } = principalOf(base, scenario);
  for (const item of incident.plan) {
    const done = incident.applied.find((entry) => entry.action === item.action && entry.target === item.target);
    if (done?.result !== 'applied' && done?.result !== 'already') continue;
    const detail = item as PlanItem & Record<string, unknown>;
    const statements = (detail.statements ?? []) as unknown[];
    switch (item.action) {
      case 'deactivateAccessKey':
        if (state.keys[String(detail.accessKeyId)] !== 'Inactive') problems.push(`${item.target}: key still active`);
        break;
      case 'denyBucketAccess': {
        const bucketPolicy = JSON.parse(state.buckets[item.target] ?? '{}') as unknown;
        const decision = await decide({
          principal,
          principalArn,
          action: 's3:GetObject',
          resource: `arn:aws:s3:::${item.target}/any-object`,
          bucketPolicy,
        });
        if (decision !== 'ExplicitlyDenied') problems.push(`${item.target}: the principal is ${decision}, not denied`);
        break;
      }
      case 'restrictVpcEndpoint':
        for (const statement of statements) {
          if (!statementIn(state.endpoints[item.target], statement)) {
            problems.push(`${item.target}: ${name(statement)} missing from the endpoint policy`);
          }
        }
        break;
      case 'revokeRoleSessions': {
        const owners = detail.principalKind === 'user' ? state.userInline : state.roleInline;
        const policy = owners[String(detail.name)]?.[String(detail.policyName)];
        if (!policy?.includes(`"Sid":"${String(detail.sid)}"`))
          problems.push(`${item.target}: no session policy with our Sid`);
        break;
      }
      case 'startMacieJob':
        if (state.macieJobs === 0) problems.push(`${item.target}: no Macie job`);
        break;
    }
  }
  return problems;
}

/** The lines of one section of the report (`EVIDENCE SOURCES:`), without their indent. */
export function section(report: string, heading: string): string[] {
  const lines = report.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) return [];
  const end = lines.findIndex((line, index) => index > start && line.trim() === '');
  return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim());
}

/** EVIDENCE SOURCES as `name → {status, reason}`. */
export function evidenceSources(report: string): Record<string, { status: string; reason?: string }> {
  const entries = section(report, 'EVIDENCE SOURCES:').map((line) => {
    const match = /^(.+?\)): (\w+)(?: \((.*)\))?$/.exec(line);
    return [match?.[1] ?? line, { status: match?.[2] ?? '?', reason: match?.[3] }] as const;
  });
  return Object.fromEntries(entries);
}
