import { log } from '../shared/log.js';
import { mrkdwn } from '../shared/render/escape.js';
import type { Incident } from '../shared/schemas/incident.js';
import {
  type DeltaReopen,
  type IncidentRecord,
  type IncidentStore,
  MAX_REOPEN_ADDRESSES,
  MAX_SIGNAL_SOURCE_IPS,
} from '../shared/store/types.js';
import type { RegisterPorts } from './core.js';
import { OPEN_STATUSES } from './correlate.js';
import {
  actionsInEffect,
  asksFor,
  DELTA_AFTER,
  type Delta,
  deltaOf,
  describeDelta,
  foldedFor,
  notInRequest,
  overflowNote,
  principalsOf,
  recordedWith,
  widened,
} from './delta.js';
import { queueWhilePending, refusedRequest } from './queue.js';
import { type QuietAddress, quietNote, splitQuiet } from './quiet.js';
import { refreshApproval } from './refresh.js';
import type { Registration } from './schema.js';

/*
 * A signal folding into an open incident (`foldInto`): its finding appended, what it adds asked in a
 * delta round of its own when the incident is contained (the reopen, and its retry), queued while a
 * request is pending, or only recorded when no round could act on it (`quiet.ts`); its timeline
 * line and thread message. The registration's entry and its other paths are in core.ts.
 */

/** Folds a signal into the open incident for its principal and bucket. */
export async function foldInto(
  target: IncidentRecord,
  incident: Incident,
  at: string,
  executionName: string,
  ports: RegisterPorts,
  capReason?: string,
): Promise<Registration> {
  const { incidentId } = target;
  // A retry of the registration whose reopen was written (it stopped before linking the finding).
  const again = reopenedBefore(target, incident, executionName);
  if (again) {
    await foldedLineAgain(again.record, again.delta, incident, target.reopenedBy?.at ?? at, ports);
    await afterReopen(incidentId)(() => ports.store.linkFinding({ findingId: incident.findingId, incidentId }));
    return startDelta(again.record, again.delta, ports);
  }
  const anonymous = incident.principal.type === 'Anonymous';
  const adds = deltaOf(target, incident, at);
  // An anonymous flood is one incident per bucket: its Deny lists the addresses folded in too.
  const notKept = anonymous ? await ports.store.addSignalSourceIps(incidentId, incident.sourceIps) : [];
  // Refused (StoreConflict, retried) when the incident was closed since the correlation.
  const record = await ports.store.appendFindingId(incidentId, incident.findingId, at);
  // Addresses the Deny in place leaves out or already covers are recorded, never asked (quiet.ts).
  // While a request is pending, only the addresses a Deny never lists (the rest is judged when
  // the queued round is built, against the Deny that request puts in place).
  let split = await askable(target, adds, ports.store, notKept);
  // One delta request at a time: of two signals racing on a contained incident, the one whose
  // conditional reopen wins asks; the other folds into that request like any pending one.
  const reopening = { at, executionName, ports };
  const { asked } = split;
  let delta = DELTA_AFTER.has(target.status) && asksFor(asked) ? await reopen(target, asked, reopening) : undefined;
  // What arrives while a request is pending and is not in it is queued, asked after the decision
  // (queue.ts); when the phase ended meanwhile, it is asked like after a containment.
  const pending = OPEN_STATUSES.has(target.status) || (DELTA_AFTER.has(target.status) && !delta);
  const queued =
    pending && asked
      ? await queueWhilePending({ record, adds: asked, findingId: incident.findingId, at }, ports)
      : undefined;
  if (queued?.outcome === 'not-pending' && asksFor(asked) && DELTA_AFTER.has(queued.record.status)) {
    split = await askable(queued.record, adds, ports.store, notKept);
    if (asksFor(split.asked)) delta = await reopen(queued.record, split.asked, reopening);
  }
  const source = incident.source === 'guardduty' ? 'GuardDuty' : 'detection';
  const who = capReason ? `(${capReason})` : foldedFor(target, incident, adds);
  const folded = `Folded in: ${source} ${incident.findingType} (${incident.findingId}) ${who} while it is open`;
  const notes = `${quietNote(split.quiet)}${overflowNote(adds)}${addressesNotKept(notKept)}`;
  const text = delta
    ? `${folded}; it adds ${describeDelta(delta)}, not yet contained: approval is asked for that delta only${notes}`
    : queued?.text
      ? `${folded}. ${queued.text}${notes}`
      : `${folded}; no new approval${pending ? notInRequest(asked) : ''}${notes}`;
  // Once this signal's reopen is written, the delta request is this registration's to start: a
  // retry would find the incident open with the delta recorded and ask for nothing, so a write
  // failing after the reopen is logged and the request still started.
  const write = delta ? afterReopen(incidentId) : (run: () => Promise<void>) => run();
  await write(() =>
    ports.store.addEvent(incidentId, {
      at,
      kind: 'folded-in',
      text,
      data: {
        findingId: incident.findingId,
        findingType: incident.findingType,
        source: incident.source,
        ...(notKept.length > 0 ? { addressesNotKept: notKept } : {}),
      },
    }),
  );
  await tellThread(record, delta ? text : threadNote(record, text), ports);
  await write(() => ports.store.linkFinding({ findingId: incident.findingId, incidentId }));
  if (delta) return startDelta(record, delta, ports);
  await refreshApproval(record, ports);
  return {
    status: 'linked',
    incidentId,
    incident,
    reason: capReason ?? `folded into open incident ${incidentId}: ${who}`,
    previouslyApplied: [],
  };
}

/**
 * A signal's delta without the addresses no round could act on (`quiet`, named in the timeline and
 * the thread instead): those a Deny never lists and, on a contained incident, those its Deny in
 * place already covers.
 */
async function askable(
  record: IncidentRecord,
  adds: Delta | undefined,
  store: IncidentStore,
  notKept: readonly string[],
): Promise<{ asked: Delta | undefined; quiet: QuietAddress[] }> {
  if (!adds || adds.addresses.length === 0) return { asked: adds, quiet: [] };
  // An address the incident has no room for is in no Deny: named by `addressesNotKept`, never asked.
  const kept = adds.addresses.filter((ip) => !notKept.includes(ip));
  const { real, quiet } = await splitQuiet(record, kept, store);
  return { asked: { ...adds, addresses: real }, quiet };
}

/** The source addresses of a signal the incident had no room for, said in the timeline (its line's data lists them). */
function addressesNotKept(addresses: readonly string[]): string {
  return addresses.length > 0
    ? `. ${addresses.length} source address(es) of this signal are not kept (the incident keeps ${MAX_SIGNAL_SOURCE_IPS}), so no Deny lists them; block them by hand: ${addresses.slice(0, 3).join(', ')}${addresses.length > 3 ? ', …' : ''}`
    : '';
}

/**
 * A retry of the registration whose reopen was written, when the first attempt stopped before its
 * "Folded in" line: the line (at the reopen's time) and its thread message, once. The notes the
 * first attempt would have added (addresses not asked, not kept) are not known any more.
 */
async function foldedLineAgain(
  record: IncidentRecord,
  delta: Delta,
  incident: Incident,
  reopenedAt: string,
  ports: RegisterPorts,
): Promise<void> {
  const events = await ports.store.listEvents(record.incidentId);
  const written = events.some(
    (event) => event.kind === 'folded-in' && event.at >= reopenedAt && event.data?.findingId === incident.findingId,
  );
  if (written) return;
  const source = incident.source === 'guardduty' ? 'GuardDuty' : 'detection';
  const text = `Folded in: ${source} ${incident.findingType} (${incident.findingId}) while it is open; it adds ${describeDelta(delta)}, not yet contained: approval is asked for that delta only`;
  await afterReopen(record.incidentId)(async () => {
    await ports.store.addEvent(record.incidentId, {
      at: reopenedAt,
      kind: 'folded-in',
      text,
      data: { findingId: incident.findingId, findingType: incident.findingType, source: incident.source },
    });
    await tellThread(record, text, ports);
  });
}

/** Runs a write made after a delta's reopen: a failure is logged, not thrown (see `foldInto`). */
function afterReopen(incidentId: string) {
  return async (run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (error) {
      log.warn('write after the delta reopen failed; the delta request is started anyway', {
        incidentId,
        error: (error as Error).name,
      });
    }
  };
}

/**
 * A signal adding something not yet contained to a contained incident: the incident's containment
 * phase runs again for it (re-planned like a re-run, in its thread), where what is in place is
 * confirmed as `already` and only the delta is put to the approvers. The incident is `open` again
 * meanwhile, so later signals fold into this request instead of asking again.
 */
export async function startDelta(record: IncidentRecord, delta: Delta, ports: RegisterPorts) {
  const incident = widened(record, delta);
  const previouslyApplied = await actionsInEffect(record, ports.store);
  const registration: Registration = {
    status: 'open',
    incidentId: record.incidentId,
    incident,
    rerun: true,
    delta: true,
    previousStatus: record.status,
    previousIncidentId: record.previousIncidentId,
    reason: `folded into open incident ${record.incidentId}; it adds ${describeDelta(delta)}: approval asked for that delta`,
    previouslyApplied,
    // Never decided by auto-contain: principals folded in from other signals, or a plan refused
    // in the latest round (still asked again beside the delta, which the approvers now choose from).
    ...(delta.principals?.length || refusedRequest(record) ? { noAutoContain: true as const } : {}),
  };
  return registration;
}

/**
 * Reopens the contained incident for `delta`, conditionally; undefined when another signal did
 * first. The same write records which execution reopened it, from which status, and where the
 * delta's buckets start in the incident it writes (`reopenedBy`, no copy of the delta: see
 * `DeltaReopen`), so a retry of this registration asks for the delta again (`reopenedBefore`).
 */
async function reopen(
  target: IncidentRecord,
  delta: Delta,
  { at, executionName, ports }: { at: string; executionName: string; ports: RegisterPorts },
): Promise<Delta | undefined> {
  const incident = recordedWith(target, delta);
  const reopened = await ports.store.reopenForDelta(target.incidentId, [...DELTA_AFTER], {
    updatedAt: at,
    ...(incident ? { incident } : {}),
    reopenedBy: {
      executionName,
      findingId: delta.findingId ?? '',
      at,
      previousStatus: target.status,
      bucketsFrom: target.incident.buckets.length,
      ...(delta.addresses.length > 0
        ? { addresses: delta.addresses.slice(0, MAX_REOPEN_ADDRESSES), addressCount: delta.addresses.length }
        : {}),
      ...(delta.newKeys?.length ? { newKeys: delta.newKeys } : {}),
    },
  });
  return reopened ? delta : undefined;
}

/**
 * The incident as this registration's own delta reopen found it, and that delta, when this is a
 * retry of it: reopened by this execution for this signal and still `open` (its request not asked
 * yet: asking, deciding and a queued round all move it on). Undefined otherwise.
 */
export function reopenedBefore(
  record: IncidentRecord,
  incident: Incident,
  executionName: string,
): { record: IncidentRecord; delta: Delta } | undefined {
  const by = record.reopenedBy;
  if (record.status !== 'open' || by?.executionName !== executionName || by.findingId !== incident.findingId) {
    return undefined;
  }
  if ((record.decision?.decidedAt ?? '') > by.at) return undefined;
  return { record: { ...record, status: by.previousStatus }, delta: reopenedDelta(record, by) };
}

/** The delta a reopen asked for, read back from the incident it wrote (or, in an older record, its copy). */
function reopenedDelta(record: IncidentRecord, by: DeltaReopen): Delta {
  if (by.delta) return by.delta as unknown as Delta;
  const principals = principalsOf(record.incident).filter(
    (principal) => principal.addedBy?.findingId === by.findingId && principal.addedBy.at === by.at,
  );
  return {
    buckets: record.incident.buckets.slice(by.bucketsFrom ?? record.incident.buckets.length),
    addresses: by.addresses ?? [],
    ...(by.addressCount !== undefined ? { addressCount: by.addressCount } : {}),
    principals,
    findingId: by.findingId,
    at: by.at,
    ...(by.newKeys?.length ? { newKeys: by.newKeys } : {}),
  };
}

export function threadNote(record: IncidentRecord, text: string): string {
  return OPEN_STATUSES.has(record.status)
    ? text
    : `${text}. Incident ${record.incidentId} is ${record.status}: start a re-run with {"incidentId":"${record.incidentId}","rerun":true} if it needs another look.`;
}

/** A line in the incident's Slack thread, when it has one. Best effort: the link is recorded either way. */
export async function tellThread(record: IncidentRecord, text: string, ports: RegisterPorts): Promise<void> {
  if (!record.slack) return;
  try {
    await ports.chat.post({
      channel: record.slack.channel,
      threadTs: record.slack.ts,
      message: { text: mrkdwn(text) },
    });
  } catch (error) {
    log.warn('thread message failed', { incidentId: record.incidentId, error: (error as Error).name });
  }
}
