import { type SourceIpBlocks, sourceIpBlocks } from './cidr.js';
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

/** The incident's source-address Deny with its `aws:SourceIp` list replaced by `blocks`. */
export function withSourceIps(statement: Statement, blocks: readonly string[]): Statement {
  const condition = statement.Condition ?? {};
  return {
    ...statement,
    Condition: { ...condition, IpAddress: { ...(condition.IpAddress ?? {}), 'aws:SourceIp': [...blocks] } },
  };
}

/**
 * At apply time: the incident's source-address Deny lists every address known then (the plan
 * listed those known when it was built; the flood's later addresses folded in while the approval
 * was pending). Other statements are returned as they are. `extended` says what changed.
 */
export function extendSourceIpDeny(
  statements: readonly Statement[],
  incidentId: string,
  record: Pick<IncidentRecord, 'incident' | 'signalSourceIps'> | undefined,
  threshold: number,
): { statements: Statement[]; extended?: SourceIpBlocks } {
  const sid = statementSid(incidentId, DENY_SOURCE_IP);
  const index = statements.findIndex(
    (statement) => statement.Sid === sid && statement.Condition?.IpAddress?.['aws:SourceIp'] !== undefined,
  );
  const planned = statements[index];
  if (!record || !planned) return { statements: [...statements] };
  const known = sourceIpBlocks(anonymousSourceIps(record), { threshold });
  const before = new Set(asList(planned.Condition?.IpAddress?.['aws:SourceIp']));
  if (known.blocks.length === 0 || (known.blocks.length === before.size && known.blocks.every((b) => before.has(b)))) {
    return { statements: [...statements] };
  }
  const next = [...statements];
  next[index] = withSourceIps(planned, known.blocks);
  return { statements: next, extended: known };
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? [value] : [];
}
