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
 * the incident. Addresses matter to no other action: the principal and endpoint Denies, key
 * deactivation, session revocation and the Macie job never read them.
 */
export type QuietAddress =
  | { readonly address: string; readonly range: string }
  | { readonly address: string; readonly block: string };

/** A signal's new addresses: those a round would act on (`real`), and the quiet rest. */
export interface QuietSplit {
  readonly real: string[];
  readonly quiet: QuietAddress[];
}

/** The blocks of the incident's Deny by address in place on one of its buckets. */
interface DenyInPlace {
  readonly bucket: string;
  readonly blocks: string[];
}

/**
 * The Deny by source address in place on each of the incident's buckets, as the latest round
 * approved it and wrote it (the apply step writes exactly the approved statement, or finds it
 * there): undefined when that cannot be told for every bucket, and then nothing counts as covered.
 * It holds only when
 * - the incident is contained or partially contained and its latest request was approved (not
 *   denied, expired or withdrawn);
 * - the approved plan holds the bucket's Deny by address (`…DenySourceIp`);
 * - the bucket's Deny took effect (`applied` or `already`) and was not rolled back since, in that
 *   round: after the decision, or, for a round that only confirmed what was in place (no one was
 *   asked, planning read the statement in the bucket policy), at any time. A result older than the
 *   decision means this round's write was not recorded (it failed): what is in place is unknown.
 * A statement someone removed by hand since is not seen here (registration reads no bucket
 * policy): the next round or a re-run finds it missing and asks for it again.
 */
export function sourceDenyInPlace(
  record: IncidentRecord,
  inEffect: readonly ActionResult[],
): DenyInPlace[] | undefined {
  const { decision } = record;
  if (!DELTA_AFTER.has(record.status) || decision?.outcome !== 'approved') return undefined;
  if (record.incident.buckets.length === 0) return undefined;
  const confirmedOnly = decision.via === 'none';
  const sid = statementSid(record.incidentId, DENY_SOURCE_IP);
  const denies: DenyInPlace[] = [];
  for (const bucket of record.incident.buckets) {
    const item = decision.approvedPlan.find((entry) => entry.action === 'denyBucketAccess' && entry.bucket === bucket);
    const statement = item?.action === 'denyBucketAccess' ? item.statements.find((s) => s.Sid === sid) : undefined;
    const blocks = listOf((statement?.Condition as { IpAddress?: Record<string, unknown> } | undefined)?.IpAddress);
    const result = inEffect.find((entry) => entry.action === 'denyBucketAccess' && entry.target === bucket);
    if (blocks.length === 0 || !result) return undefined;
    if (!confirmedOnly && (!decision.decidedAt || (result.at ?? '') < decision.decidedAt)) return undefined;
    denies.push({ bucket, blocks });
  }
  return denies;
}

function listOf(condition: Record<string, unknown> | undefined): string[] {
  const value = condition?.['aws:SourceIp'];
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** Splits addresses by `sourceDenyInPlace`'s answer (pure). */
export function splitAddresses(addresses: readonly string[], inPlace: readonly DenyInPlace[] | undefined): QuietSplit {
  const real: string[] = [];
  const quiet: QuietAddress[] = [];
  for (const address of addresses) {
    const range = leftOutRange(address);
    if (range) {
      quiet.push({ address, range });
      continue;
    }
    const covering = (inPlace ?? []).map((deny) => coveringBlock(address, deny.blocks));
    const [block] = covering;
    if (inPlace?.length && block && covering.every(Boolean)) quiet.push({ address, block });
    else real.push(address);
  }
  return { real, quiet };
}

/**
 * Which of `addresses` (new to the incident) a containment round could act on. The incident's
 * actions are read only when some address is one a Deny would list.
 */
export async function splitQuiet(
  record: IncidentRecord,
  addresses: readonly string[],
  store: IncidentStore,
): Promise<QuietSplit> {
  if (addresses.every((address) => leftOutRange(address) !== undefined)) return splitAddresses(addresses, undefined);
  if (!DELTA_AFTER.has(record.status)) return splitAddresses(addresses, undefined);
  return splitAddresses(addresses, sourceDenyInPlace(record, await actionsInEffect(record, store)));
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
