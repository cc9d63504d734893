import { uncoveredAddresses } from './cidr.js';
import { statementSid } from './ids.js';
import type { Statement } from './policy/document.js';
import type { IncidentRecord } from './store/types.js';

/** The purpose (Sid suffix) of the bucket Deny naming an anonymous caller's source addresses. */
export const DENY_SOURCE_IP = 'DenySourceIp';

/**
 * Every source address an anonymous incident knows: its first signal's and those of the signals
 * folded in since (anonymous callers correlate by bucket, so a flood is one incident).
 */
export function knownSourceIps(record: Pick<IncidentRecord, 'incident' | 'signalSourceIps'>): string[] {
  return [...new Set([...record.incident.sourceIps, ...(record.signalSourceIps ?? [])])];
}

/**
 * The addresses a Deny on source addresses may list: every known one when the incident opened on
 * an anonymous caller, else only those of the anonymous signals folded in (the identified first
 * principal's own address is often a NAT or an office, shared with others).
 */
export function anonymousSourceIps(record: Pick<IncidentRecord, 'incident' | 'signalSourceIps'>): string[] {
  if (record.incident.principal.type === 'Anonymous') return knownSourceIps(record);
  return [...new Set([...(record.incident.anonymousSourceIps ?? []), ...(record.signalSourceIps ?? [])])];
}

/**
 * At apply time: the addresses of anonymous callers the incident learned after its source-address
 * Deny was planned, which the approved statement does not cover. The Deny is written exactly as
 * approved (never widened at apply time: a later address, or a /24 or /64 its arrival would
 * collapse into, was not shown to the approvers); these go to a round of their own.
 */
export function lateSourceIps(
  statements: readonly Statement[],
  incidentId: string,
  record: Pick<IncidentRecord, 'incident' | 'signalSourceIps'> | undefined,
): string[] {
  const sid = statementSid(incidentId, DENY_SOURCE_IP);
  const planned = statements.find(
    (statement) => statement.Sid === sid && statement.Condition?.IpAddress?.['aws:SourceIp'] !== undefined,
  );
  if (!record || !planned) return [];
  return uncoveredAddresses(anonymousSourceIps(record), asList(planned.Condition?.IpAddress?.['aws:SourceIp']));
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? [value] : [];
}
