import { InvalidExecutionInput, StoreConflict } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { ChatPort, Clock } from '../shared/ports.js';
import { mrkdwn } from '../shared/render/escape.js';
import { MAX_PRINCIPALS } from '../shared/schemas/incident.js';
import { BucketName } from '../shared/schemas/primitives.js';
import { anonymousSourceIps } from '../shared/source-ip-deny.js';
import type {
  IncidentRecord,
  IncidentStore,
  LifecycleStore,
  QueuedDelta,
  QueueOutcome,
} from '../shared/store/types.js';
import { MAX_QUEUED_BYTES, MAX_QUEUED_DELTAS } from '../shared/store/types.js';
import { OPEN_STATUSES } from './correlate.js';
import {
  actionsInEffect,
  asksFor,
  type Delta,
  describeDelta,
  MAX_INCIDENT_BUCKETS,
  principalsBeyond,
  widened,
} from './delta.js';
import { type QuietAddress, quietNote, splitQuiet } from './quiet.js';
import type { Registration } from './schema.js';

/**
 * Delta rounds one execution asks at most after its first decision. Each round is a whole
 * containment phase (a few hundred history events with its re-pings), so ten stay far below the
 * 25,000 events of a Standard execution; what is still queued then is said in the thread.
 */
export const MAX_DELTA_ROUNDS = 10;
/** Buckets one signal queues at most (the rest are named in the thread as not queued). */
export const MAX_QUEUED_BUCKETS = 20;
/** New buckets one round asks for at most: the rest stay queued for the next round. */
export const MAX_ROUND_BUCKETS = 20;
/** Bucket names a thread line lists before counting the rest. */
const LISTED = 10;
/** Attempts to take a queue that concurrent folds keep growing (the state machine retries StoreConflict). */
const TAKE_ATTEMPTS = 3;

type QueueStore = IncidentStore & Pick<LifecycleStore, 'queueDelta' | 'takeQueuedDeltas' | 'dropQueuedDeltas'>;

/** The registration function gets the lifecycle store (clients/store.ts); a plain store queues nothing. */
function queueStore(store: IncidentStore): QueueStore | undefined {
  return 'queueDelta' in store ? (store as QueueStore) : undefined;
}

/** `a, b, c and 4 more`. */
export function namesOf(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown;
}

const bucketsOf = (delta: Readonly<Record<string, unknown>>): string[] =>
  Array.isArray(delta.buckets) ? delta.buckets.filter((bucket): bucket is string => typeof bucket === 'string') : [];

/** Fields of a delta that are never asked for: principals and buckets the incident has no room for. */
const NOT_ASKED = new Set(['principalsOver', 'bucketsOver']);

/** Whether a delta holds anything to ask for. */
function hasContent(delta: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(delta).some(([field, value]) => !NOT_ASKED.has(field) && Array.isArray(value) && value.length);
}

/** Addresses one queued delta lists at most: a mark (the round plans from every address the incident keeps). */
export const MAX_QUEUED_ADDRESSES = 20;

/**
 * What a pending request does not take up by itself: the delta without buckets already queued, at
 * most `MAX_QUEUED_BUCKETS` buckets (`clipped` names the rest), and its anonymous callers' new
 * addresses unless some are queued already. The request's Deny lists only the addresses its
 * approvers saw; the round asked after it plans from every address the incident knows then, so
 * one queued mark of addresses stands for all that arrive meanwhile (a flood queues one entry),
 * and the mark lists at most `MAX_QUEUED_ADDRESSES` of them with their count. Principals the
 * incident has no room for are not queued: they are never asked, and the fold's timeline line
 * names them.
 */
export function toQueue(record: IncidentRecord, adds: Delta): { delta: Delta; clipped: string[] } {
  const entries = record.queuedDeltas ?? [];
  const queued = new Set(entries.flatMap((entry) => bucketsOf(entry.delta)));
  const fresh = adds.buckets.filter((bucket) => !queued.has(bucket));
  const addressesQueued = entries.some((entry) => Array.isArray(entry.delta.addresses) && entry.delta.addresses.length);
  const addresses = addressesQueued ? [] : adds.addresses;
  const { principalsOver: _said, bucketsOver: _alsoSaid, addressCount: _counted, ...kept } = adds;
  return {
    delta: {
      ...kept,
      addresses: addresses.slice(0, MAX_QUEUED_ADDRESSES),
      ...(addresses.length > MAX_QUEUED_ADDRESSES ? { addressCount: addresses.length } : {}),
      buckets: fresh.slice(0, MAX_QUEUED_BUCKETS),
    },
    clipped: fresh.slice(MAX_QUEUED_BUCKETS),
  };
}

/** What queueing a folded signal's delta did, and the sentence the timeline and the thread get. */
export interface QueuedFold {
  readonly outcome: QueueOutcome['outcome'] | 'already-queued';
  readonly record: IncidentRecord;
  readonly text?: string;
}

/**
 * A signal folding in while a request is pending adds something that request does not hold: its
 * delta is queued on the incident (one conditional append), to be asked in the same thread once
 * the decision is made. `not-pending`: the phase ended meanwhile, nothing was queued (the caller
 * asks for it as after a containment). A full queue is said, with what was not queued.
 */
export async function queueWhilePending(
  args: { record: IncidentRecord; adds: Delta; findingId: string; at: string },
  ports: { store: IncidentStore },
): Promise<QueuedFold | undefined> {
  const store = queueStore(ports.store);
  if (!store) return undefined;
  const { delta, clipped } = toQueue(args.record, args.adds);
  const notQueued = clipped.length
    ? `; ${clipped.length} more bucket(s) of this signal were not queued (at most ${MAX_QUEUED_BUCKETS} per signal): ${namesOf(clipped)}`
    : '';
  if (!hasContent({ ...delta })) {
    // Buckets already queued, or addresses a queued round will plan from.
    const what = [...args.adds.buckets, ...args.adds.addresses];
    return what.length
      ? {
          outcome: 'already-queued',
          record: args.record,
          text: `${namesOf(what)}: already queued, to be asked right after the pending decision`,
        }
      : undefined;
  }
  const entry: QueuedDelta = { at: args.at, findingId: args.findingId, delta: { ...delta } };
  const result = await store.queueDelta(args.record.incidentId, entry, [...OPEN_STATUSES]);
  const what = describeDelta(delta);
  switch (result.outcome) {
    case 'queued':
      return {
        ...result,
        text: `It adds ${what}, not in the pending request: queued, and asked in this thread right after that decision${notQueued}`,
      };
    case 'full':
      return {
        ...result,
        text: `It adds ${what}, not in the pending request, and the queue is full (${MAX_QUEUED_DELTAS} signals or ${MAX_QUEUED_BYTES / 1024} KB): not queued, so not asked after the decision (a later signal for them asks; ${(result.record.queuedDeltasOmitted ?? 1).toString()} signal(s) not queued so far)${notQueued}`,
      };
    case 'not-pending':
      return result;
  }
}

type TakePorts = { store: IncidentStore; clock: Clock; chat: ChatPort };

/** The registration of a queue that is not asked now (the execution ends after its report). */
function notAsked(record: IncidentRecord, reason: string): Registration {
  return {
    status: 'ignored',
    incidentId: record.incidentId,
    incident: record.incident,
    reason,
    queued: true,
    previouslyApplied: [],
  };
}

/** The entries one round asks for (at least one), the rest, and the buckets the taken entries add. */
export function roundOf(
  record: IncidentRecord,
  entries: readonly QueuedDelta[],
): { taken: QueuedDelta[]; rest: QueuedDelta[]; delta: Delta; invalid: number; beyond: number } {
  const known = new Set(record.incident.buckets);
  const buckets: string[] = [];
  const merged: Record<string, unknown[]> = {};
  const taken: QueuedDelta[] = [];
  let invalid = 0;
  let beyond = 0;
  for (const entry of entries) {
    const valid = bucketsOf(entry.delta).filter((bucket) => BucketName.safeParse(bucket).success);
    const fresh = [...new Set(valid)].filter((bucket) => !known.has(bucket) && !buckets.includes(bucket));
    if (taken.length > 0 && buckets.length + fresh.length > MAX_ROUND_BUCKETS) break;
    invalid += (Array.isArray(entry.delta.buckets) ? entry.delta.buckets.length : 0) - valid.length;
    taken.push(entry);
    const room = Math.max(MAX_INCIDENT_BUCKETS - known.size - buckets.length, 0);
    beyond += Math.max(fresh.length - room, 0);
    buckets.push(...fresh.slice(0, room));
    // Fields other than buckets (addresses, principals, later kinds of delta) ride along, merged.
    for (const [field, value] of Object.entries(entry.delta)) {
      if (field === 'buckets' || NOT_ASKED.has(field) || !Array.isArray(value)) continue;
      const into = merged[field] ?? [];
      merged[field] = into;
      for (const item of value) {
        if (!into.some((other) => JSON.stringify(other) === JSON.stringify(item))) into.push(item);
      }
    }
  }
  const [first] = taken;
  const delta = {
    addresses: [],
    ...merged,
    buckets,
    ...(first ? { findingId: first.findingId, at: first.at, findingIds: taken.map((entry) => entry.findingId) } : {}),
  } as unknown as Delta;
  return { taken, rest: entries.slice(taken.length), delta, invalid, beyond };
}

/**
 * `{incidentId, queued: true}`: the end of a containment phase (the playbook after its report, or
 * a console start). When signals queued a delta while the request was pending and the incident is
 * not closed, the queue is taken (conditionally: of two takers exactly one asks), the incident is
 * reopened for it and the same execution re-plans the widened incident, where what is in place is
 * confirmed as `already` and only the delta is asked, in the same thread. After a denied or
 * expired request the queue is asked too: new information deserves a question. A closed
 * incident's queue is dropped, with a timeline line. `deltaRound` is how many rounds this
 * execution asked already: at `MAX_DELTA_ROUNDS` what is still queued is said, not asked.
 */
export async function takeQueued(
  incidentId: string,
  deltaRound: number,
  ports: TakePorts,
  automatic = true,
  attempt = 1,
): Promise<Registration> {
  const record = await ports.store.getIncident(incidentId);
  if (!record) throw new InvalidExecutionInput('incidentId', `incident ${incidentId} not found in the incident store`);
  const entries = record.queuedDeltas ?? [];
  const store = queueStore(ports.store);
  if (entries.length === 0 || !store) return notAsked(record, `nothing is queued on incident ${incidentId}`);
  const at = ports.clock.now().toISOString();
  const queuedBuckets = entries.flatMap((entry) => bucketsOf(entry.delta));
  const held = queuedBuckets.length ? `bucket(s) ${namesOf(queuedBuckets)}` : 'what the timeline says';
  if (record.closure) {
    if (await store.dropQueuedDeltas(incidentId, entries.length, entries[0] as QueuedDelta)) {
      await ports.store.addEvent(incidentId, {
        at,
        kind: 'queue-dropped',
        text: `Queued delta dropped: the incident was closed (${record.closure.resolution}) before it was asked; it named ${held}`,
        data: { findingIds: entries.map((entry) => entry.findingId) },
      });
    }
    return notAsked(record, `incident ${incidentId} is closed: its queued delta was dropped`);
  }
  if (OPEN_STATUSES.has(record.status)) {
    return notAsked(record, `incident ${incidentId} is ${record.status}: its queue is asked when that phase ends`);
  }
  // After a denial (or an expired request) the next round would ask the denied plan again beside
  // the delta: never automatically. A person asks for it, and the timeout policy never decides it.
  const refused = refusedRequest(record);
  if (refused && automatic) {
    const text = `The request was ${refused}: what arrived while it was pending (${held}) stays queued and is not asked automatically, since asking would put the ${refused} plan again. Start the playbook with {"incidentId":"${incidentId}","queued":true} to ask for it`;
    await ports.store.addEvent(incidentId, { at, kind: 'queue-left', text });
    await postInThread(record, text, ports.chat);
    return notAsked(record, text);
  }
  if (deltaRound >= MAX_DELTA_ROUNDS) {
    const text = `${deltaRound} delta rounds were asked in this run, the most one run asks: still queued, ${held}. Start the playbook with {"incidentId":"${incidentId}","queued":true} to ask for them`;
    await ports.store.addEvent(incidentId, { at, kind: 'queue-left', text });
    await postInThread(record, text, ports.chat);
    return notAsked(record, text);
  }
  const queuedRound = roundOf(record, entries);
  // A round of queued addresses plans from every address the incident knows: those the Deny in
  // place leaves out or already covers are not asked; a round of nothing else is not asked at all.
  const split = queuedRound.delta.addresses.length
    ? await splitQuiet(record, anonymousSourceIps(record), ports.store)
    : undefined;
  const round = split ? { ...queuedRound, delta: { ...queuedRound.delta, addresses: split.real } } : queuedRound;
  const beyond = round.beyond
    ? `; ${round.beyond} bucket(s) are left out: the incident names ${MAX_INCIDENT_BUCKETS} at most`
    : '';
  if (split && !asksFor(round.delta) && round.rest.length === 0) {
    const quiet = `${quietNote(notShownBefore(split.quiet))}${beyond}`;
    return quietRound({ record, entries, quiet, at, automatic, deltaRound, attempt }, store, ports);
  }
  const incident = widened(record, round.delta);
  const taken = await store.takeQueuedDeltas(incidentId, {
    count: entries.length,
    first: entries[0] as QueuedDelta,
    rest: round.rest,
    running: [...OPEN_STATUSES],
    updatedAt: at,
    incident,
  });
  if (!taken) {
    // A fold appended meanwhile (read again) or another execution took it (nothing left to ask).
    if (attempt < TAKE_ATTEMPTS) return takeQueued(incidentId, deltaRound, ports, automatic, attempt + 1);
    throw new StoreConflict(`the queue of incident ${incidentId} changed while it was being taken; try again`);
  }
  const rest = round.rest.length ? `; ${round.rest.length} more queued signal(s) are asked in the next round` : '';
  const invalid = round.invalid ? `; ${round.invalid} queued bucket name(s) were not valid and are left out` : '';
  const crowded = principalsBeyond(record.incident, round.delta.principals);
  const overPrincipals = crowded.length
    ? `; ${crowded.length} principal(s) are left out, the incident holds ${MAX_PRINCIPALS} at most: ${crowded.map((principal) => principal.arn ?? principal.accessKeyId ?? principal.type).join(', ')}; contain them by hand`
    : '';
  const quiet = quietNote(notShownBefore(split?.quiet ?? []));
  const text = `After the decision: what arrived while it was pending adds ${describeDelta(round.delta) || 'nothing new'} (${round.taken.length} signal(s)): approval is asked for that delta only${rest}${invalid}${beyond}${overPrincipals}${quiet}`;
  await ports.store.addEvent(incidentId, {
    at,
    kind: 'queued-delta',
    text,
    data: {
      findingIds: round.taken.map((entry) => entry.findingId),
      previousStatus: record.status,
      round: deltaRound + 1,
    },
  });
  await postInThread(record, text, ports.chat);
  return {
    status: 'open',
    incidentId,
    incident,
    rerun: true,
    delta: true,
    queued: true,
    previousStatus: record.status,
    previousIncidentId: record.previousIncidentId,
    reason: text,
    previouslyApplied: await actionsInEffect(record, ports.store),
    ...(round.delta.principals?.length || refused ? { noAutoContain: true as const } : {}),
  };
}

/**
 * The quiet addresses a line names: those left out, and those inside a wider block of the Deny in
 * place; an address it lists as its own one-address block was shown to the approvers as such.
 */
function notShownBefore(quiet: readonly QuietAddress[]): QuietAddress[] {
  return quiet.filter((entry) => !('block' in entry) || !/\/(?:32|128)$/.test(entry.block));
}

/**
 * A queue holding only addresses no round could act on (`quiet.ts`): taken off the incident
 * (conditionally, like a round), with a timeline line and a thread message naming them, and
 * nothing asked (`quiet`: that line's end, with the queued buckets the incident has no room for).
 * The addresses stay recorded on the incident.
 */
async function quietRound(
  args: {
    record: IncidentRecord;
    entries: readonly QueuedDelta[];
    quiet: string;
    at: string;
    automatic: boolean;
    deltaRound: number;
    attempt: number;
  },
  store: QueueStore,
  ports: TakePorts,
): Promise<Registration> {
  const { record, entries, at } = args;
  const { incidentId } = record;
  const running = [...OPEN_STATUSES];
  if (!(await store.dropQueuedDeltas(incidentId, entries.length, entries[0] as QueuedDelta, { running }))) {
    if (args.attempt < TAKE_ATTEMPTS) {
      return takeQueued(incidentId, args.deltaRound, ports, args.automatic, args.attempt + 1);
    }
    throw new StoreConflict(`the queue of incident ${incidentId} changed while it was being taken; try again`);
  }
  const text = `After the decision: what arrived while it was pending (${entries.length} signal(s)) changes nothing containment would put in place: no new approval${args.quiet}`;
  await ports.store.addEvent(incidentId, {
    at,
    kind: 'queue-quiet',
    text,
    data: { findingIds: entries.map((entry) => entry.findingId) },
  });
  await postInThread(record, text, ports.chat);
  return notAsked(record, text);
}

/**
 * How the incident's latest request ended when it was refused: `denied`, `expired` under
 * auto-deny, or `withdrawn` by a close. A refused request of a later round leaves the status of the
 * containment still in place (`contained`), so the recorded decision says it too. Undefined otherwise.
 */
export function refusedRequest(record: IncidentRecord): 'denied' | 'expired' | 'withdrawn' | undefined {
  if (record.status === 'denied' || record.status === 'expired') return record.status;
  const outcome = record.decision?.outcome;
  return outcome === 'denied' || outcome === 'expired' || outcome === 'withdrawn' ? outcome : undefined;
}

/** A line in the incident's thread, escaped for Slack. Best effort: the timeline has it either way. */
async function postInThread(record: IncidentRecord, text: string, chat: ChatPort): Promise<void> {
  if (!record.slack) return;
  try {
    await chat.post({ channel: record.slack.channel, threadTs: record.slack.ts, message: { text: mrkdwn(text) } });
  } catch (error) {
    log.warn('thread message failed', { incidentId: record.incidentId, error: (error as Error).name });
  }
}
