import { maskKey } from '../ids.js';
import type { BucketSensitivity, DataEventsSummary } from '../ports.js';
import type { BucketFacts } from '../schemas/bucket-facts.js';
import type { ManagementEvents } from '../schemas/management-events.js';
import type { Decision, PlanItem } from '../schemas/plan.js';
import type { PrincipalFacts } from '../schemas/principal-facts.js';
import { ok } from '../schemas/task-input.js';
import { buildReport, type Report, type ReportInput } from './report.js';
import { ACTION_LABELS, principalTypeWords, readableReason } from './words.js';

/** Enrichment sources by the name a responder reads in the approval message. */
const SOURCE_LABELS: Record<string, string> = {
  describePrincipal: 'Principal and keys',
  describeBuckets: 'Bucket facts',
  assessSensitivity: 'Macie sensitivity',
  collectManagementEvents: 'Management events',
};

export function severityLabel(severity: number): string {
  if (severity >= 9) return 'CRITICAL';
  if (severity >= 7) return 'HIGH';
  if (severity >= 4) return 'MEDIUM';
  return 'LOW';
}

/**
 * The incident as every renderer reads it: the report (timeline, impact, checklist, TTD/TTA/TTC)
 * plus what the approval message shows first (the finding, the principal, the buckets with their
 * sensitivity, the evidence so far and the plan). Every string is plain text exactly as the data
 * gave it; each renderer escapes it for its target (Slack mrkdwn, Markdown, HTML).
 */
export interface IncidentView extends Report {
  readonly finding: {
    readonly type: string;
    readonly severity: number;
    readonly severityLabel: string;
    readonly firstSeen: string;
    readonly count: number;
  };
  readonly subject: {
    readonly arn: string;
    /** The principal type in words (`IAM user`). */
    readonly type: string;
    readonly accessKey?: string;
    readonly keyLastUsed?: string;
    readonly sourceIps: { readonly ip: string; readonly where: string[] }[];
  };
  readonly buckets: { readonly name: string; readonly sensitivity: string[] }[];
  /** What enrichment found worth a look before deciding, one sentence each; `warning` marks a foothold or risk. */
  readonly findings: { readonly text: string; readonly warning?: boolean }[];
  /** Sources that could not answer, each with one readable reason. */
  readonly unavailableSources: { readonly source: string; readonly reason: string }[];
  readonly plan: {
    readonly items: readonly PlanItem[];
    readonly inPlace: readonly PlanItem[];
    readonly notPlanned: { readonly action: PlanItem['action']; readonly reason: string }[];
  };
  /** Who decided what and when, once decided. */
  readonly decision?: DecisionView;
  /** What the principal did with S3 in the incident window (CloudTrail data events), once queried. */
  readonly dataEvidence?: DataEvidenceView;
}

/** The decision as people read it: who (an approver's Slack id, or the timeout policy), when, which actions, why. */
export interface DecisionView {
  readonly outcome: Decision['outcome'];
  readonly decidedBy: readonly ({ readonly kind: 'user'; readonly id: string } | { readonly kind: 'timeout-policy' })[];
  readonly at?: string;
  /** The approved actions in words, each once. */
  readonly actions: readonly string[];
  readonly reason?: string;
}

/** The data-event evidence as people read it, or the one readable reason it is not available. */
export type DataEvidenceView =
  | { readonly status: 'unavailable'; readonly reason: string }
  | {
      readonly status: 'ok';
      readonly requests: number;
      readonly objectsRead: number;
      readonly bytesOut: number;
      /** First and last data event; absent when none fell in the window. */
      readonly window?: { readonly first: string; readonly last: string };
      readonly byBucket: readonly { readonly bucket: string; readonly objects: number; readonly bytes: number }[];
      readonly sourceIps: readonly { readonly ip: string; readonly count: number }[];
      readonly userAgents: readonly { readonly userAgent: string; readonly count: number }[];
      readonly crossAccountCopies: readonly {
        readonly bucket: string;
        readonly account: string;
        readonly count: number;
      }[];
    };

/** Data-event evidence as the flow or the store records it: the summary, or why there is none. */
export type DataEvidenceInput =
  | ({ readonly status: 'ok' } & DataEventsSummary)
  | { readonly status: 'unavailable'; readonly reason?: string; readonly error?: string };

export function decisionView(decision: Decision): DecisionView {
  return {
    outcome: decision.outcome,
    decidedBy: decision.decidedBy.map((id) =>
      id === 'timeout-policy' ? { kind: 'timeout-policy' as const } : { kind: 'user' as const, id },
    ),
    at: decision.decidedAt,
    actions: [...new Set(decision.approvedPlan.map((item) => item.action))].map((action) => ACTION_LABELS[action]),
    reason: decision.reason,
  };
}

export function dataEvidenceView(evidence: DataEvidenceInput): DataEvidenceView {
  if (evidence.status === 'unavailable') {
    return { status: 'unavailable', reason: readableReason(evidence.reason, evidence.error, 'queryDataEvents') };
  }
  return {
    status: 'ok',
    requests: evidence.requests,
    objectsRead: evidence.objectsRead,
    bytesOut: evidence.bytesOut,
    window:
      evidence.firstEventTime && evidence.lastEventTime
        ? { first: evidence.firstEventTime, last: evidence.lastEventTime }
        : undefined,
    byBucket: evidence.byBucket,
    sourceIps: evidence.sourceIps,
    userAgents: evidence.userAgents,
    crossAccountCopies: evidence.crossAccountCopies.map((copy) => ({
      bucket: copy.destinationBucket,
      account: copy.destinationAccount ?? 'unknown',
      count: copy.count,
    })),
  };
}

function isDataEvidence(value: unknown): value is DataEvidenceInput {
  const status = (value as { status?: unknown } | undefined)?.status;
  return status === 'unavailable' || (status === 'ok' && Array.isArray((value as DataEventsSummary).byBucket));
}

export type IncidentViewInput = ReportInput & {
  readonly plan?: ReportInput['plan'] & { inPlace?: readonly PlanItem[] };
};

/** Builds the one view model of an incident from the flow's state and the record's events. */
export function incidentView(input: IncidentViewInput): IncidentView {
  const { incident, enrichment } = input;
  const facts = ok<PrincipalFacts>(enrichment.describePrincipal);
  const sensitivity = ok<{ buckets: BucketSensitivity[] }>(enrichment.assessSensitivity)?.buckets ?? [];
  const { principal } = incident;
  return {
    ...buildReport(input),
    finding: {
      type: incident.findingType,
      severity: incident.severity,
      severityLabel: severityLabel(incident.severity),
      firstSeen: incident.firstSeen,
      count: incident.count,
    },
    subject: {
      arn: facts?.resolvedArn ?? principal.arn ?? principal.sessionIssuer ?? principal.principalId ?? 'unknown',
      type: principalTypeWords(principal.type),
      accessKey: principal.accessKeyId ? maskKey(principal.accessKeyId) : undefined,
      keyLastUsed: principal.accessKeyId ? facts?.findingKey?.lastUsedDate : undefined,
      sourceIps: (incident.ipDetails ?? incident.sourceIps.map((ip) => ({ ip }))).map((detail) => ({
        ip: detail.ip,
        where: [
          'city' in detail ? detail.city : undefined,
          'country' in detail ? detail.country : undefined,
          'org' in detail ? detail.org : undefined,
          'asn' in detail && detail.asn ? `AS${detail.asn}` : undefined,
        ].filter((part): part is string => Boolean(part)),
      })),
    },
    buckets: incident.buckets.map((name) => {
      const macie = sensitivity.find((entry) => entry.bucket === name);
      return {
        name,
        sensitivity: [
          macie?.sensitivityScore !== undefined ? `sensitivity ${macie.sensitivityScore}/100` : undefined,
          macie?.highestSeverity ? `Macie ${macie.highestSeverity}` : undefined,
          macie?.sensitiveDataTypes.length ? macie.sensitiveDataTypes.join('; ') : undefined,
        ].filter((part): part is string => Boolean(part)),
      };
    }),
    findings: enrichmentFindings(enrichment, facts),
    unavailableSources: Object.entries(enrichment).flatMap(([source, value]) => {
      const entry = value as { status?: string; reason?: string; error?: string } | undefined;
      return entry?.status === 'unavailable'
        ? [{ source: SOURCE_LABELS[source] ?? source, reason: readableReason(entry.reason, entry.error, source) }]
        : [];
    }),
    plan: {
      items: input.plan?.items ?? [],
      inPlace: input.plan?.inPlace ?? [],
      notPlanned: (input.plan?.notPlanned ?? []).map((entry) => ({
        action: entry.action,
        reason: readableReason(entry.reason),
      })),
    },
    decision: input.decision ? decisionView(input.decision) : undefined,
    dataEvidence: isDataEvidence(input.evidence.queryDataEvents)
      ? dataEvidenceView(input.evidence.queryDataEvents)
      : undefined,
  };
}

function enrichmentFindings(
  enrichment: Record<string, unknown>,
  principal: PrincipalFacts | undefined,
): IncidentView['findings'] {
  const lines: { text: string; warning?: boolean }[] = [];
  if (principal?.recentKeys.length) {
    lines.push({ text: `Keys created recently (persistence?): ${principal.recentKeys.map(maskKey).join(', ')}` });
  }
  if (principal?.mfa && 'enabled' in principal.mfa && !principal.mfa.enabled)
    lines.push({ text: 'The user has no MFA' });
  const buckets = ok<{ buckets: BucketFacts[] }>(enrichment.describeBuckets);
  for (const warning of (buckets?.buckets ?? []).flatMap((bucket) => bucket.warnings))
    lines.push({ text: warning, warning: true });
  const management = ok<ManagementEvents>(enrichment.collectManagementEvents);
  if (management) {
    const notable = [...new Set(management.notable.map((event) => event.eventName))];
    lines.push({
      text: `Management events: ${management.total} in the window${notable.length ? `; notable: ${notable.join(', ')}` : ''}`,
    });
    const from = (ip: string | undefined) => (ip ? ` from ${ip}` : '');
    for (const key of management.persistence?.createdKeys ?? []) {
      lines.push({
        text: `Key created with these credentials: ${maskKey(key.accessKeyId)} of IAM user ${key.userName}, ${key.eventTime}${from(key.sourceIp)} (see the plan)`,
        warning: true,
      });
    }
    for (const change of management.persistence?.changes ?? []) {
      lines.push({
        text: `${change.eventName} on ${change.target}, ${change.eventTime}${from(change.sourceIp)}: ${change.remedy}`,
        warning: true,
      });
    }
  }
  return lines;
}
