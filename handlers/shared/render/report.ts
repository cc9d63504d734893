import { maskKey } from '../ids.js';
import type { BucketSensitivity, DataEventsSummary } from '../ports.js';
import type { DescribeBucketsOutput } from '../schemas/bucket-facts.js';
import type { Incident } from '../schemas/incident.js';
import type { ManagementEvent } from '../schemas/management-events.js';
import type { Persistence } from '../schemas/persistence.js';
import type { ActionResult, Decision, Plan, PlanItem } from '../schemas/plan.js';
import type { PrincipalFacts } from '../schemas/principal-facts.js';
import { isUnavailable, ok } from '../schemas/task-input.js';
import type { IncidentStatus, TimelineEvent } from '../store/types.js';
import { ACTION_LABELS, readableReason } from './words.js';

/** What a timeline entry is: the attacker's activity, a signal reaching us, the approval, or a change we made. */
export type TimelineKind = 'activity' | 'signal' | 'approval' | 'action' | 'note';

const EVENT_KINDS: Record<string, TimelineKind> = {
  registered: 'signal',
  'finding-updated': 'signal',
  'folded-in': 'signal',
  fold: 'signal',
  follows: 'signal',
  rerun: 'signal',
  'queued-delta': 'signal',
  'approval-requested': 'approval',
  'approval-reminder': 'approval',
  'approval-vote': 'approval',
  approved: 'approval',
  denied: 'approval',
  expired: 'approval',
  'auto-contained': 'approval',
  action: 'action',
  rollback: 'action',
  'rollback-started': 'action',
};

/** The investigation report as data (written as JSON beside the Markdown). */
export interface Report {
  readonly title: 'S3 Data Exfiltration Investigation Report';
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly account: string;
  readonly region: string;
  readonly detectionSource: string;
  /** The finding's own title (GuardDuty's, or a detection's with its MITRE ATT&CK technique). */
  readonly findingTitle?: string;
  readonly investigationDate: string;
  readonly timeline: { at: string; until?: string; text: string; kind: TimelineKind }[];
  /** The moments the metrics are measured between (ISO 8601), for the HTML report's timeline picture. */
  readonly milestones: {
    firstActivity?: string;
    detected?: string;
    opened?: string;
    approvalRequested?: string;
    decided?: string;
    contained?: string;
  };
  readonly principal: {
    arn?: string;
    type: string;
    accessKey?: string;
    sourceIps: string[];
    otherKeys: string[];
    /** MFA and console password, as IAM answered (users only). */
    signIn?: string;
    /** Keys created shortly before or during the incident: possible persistence. */
    recentKeys: string[];
  };
  /**
   * The incident's other principals (an attack sequence's actors, or a different caller folded in
   * on one of its buckets), in the order they joined; `newInRequest` marks those a delta request
   * is asking about for the first time.
   */
  readonly otherPrincipals?: readonly OtherPrincipal[];
  readonly impact: {
    buckets: string[];
    objectsDownloaded?: number;
    bytesDownloaded?: number;
    /** First and last S3 data event of the principal in the incident window. */
    activity?: { first: string; last: string };
    /** Source IPs of those data events, most requests first. */
    dataEventSourceIps: { ip: string; count: number }[];
    sensitiveDataTypes: string[];
    macieSeverity?: string;
    crossAccountCopies: string[];
    /** What bucket facts flag: replication to another account, a KMS key of another account. */
    bucketWarnings: string[];
    unavailable: string[];
  };
  /**
   * Set when this round's request was denied, expired or was withdrawn while what earlier rounds
   * contained stays in place: the status is that containment's, and this says what became of the request.
   */
  readonly latestRequest?: { readonly outcome: 'denied' | 'expired' | 'withdrawn'; readonly text: string };
  /** Planned items first, then the actions considered and not planned (`notPlanned`), each with its reason. */
  readonly containment: { done: boolean; text: string; reason?: string; notPlanned?: boolean }[];
  readonly nextSteps: string[];
  readonly metrics: { timeToDetectMinutes?: number; timeToApprovalMinutes?: number; timeToContainMinutes?: number };
  readonly evidenceSources: { source: string; status: string; reason?: string }[];
  readonly error?: { error: string; cause?: string };
}

export interface ReportInput {
  readonly incidentId: string;
  readonly incident: Incident;
  readonly status: IncidentStatus;
  readonly now: string;
  readonly events: readonly TimelineEvent[];
  readonly enrichment: Record<string, unknown>;
  readonly evidence: Record<string, unknown>;
  /** `inPlace`: what this round found still in effect from earlier rounds (confirmed without asking). */
  readonly plan?: Plan & { readonly inPlace?: readonly PlanItem[] };
  readonly decision?: Decision;
  readonly applied: readonly ActionResult[];
  readonly failure?: { Error: string; Cause?: string };
}

const SOURCE_NAMES: Record<string, string> = {
  describePrincipal: 'Principal and keys (IAM)',
  describeBuckets: 'Bucket facts (S3)',
  assessSensitivity: 'Sensitivity (Macie)',
  collectManagementEvents: 'Management events (CloudTrail LookupEvents)',
  queryDataEvents: 'Data events (CloudTrail via Athena)',
};

const minutesBetween = (from?: string, to?: string) =>
  from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000)) : undefined;

/** Builds the report from what the flow learned and did. Every unchecked item carries its reason. */
export function buildReport(input: ReportInput): Report {
  const { incident, events } = input;
  const dataEvents = ok<DataEventsSummary>(input.evidence.queryDataEvents);
  const principalFacts = ok<PrincipalFacts>(input.enrichment.describePrincipal);
  const sensitivity = ok<{ buckets: BucketSensitivity[] }>(input.enrichment.assessSensitivity);
  const sources = { ...input.enrichment, ...input.evidence };

  const timeline: Report['timeline'] = [];
  if (dataEvents?.firstEventTime) {
    const topIp = dataEvents.sourceIps[0]?.ip;
    timeline.push({
      at: dataEvents.firstEventTime,
      text: `First anomalous S3 data event${topIp ? ` from ${topIp}` : ''}`,
      kind: 'activity',
    });
    const kinds = dataEvents.byEventName
      .slice(0, 3)
      .map((entry) => `${entry.count.toLocaleString('en-US')} ${entry.eventName}`);
    timeline.push({
      at: dataEvents.firstEventTime,
      until: dataEvents.lastEventTime,
      text: `${kinds.join(', ')} requests (${dataEvents.requests.toLocaleString('en-US')} S3 requests in all)`,
      kind: 'activity',
    });
  } else {
    timeline.push({
      at: incident.firstSeen,
      until: incident.lastSeen,
      text: `Activity seen by ${incident.source === 'guardduty' ? 'GuardDuty' : 'the detection'} (${incident.count} occurrence${incident.count === 1 ? '' : 's'})`,
      kind: 'activity',
    });
  }
  if (incident.createdAt) {
    timeline.push({
      at: incident.createdAt,
      text: `${incident.source === 'guardduty' ? 'GuardDuty' : 'Detection'} finding generated (${incident.findingType}, severity ${incident.severity})`,
      kind: 'signal',
    });
  }
  const reminders = events.filter((event) => event.kind === 'approval-reminder');
  for (const event of events)
    if (event.kind !== 'approval-reminder')
      timeline.push({ at: event.at, text: event.text, kind: EVENT_KINDS[event.kind] ?? 'note' });
  const lastReminder = reminders.at(-1);
  if (lastReminder) {
    timeline.push({
      at: lastReminder.at,
      text: `Approvers re-pinged ${reminders.length} time${reminders.length === 1 ? '' : 's'} while the request was pending`,
      kind: 'approval',
    });
  }
  const management = ok<{ notable: ManagementEvent[]; persistence?: Persistence }>(
    input.enrichment.collectManagementEvents,
  );
  // Footholds named with what to do are not repeated as generic "review" steps.
  const named = new Set(
    [...(management?.persistence?.createdKeys ?? []), ...(management?.persistence?.changes ?? [])].map(
      (entry) => entry.eventId ?? '',
    ),
  );
  for (const event of management?.notable ?? []) {
    timeline.push({
      at: event.eventTime,
      text: `${event.eventName} by the principal${event.sourceIp ? ` from ${event.sourceIp}` : ''}${event.errorCode ? ` (failed: ${event.errorCode})` : ''}`,
      kind: 'activity',
    });
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));

  const approvalRequested = events.find((event) => event.kind === 'approval-requested')?.at;
  const decided =
    events.find((event) => event.kind === 'approved' || event.kind === 'denied')?.at ?? input.decision?.decidedAt;
  const lastAction = events.filter((event) => event.kind === 'action').at(-1)?.at;
  const registered = events.find((event) => event.kind === 'registered')?.at;
  const firstActivity = dataEvents?.firstEventTime ?? incident.firstSeen;

  return {
    title: 'S3 Data Exfiltration Investigation Report',
    incidentId: input.incidentId,
    status: input.status,
    account: incident.accountId,
    region: incident.region,
    detectionSource: `${incident.source === 'guardduty' ? 'GuardDuty' : 'Detection'} ${incident.findingType}`,
    findingTitle: incident.title,
    investigationDate: input.now.slice(0, 10),
    timeline,
    milestones: {
      firstActivity,
      detected: incident.createdAt ?? registered,
      opened: registered,
      approvalRequested,
      decided,
      contained: lastAction,
    },
    principal: {
      arn: principalFacts?.resolvedArn ?? incident.principal.arn ?? incident.principal.sessionIssuer,
      type: incident.principal.type,
      accessKey: incident.principal.accessKeyId ? maskKey(incident.principal.accessKeyId) : undefined,
      sourceIps: (incident.ipDetails ?? incident.sourceIps.map((ip) => ({ ip }))).map((detail) =>
        [detail.ip, describeIp(detail)].filter(Boolean).join(' '),
      ),
      signIn: signIn(principalFacts),
      recentKeys: (principalFacts?.recentKeys ?? []).map(maskKey),
      otherKeys: (principalFacts?.otherKeys ?? []).map(
        (key) =>
          `${maskKey(key.accessKeyId)} (${key.status}${key.createDate ? `, created ${key.createDate}` : ''}${key.lastUsedDate ? `, last used ${key.lastUsedDate}` : ''})`,
      ),
    },
    otherPrincipals: otherPrincipals(incident),
    impact: {
      buckets: dataEvents?.byBucket.length ? dataEvents.byBucket.map((entry) => entry.bucket) : incident.buckets,
      objectsDownloaded: dataEvents?.objectsRead,
      bytesDownloaded: dataEvents?.bytesOut,
      activity:
        dataEvents?.firstEventTime && dataEvents.lastEventTime
          ? { first: dataEvents.firstEventTime, last: dataEvents.lastEventTime }
          : undefined,
      dataEventSourceIps: dataEvents?.sourceIps ?? [],
      sensitiveDataTypes: [...new Set((sensitivity?.buckets ?? []).flatMap((bucket) => bucket.sensitiveDataTypes))],
      macieSeverity: highestSeverity(sensitivity?.buckets ?? []),
      crossAccountCopies: (dataEvents?.crossAccountCopies ?? []).map(
        (copy) =>
          `${copy.objects ?? copy.count} object(s)${copy.bytes ? `, at least ${copy.bytes} bytes` : ''} in ${copy.count} copy call(s) to ${copy.destinationBucket}${copy.destinationAccount ? ` (account ${copy.destinationAccount})` : ''}`,
      ),
      bucketWarnings: (ok<DescribeBucketsOutput>(input.enrichment.describeBuckets)?.buckets ?? []).flatMap(
        (bucket) => bucket.warnings,
      ),
      unavailable: Object.entries(sources)
        .filter(([, value]) => (value as { status?: string } | undefined)?.status === 'unavailable')
        .map(([source]) => SOURCE_NAMES[source] ?? source),
    },
    latestRequest: latestRequest(input),
    containment: containmentChecklist(input),
    nextSteps: [
      ...(input.plan?.recommendations ?? []),
      ...persistenceSteps(management?.persistence),
      ...(management?.notable ?? [])
        .filter((event) => !event.errorCode && !named.has(event.eventId ?? ''))
        .map(
          (event) =>
            `Review the ${event.eventName} made with these credentials at ${event.eventTime}: it may give the attacker persistence.`,
        ),
    ],
    metrics: {
      timeToDetectMinutes: minutesBetween(firstActivity, incident.createdAt ?? registered),
      timeToApprovalMinutes: minutesBetween(approvalRequested, decided),
      timeToContainMinutes: minutesBetween(registered, lastAction),
    },
    evidenceSources: Object.entries(sources).map(([source, value]) => {
      const entry = value as { status?: string; reason?: string } | undefined;
      const name = SOURCE_NAMES[source] ?? source;
      const parts = entry?.status === 'ok' ? unavailableParts(value) : [];
      if (parts.length > 0) return { source: name, status: 'partial', reason: parts.join('; ') };
      const error = (value as { error?: string } | undefined)?.error;
      return {
        source: name,
        status: entry?.status ?? 'missing',
        reason: entry?.status === 'unavailable' ? readableReason(entry.reason, error, source) : entry?.reason,
      };
    }),
    error: input.failure
      ? { error: input.failure.Error, cause: input.failure.Cause && readableReason(input.failure.Cause) }
      : undefined,
  };
}

/**
 * The reasons of the parts of an answered source that could not answer themselves (one bucket's
 * replication, the user's MFA devices, one LookupEvents attribute…), each once: such a source is
 * `partial`, not `ok`.
 */
function unavailableParts(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) unavailableParts(item, found);
  } else if (isUnavailable(value)) {
    const reason = readableReason(value.reason);
    if (!found.includes(reason)) found.push(reason);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) unavailableParts(item, found);
  }
  return found;
}

/** A principal of the incident besides the first, as people read it. */
export interface OtherPrincipal {
  readonly arn?: string;
  readonly type: string;
  readonly accessKey?: string;
  /** The signal that folded it in, and when; absent for a principal the incident opened with. */
  readonly addedBy?: { readonly findingId: string; readonly at: string };
  readonly newInRequest: boolean;
}

function otherPrincipals(incident: ReportInput['incident']): OtherPrincipal[] {
  const deltaFindings = new Set(incident.delta ? [incident.delta.findingId, ...(incident.delta.findingIds ?? [])] : []);
  return (incident.principals ?? []).slice(1).map((principal) => ({
    arn:
      principal.arn ?? principal.sessionIssuer ?? (principal.accountId ? `account ${principal.accountId}` : undefined),
    type: principal.type,
    accessKey: principal.accessKeyId ? maskKey(principal.accessKeyId) : undefined,
    addedBy: principal.addedBy,
    newInRequest: principal.addedBy !== undefined && deltaFindings.has(principal.addedBy.findingId),
  }));
}

/** One line naming another principal of the incident: ARN, type, key, and how it joined. */
export function otherPrincipalLine(other: OtherPrincipal): string {
  const key = other.accessKey ? `, key ${other.accessKey}` : '';
  const joined = other.addedBy ? `; folded in from finding ${other.addedBy.findingId} at ${other.addedBy.at}` : '';
  return `${other.arn ?? '(no ARN)'} (${other.type}${key})${joined}${other.newInRequest ? ' (new in this request)' : ''}`;
}

function signIn(facts: PrincipalFacts | undefined): string | undefined {
  if (facts?.type !== 'IAMUser') return undefined;
  const mfa =
    facts.mfa === undefined
      ? undefined
      : isUnavailable(facts.mfa)
        ? `MFA unknown (${readableReason(facts.mfa.reason)})`
        : facts.mfa.enabled
          ? `MFA enabled (${facts.mfa.devices} device${facts.mfa.devices === 1 ? '' : 's'})`
          : 'no MFA device';
  const console =
    facts.consoleAccess === undefined
      ? undefined
      : isUnavailable(facts.consoleAccess)
        ? `console access unknown (${readableReason(facts.consoleAccess.reason)})`
        : facts.consoleAccess
          ? 'console password set'
          : 'no console password';
  return [mfa, console].filter(Boolean).join('; ') || undefined;
}

function describeIp(detail: { ip: string; country?: string; city?: string; org?: string; asn?: string }): string {
  const parts = [detail.city, detail.country].filter(Boolean).join(', ');
  const org = [detail.org, detail.asn ? `AS${detail.asn}` : undefined].filter(Boolean).join(' ');
  const text = [parts, org].filter(Boolean).join('; ');
  return text ? `(${text})` : '';
}

const SEVERITY_ORDER = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
function highestSeverity(buckets: readonly BucketSensitivity[]): string | undefined {
  const found = buckets.map((bucket) => bucket.highestSeverity?.toUpperCase()).filter((s): s is string => Boolean(s));
  return found.sort((a, b) => SEVERITY_ORDER.indexOf(b) - SEVERITY_ORDER.indexOf(a))[0];
}

const DONE_TEXT: Record<string, (target: string) => string> = {
  deactivateAccessKey: (target) => `Access key ${maskKey(target)} deactivated`,
  denyBucketAccess: (target) => `Bucket policy of ${target} denies the principal`,
  revokeRoleSessions: (target) => `Sessions of ${target} issued before containment revoked`,
  revokeUserSessions: (target) => `Sessions minted from the leaked key of ${target} before containment revoked`,
  startMacieJob: (target) => `Macie classification job ${target} started`,
  restrictVpcEndpoint: (target) =>
    `VPC endpoint policy of ${target} denies the principal and copies out of trusted accounts`,
};

/** The footholds the credentials left, as next steps: who, which key or what, when, from where, and what to do. */
function persistenceSteps(persistence: Persistence | undefined): string[] {
  const from = (ip: string | undefined) => (ip ? ` from ${ip}` : '');
  return [
    ...(persistence?.createdKeys ?? []).map(
      (key) =>
        `Access key ${maskKey(key.accessKeyId)} of IAM user ${key.userName} was created with these credentials at ${key.eventTime}${from(key.sourceIp)}: deactivate it (its own containment item) and delete it once its owner confirms nobody else uses it.`,
    ),
    ...(persistence?.changes ?? []).map(
      (change) =>
        `${change.eventName} on ${change.target} at ${change.eventTime}${from(change.sourceIp)}: ${change.remedy}.`,
    ),
  ];
}

/** A request of this round refused while earlier containment stays in force (its status kept). */
function latestRequest(input: ReportInput): Report['latestRequest'] {
  const { decision, status } = input;
  if (!decision || (status !== 'contained' && status !== 'partially_contained')) return undefined;
  if (decision.outcome !== 'denied' && decision.outcome !== 'expired' && decision.outcome !== 'withdrawn') {
    return undefined;
  }
  const words = { denied: 'was denied', expired: 'expired', withdrawn: 'was withdrawn' }[decision.outcome];
  const lapsed = (input.plan?.items ?? []).filter((item) => item.lapsed !== undefined).length;
  const kept = lapsed
    ? `what earlier rounds contained and is still in effect stays in place, but ${lapsed} item(s) an earlier round applied had been removed since and were not put back, so the status is ${status}`
    : `what earlier rounds contained stays in place, so the status stays ${status}`;
  return {
    outcome: decision.outcome,
    text: `The latest request ${words} (${notAppliedReason(decision, input.failure)}): nothing of it was applied; ${kept}.`,
  };
}

/**
 * One line per planned action (and per action considered but not planned), `[x]` only when it is in
 * effect: it took effect in this round, or it is in place from an earlier one (`plan.inPlace`),
 * which a refused request or a failed confirmation does not undo.
 */
function containmentChecklist(input: ReportInput): Report['containment'] {
  const lines: Report['containment'] = [];
  const decision = input.decision;
  const same = (item: PlanItem) => (entry: { action: string; target: string }) =>
    entry.action === item.action && entry.target === item.target;
  for (const item of input.plan?.items ?? []) {
    const text = DONE_TEXT[item.action]?.(item.target) ?? `${ACTION_LABELS[item.action]}: ${item.target}`;
    const result = input.applied.find(same(item));
    const earlier = (input.plan?.inPlace ?? []).some(same(item));
    if (earlier && (!result || result.result === 'failed' || result.result === 'skipped')) {
      const again = result
        ? `; confirming it again ${result.result}${result.error ? `: ${readableReason(result.error)}` : ''}`
        : '';
      lines.push({ done: true, text: `${text} (in place from an earlier round${again})` });
    } else if (result && (result.result === 'applied' || result.result === 'already')) {
      const note =
        result.result === 'already'
          ? ' (already in place)'
          : result.visible === false
            ? ' (applied, not yet visible: AWS had not shown the change when last re-read)'
            : '';
      lines.push({ done: true, text: `${text}${note}` });
    } else if (result) {
      lines.push({
        done: false,
        text,
        reason: `${result.result}${result.error ? `: ${readableReason(result.error)}` : ''}${result.detail ? ` (${readableReason(result.detail)})` : ''}`,
      });
    } else {
      const reason = notAppliedReason(decision, input.failure);
      lines.push({ done: false, text, reason: item.lapsed ? `${reason}; ${item.lapsed}` : reason });
    }
  }
  for (const entry of input.plan?.notPlanned ?? []) {
    lines.push({
      done: false,
      text: ACTION_LABELS[entry.action],
      reason: `not planned: ${readableReason(entry.reason)}`,
      notPlanned: true,
    });
  }
  if (!input.plan)
    lines.push({
      done: false,
      text: 'No containment plan was made',
      reason: input.failure ? `the flow failed: ${input.failure.Error}` : 'no plan',
    });
  return lines;
}

function notAppliedReason(decision: Decision | undefined, failure: ReportInput['failure']): string {
  if (failure) return `the flow failed before containment: ${failure.Error}`;
  if (!decision) return 'no decision was recorded';
  switch (decision.outcome) {
    case 'denied':
      // A Slack denial's reason is the task failure's cause, which already names who denied.
      if (decision.reason && /^denied by /i.test(decision.reason)) return readableReason(decision.reason);
      return `denied${decision.decidedBy.length ? ` by ${decision.decidedBy.join(', ')}` : ''}${decision.reason ? `: ${readableReason(decision.reason)}` : ''}`;
    case 'expired':
      return 'the approval timed out and the timeout policy denies';
    case 'withdrawn':
      return readableReason(decision.reason ?? 'approval request withdrawn: the incident was closed before a decision');
    case 'dry-run':
      return 'dry run: planned only';
    default:
      return 'not approved';
  }
}
