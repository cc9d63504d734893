import { maskKey } from '../shared/ids.js';
import { type Incident, MAX_PRINCIPALS, type Principal } from '../shared/schemas/incident.js';
import type { ActionResult } from '../shared/schemas/plan.js';
import { anonymousSourceIps, knownSourceIps } from '../shared/source-ip-deny.js';
import type { IncidentRecord, IncidentStatus, IncidentStore } from '../shared/store/types.js';
import { principalKey } from './correlate.js';

/**
 * Statuses after which a folded-in signal that adds something not yet contained asks for just that
 * delta: containment has run and put something in place. While the containment phase runs (an
 * approval pending), a signal folds into it instead (its addresses are taken when it is applied),
 * so a flood never produces a stream of approvals.
 */
export const DELTA_AFTER: ReadonlySet<IncidentStatus> = new Set(['contained', 'partially_contained']);

/** The incident schema's bound on `sourceIps`. */
export const MAX_INCIDENT_SOURCE_IPS = 1000;
/** The incident schema's bound on buckets. */
export const MAX_INCIDENT_BUCKETS = 1000;

/**
 * What a signal adds to an incident: buckets it does not name, (anonymous) addresses it does not
 * know, and principals it does not hold yet (another key, another role, another account's identity,
 * or anonymous callers), each marked with the signal that brought it.
 */
export interface Delta {
  readonly buckets: string[];
  readonly addresses: string[];
  /** How many addresses the delta adds, when `addresses` lists only the first of them. */
  readonly addressCount?: number;
  readonly principals?: Principal[];
  /** The signal that brought the delta, and when it was folded in. */
  readonly findingId?: string;
  readonly at?: string;
  /** A queued round: every signal it asks about (`findingId` is the first). */
  readonly findingIds?: string[];
  /** New principals the incident has no room for (`MAX_PRINCIPALS`): said in the timeline, not planned. */
  readonly principalsOver?: Principal[];
  /** New buckets the incident has no room for (`MAX_INCIDENT_BUCKETS`): said in the timeline, not planned. */
  readonly bucketsOver?: string[];
  /** The access keys among `principals` (and `principalsOver`) that are new keys of a principal the incident holds. */
  readonly newKeys?: string[];
}

/** Every principal an incident holds, `principal` first. */
export function principalsOf(incident: Incident): Principal[] {
  return incident.principals?.length ? incident.principals : [incident.principal];
}

/**
 * The identity a principal is contained as: its canonical ARN (the role for a role session), else
 * its access key id; every anonymous caller is one (`anonymous`). Undefined when nothing identifies it.
 */
export function identityOf(incident: Incident, principal: Principal): string | undefined {
  if (principal.type === 'Anonymous') return 'anonymous';
  return principalKey({ ...incident, principal });
}

/**
 * A long-term access key of an IAM user (`AKIA…`): the only kind `UpdateAccessKey` deactivates. A
 * second one of a principal the incident holds (the attacker created it with the stolen
 * credentials) is new to the incident: it is held as a principal entry of its own (the same ARN,
 * its key), so its deactivation is planned and asked like any new principal's.
 */
function longTermKey(principal: Principal): string | undefined {
  return principal.type === 'IAMUser' && principal.accessKeyId?.startsWith('AKIA') ? principal.accessKeyId : undefined;
}

/** The names that hold a principal on an incident: its identity, and its key (a later signal may name only the key). */
function heldNames(of: Incident, principal: Principal): [string | undefined, string | undefined] {
  return [identityOf(of, principal), principal.accessKeyId ? `key:${principal.accessKeyId}` : undefined];
}

/**
 * Whether `principal` is new to an incident holding `held` (and records it there when it is): an
 * identity it does not hold, or a long-term key it does not know of an identity it holds. A key
 * it knows is never new, whatever identity the signal names with it; an unidentifiable principal
 * is never added.
 */
function takeIfNew(held: Set<string>, of: Incident, principal: Principal): boolean {
  const [identity, key] = heldNames(of, principal);
  if (identity === undefined || (key !== undefined && held.has(key))) return false;
  if (held.has(identity) && !longTermKey(principal)) return false;
  held.add(identity);
  if (key) held.add(key);
  return true;
}

/** The names every principal of the incident is held by. */
function heldBy(incident: Incident): Set<string> {
  return new Set(
    principalsOf(incident)
      .flatMap((principal) => heldNames(incident, principal))
      .filter((name): name is string => name !== undefined),
  );
}

/** The signal's principals (or new keys of its principals) the incident does not hold yet. */
function newPrincipals(target: Incident, incident: Incident, at: string): Principal[] {
  const held = heldBy(target);
  const added: Principal[] = [];
  for (const principal of principalsOf(incident)) {
    if (!takeIfNew(held, incident, principal)) continue;
    const { addedBy: _ignored, ...named } = principal;
    added.push({ ...named, addedBy: { findingId: incident.findingId, at } });
  }
  return added;
}

/** The delta a signal brings to the incident it folds into; undefined when it adds nothing. */
export function deltaOf(target: IncidentRecord, incident: Incident, at = incident.lastSeen): Delta | undefined {
  const named = [...new Set(incident.buckets)].filter((bucket) => !target.incident.buckets.includes(bucket));
  const buckets = named.slice(0, Math.max(0, MAX_INCIDENT_BUCKETS - target.incident.buckets.length));
  const bucketsOver = named.slice(buckets.length);
  const known = new Set(knownSourceIps(target));
  const addresses =
    incident.principal.type === 'Anonymous' ? [...new Set(incident.sourceIps)].filter((ip) => !known.has(ip)) : [];
  const fresh = newPrincipals(target.incident, incident, at);
  const room = Math.max(0, MAX_PRINCIPALS - principalsOf(target.incident).length);
  const principals = fresh.slice(0, room);
  const over = fresh.slice(room);
  if (named.length === 0 && addresses.length === 0 && fresh.length === 0) return undefined;
  const identities = new Set(principalsOf(target.incident).map((principal) => identityOf(target.incident, principal)));
  const newKeys = fresh
    .filter((principal) => identities.has(identityOf(incident, principal)))
    .flatMap((principal) => (principal.accessKeyId ? [principal.accessKeyId] : []));
  return {
    buckets,
    addresses,
    principals,
    findingId: incident.findingId,
    at,
    ...(over.length > 0 ? { principalsOver: over } : {}),
    ...(bucketsOver.length > 0 ? { bucketsOver } : {}),
    ...(newKeys.length > 0 ? { newKeys } : {}),
  };
}

/** The principals (or new keys) of `added` the incident does not hold yet, each once. */
function freshPrincipals(incident: Incident, added: readonly Principal[]): Principal[] {
  // A principal already held (or queued twice by signals folding in during one request) is added once.
  const held = heldBy(incident);
  return added.filter((principal) => takeIfNew(held, incident, principal));
}

/**
 * The principals of the incident with as many of the delta's as the schema's bound
 * (`MAX_PRINCIPALS`) leaves room for, `principal` first; the rest are `principalsBeyond`, said in
 * the timeline, never dropped silently.
 */
export function withPrincipals(incident: Incident, added: readonly Principal[] = []): Principal[] | undefined {
  const current = principalsOf(incident);
  const fresh = freshPrincipals(incident, added).slice(0, Math.max(0, MAX_PRINCIPALS - current.length));
  return fresh.length === 0 ? incident.principals : [...current, ...fresh];
}

/** The new principals of `added` the incident has no room for. */
export function principalsBeyond(incident: Incident, added: readonly Principal[] = []): Principal[] {
  return freshPrincipals(incident, added).slice(Math.max(0, MAX_PRINCIPALS - principalsOf(incident).length));
}

/** The incident as its next plan sees it: its buckets and principals with the delta's, every address it knows. */
export function widened(record: IncidentRecord, delta?: Delta): Incident {
  const buckets = [
    ...record.incident.buckets,
    ...(delta?.buckets ?? []).filter((b) => !record.incident.buckets.includes(b)),
  ];
  const addresses = record.signalSourceIps?.length ? knownSourceIps(record) : record.incident.sourceIps;
  const principals = withPrincipals(record.incident, delta?.principals) ?? record.incident.principals;
  const marker =
    delta?.findingId && delta.at
      ? {
          findingId: delta.findingId,
          at: delta.at,
          buckets: delta.buckets,
          ...(delta.findingIds ? { findingIds: delta.findingIds } : {}),
        }
      : undefined;
  const { delta: _stale, anonymousSourceIps: _derived, ...stored } = record.incident;
  // An identified first principal's own addresses are not an anonymous caller's.
  const anonymous = record.incident.principal.type === 'Anonymous' ? [] : anonymousSourceIps(record);
  return {
    ...stored,
    buckets,
    sourceIps: addresses.slice(0, MAX_INCIDENT_SOURCE_IPS),
    ...(principals ? { principals } : {}),
    ...(anonymous.length > 0 ? { anonymousSourceIps: anonymous.slice(0, MAX_INCIDENT_SOURCE_IPS) } : {}),
    ...(marker ? { delta: marker } : {}),
  };
}

/** Whether a delta is asked for: something to contain beyond the principals the incident has no room for. */
export function asksFor(delta: Delta | undefined): delta is Delta {
  return (
    delta !== undefined &&
    (delta.buckets.length > 0 || delta.addresses.length > 0 || (delta.principals?.length ?? 0) > 0)
  );
}

/**
 * The record's incident with the delta's buckets and principals, as a delta request writes it when
 * it reopens the incident; undefined when the delta adds neither.
 */
export function recordedWith(record: IncidentRecord, delta: Delta): Incident | undefined {
  const buckets = delta.buckets.filter((bucket) => !record.incident.buckets.includes(bucket));
  const principals = delta.principals?.length ? withPrincipals(record.incident, delta.principals) : undefined;
  if (buckets.length === 0 && !principals) return undefined;
  return {
    ...record.incident,
    buckets: [...record.incident.buckets, ...buckets],
    ...(principals ? { principals } : {}),
  };
}

/**
 * How a folded-in signal is described: the same caller, or a different one (named as new) on one
 * of the incident's buckets.
 */
export function foldedFor(target: IncidentRecord, incident: Incident, delta: Delta | undefined): string {
  const all = [...(delta?.principals ?? []), ...(delta?.principalsOver ?? [])];
  const { keys, others: added } = splitKeys(all, delta);
  if (incident.principal.type === 'Anonymous' && all.length === 0) {
    return `for anonymous access to the same bucket from ${incident.sourceIps.slice(0, 3).join(', ') || 'an unknown address'}`;
  }
  const newKey =
    keys.length > 0 ? `with an access key NEW to this incident: ${keys.map(describePrincipal).join('; ')}` : '';
  if (added.length === 0) return newKey ? `for a principal it holds, ${newKey}` : 'for the same principal and bucket';
  const shared = incident.buckets.filter((bucket) => target.incident.buckets.includes(bucket));
  return `for a different principal, NEW to this incident: ${added.map(describePrincipal).join('; ')}, on ${shared.length > 0 ? `bucket(s) ${shared.join(', ')}` : 'one of its buckets'}${newKey ? `; and ${newKey}` : ''}`;
}

/** The delta's principals that are new keys of principals the incident holds, and the others. */
function splitKeys(principals: readonly Principal[], delta: Delta | undefined) {
  const keys = new Set(delta?.newKeys ?? []);
  const isKey = (principal: Principal) => principal.accessKeyId !== undefined && keys.has(principal.accessKeyId);
  return { keys: principals.filter(isKey), others: principals.filter((principal) => !isKey(principal)) };
}

/** What a pending request does not include from the signal (the delta arrived while it was pending). */
export function notInRequest(delta: Delta | undefined): string {
  if (!delta) return '';
  const principals = delta.principals?.length
    ? `. Principal(s) ${delta.principals.map(describePrincipal).join('; ')} are not in the pending request: their keys now fold into this incident, so their next signal after the decision asks for them`
    : '';
  const buckets = delta.buckets.length
    ? `. Bucket(s) ${delta.buckets.join(', ')} are not in the pending request: re-run the incident after the decision to contain them`
    : '';
  return `${principals}${buckets}`;
}

/** The new principals and buckets the incident has no room for, said in the timeline. */
export function overflowNote(delta: Delta | undefined): string {
  const over = delta?.principalsOver ?? [];
  const buckets = delta?.bucketsOver ?? [];
  const cannot = (held: string, names: string[]) =>
    names.length > 0
      ? `. The incident already ${held}: ${names.join('; ')} cannot be added to it; contain by hand`
      : '';
  const more = buckets.length > 10 ? [`${buckets.length - 10} more`] : [];
  return (
    cannot(`holds ${MAX_PRINCIPALS} principals`, over.map(describePrincipal)) +
    cannot(`names ${MAX_INCIDENT_BUCKETS} buckets`, [...buckets.slice(0, 10), ...more])
  );
}

/**
 * A signal as it arrives: the fields only registration may set (`addedBy`, `delta`,
 * `anonymousSourceIps`) are dropped, so a crafted signal cannot present a principal as folded in,
 * a request as a delta, or its own addresses as someone else's. One signal naming an identified
 * principal and anonymous callers cannot tell whose address is whose: all of its addresses are
 * the anonymous callers' (the Deny by address is never left empty for them).
 */
export function asSignal(incident: Incident): Incident {
  const { delta: _delta, anonymousSourceIps: _anonymous, ...signal } = incident;
  const strip = ({ addedBy: _addedBy, ...principal }: Principal): Principal => principal;
  const mixed =
    signal.principal.type !== 'Anonymous' &&
    (signal.principals ?? []).some((principal) => principal.type === 'Anonymous');
  return {
    ...signal,
    principal: strip(signal.principal),
    ...(signal.principals ? { principals: signal.principals.map(strip) } : {}),
    ...(mixed && signal.sourceIps.length > 0 ? { anonymousSourceIps: [...signal.sourceIps] } : {}),
  };
}

/**
 * The actions that took effect in earlier runs of the incident and were not rolled back since:
 * planning confirms them as `already` without asking again (a re-run, a delta).
 */
export async function actionsInEffect(record: IncidentRecord, store: IncidentStore): Promise<ActionResult[]> {
  if (record.status === 'rolled_back') return [];
  const [events, actions] = await Promise.all([
    store.listEvents(record.incidentId),
    store.listActions(record.incidentId),
  ]);
  const lastRollback = events
    .filter((event) => event.kind === 'rollback')
    .map((event) => event.at)
    .sort()
    .at(-1);
  return actions.filter(
    (action) =>
      (action.result === 'applied' || action.result === 'already') &&
      (lastRollback === undefined || (action.at ?? '') > lastRollback),
  );
}

/** One line for the timeline and the thread: what the delta adds. */
export function describeDelta(delta: Delta): string {
  const parts: string[] = [];
  const { keys, others: principals } = splitKeys(delta.principals ?? [], delta);
  if (keys.length > 0) {
    parts.push(
      `new access key(s) ${keys.slice(0, 3).map(describePrincipal).join('; ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''} (to deactivate)`,
    );
  }
  if (principals.length > 0) {
    parts.push(
      `new principal(s) ${principals.slice(0, 3).map(describePrincipal).join('; ')}${principals.length > 3 ? ` and ${principals.length - 3} more` : ''}`,
    );
  }
  if (delta.buckets.length > 0) parts.push(`bucket(s) ${delta.buckets.join(', ')}`);
  if (delta.addresses.length > 0) {
    const shown = delta.addresses.slice(0, 3).join(', ');
    const total = Math.max(delta.addressCount ?? 0, delta.addresses.length);
    parts.push(`source address(es) ${shown}${total > 3 ? ` and ${total - 3} more` : ''}`);
  }
  return parts.join(' and ');
}

/** A principal named for people: its ARN (the role for a session), its key, its account. */
export function describePrincipal(principal: Principal): string {
  if (principal.type === 'Anonymous') return 'anonymous callers';
  const who =
    principal.sessionIssuer ??
    principal.arn ??
    (principal.userName ? `${principal.type} ${principal.userName}` : principal.type);
  const key = principal.accessKeyId ? ` (key ${maskKey(principal.accessKeyId)})` : '';
  const account =
    principal.accountId && !who.includes(`:${principal.accountId}:`) ? ` in account ${principal.accountId}` : '';
  return `${who}${key}${account}`;
}
