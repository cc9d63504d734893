import { coveringBlock, leftOutRange } from '../shared/cidr.js';
import { statementSid } from '../shared/ids.js';
import type { ActionResult } from '../shared/schemas/plan.js';
import { DENY_SOURCE_IP } from '../shared/source-ip-deny.js';
import type { IncidentRecord, IncidentStore } from '../shared/store/types.js';
import { actionsInEffect, DELTA_AFTER } from './delta.js';

/**
 * A source address a signal brings that no containment round could act on: one a Deny by address
 * never lists (`range` names why: private, shared, loopback, link-local or special-purpose), or one
 * already inside a block (`block`) of the Deny by address approved and applied on every bucket of
 * the incident. No other containment action reads addresses (the principal and endpoint Denies,
 * key deactivation, session revocation, the Macie job); the evidence query does, and a later round
 * or a re-run queries them, since they are recorded on the incident.
 */
export type QuietAddress =
  | { readonly address: string; readonly range: string }
  | { readonly address: string; readonly block: string };

/** A signal's new addresses: those a round would act on (`real`), and the quiet rest. */
export interface QuietSplit {
  readonly real: string[];
  readonly quiet: QuietAddress[];
}

/** The blocks of the incident's Deny by address on one of its buckets. */
interface SourceDeny {
  readonly bucket: string;
  readonly blocks: string[];
}

/**
 * The Deny by source address the incident's latest request approved on each of its buckets, when
 * that request was approved and the incident is contained or partially contained (its phase
 * ended): undefined when any bucket has none, and then nothing counts as covered.
 */
function approvedSourceDeny(record: IncidentRecord): SourceDeny[] | undefined {
  const { decision } = record;
  if (!DELTA_AFTER.has(record.status) || decision?.outcome !== 'approved') return undefined;
  if (record.incident.buckets.length === 0) return undefined;
  const sid = statementSid(record.incidentId, DENY_SOURCE_IP);
  const denies: SourceDeny[] = [];
  for (const bucket of record.incident.buckets) {
    const item = decision.approvedPlan.find((entry) => entry.action === 'denyBucketAccess' && entry.bucket === bucket);
    const statement = item?.action === 'denyBucketAccess' ? item.statements.find((s) => s.Sid === sid) : undefined;
    const blocks = listOf((statement?.Condition as { IpAddress?: Record<string, unknown> } | undefined)?.IpAddress);
    if (blocks.length === 0) return undefined;
    denies.push({ bucket, blocks });
  }
  return denies;
}

/**
 * Whether the approved Deny by address of every bucket took effect and is still in place, as far
 * as the incident's record tells (the apply step writes exactly the approved statement, or finds it
 * there): its result `applied` or `already`, not rolled back since (`inEffect`), and recorded in
 * that round: after the decision, or, for a round that only confirmed what was in place (no one was
 * asked; planning read the statement in the bucket policy), at any time. A result older than the
 * decision means that round's write was not recorded (it failed): what is in place is unknown. A
 * statement someone removed by hand since is not seen here (registration reads no bucket policy):
 * the next round or a re-run finds it missing and asks for it again.
 */
function inPlace(record: IncidentRecord, denies: readonly SourceDeny[], inEffect: readonly ActionResult[]): boolean {
  const { decision } = record;
  const confirmedOnly = decision?.via === 'none';
  return denies.every(({ bucket }) => {
    const result = inEffect.find((entry) => entry.action === 'denyBucketAccess' && entry.target === bucket);
    if (!result) return false;
    return confirmedOnly || (decision?.decidedAt !== undefined && (result.at ?? '') >= decision.decidedAt);
  });
}

function listOf(condition: Record<string, unknown> | undefined): string[] {
  const value = condition?.['aws:SourceIp'];
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** Splits addresses: left out of any Deny, inside `denies` on every bucket, or real (pure). */
export function splitAddresses(addresses: readonly string[], denies: readonly SourceDeny[] | undefined): QuietSplit {
  const real: string[] = [];
  const quiet: QuietAddress[] = [];
  const covering = (denies ?? []).map((deny) => coveringBlock(deny.blocks));
  for (const address of addresses) {
    const range = leftOutRange(address);
    if (range) {
      quiet.push({ address, range });
      continue;
    }
    const blocks = covering.map((cover) => cover(address));
    const [block] = blocks;
    if (block && blocks.every(Boolean)) quiet.push({ address, block });
    else real.push(address);
  }
  return { real, quiet };
}

/**
 * Which of `addresses` (new to the incident) a containment round could act on. The incident's
 * actions and timeline are read only when the approved Deny covers some address: to tell that it
 * is in place.
 */
export async function splitQuiet(
  record: IncidentRecord,
  addresses: readonly string[],
  store: IncidentStore,
): Promise<QuietSplit> {
  const approved = approvedSourceDeny(record);
  const split = splitAddresses(addresses, approved);
  if (!approved || split.quiet.every((entry) => 'range' in entry)) return split;
  return inPlace(record, approved, await actionsInEffect(record, store)) ? split : splitAddresses(addresses, undefined);
}

/** Addresses a line lists before counting the rest. */
const LISTED = 5;

function listed(entries: readonly string[]): string {
  const shown = entries.slice(0, LISTED).join(', ');
  return entries.length > LISTED ? `${shown} and ${entries.length - LISTED} more` : shown;
}

/** `a, b (label)` per label, in the order met. */
function grouped(entries: readonly (readonly [address: string, label: string])[]): string {
  const groups = new Map<string, string[]>();
  for (const [address, label] of entries) groups.set(label, [...(groups.get(label) ?? []), address]);
  return [...groups].map(([label, addresses]) => `${listed(addresses)} (${label})`).join(', ');
}

/**
 * The sentence the timeline and the thread get for the quiet addresses: each named with its range,
 * or with the block of the Deny in place that holds it. Empty when there are none.
 */
export function quietNote(quiet: readonly QuietAddress[]): string {
  if (quiet.length === 0) return '';
  const leftOut = grouped(quiet.flatMap((entry) => ('range' in entry ? [[entry.address, entry.range] as const] : [])));
  const covered = grouped(
    quiet.flatMap((entry) => ('block' in entry ? [[entry.address, `in ${entry.block}`] as const] : [])),
  );
  const parts = [
    ...(leftOut ? [`${leftOut}: a Deny by source address never lists such an address, so it changes nothing`] : []),
    ...(covered
      ? [`${covered}: already inside the Deny by source address approved and applied on the incident's bucket(s)`]
      : []),
  ];
  return `. Nothing is asked for source address(es) ${parts.join('; and ')}. They are recorded on the incident`;
}
