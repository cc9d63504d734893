import { closeIfStale, type ReportRewriter } from '../shared/close.js';
import { isOpen } from '../shared/lifecycle.js';
import type { ChatPort, Clock } from '../shared/ports.js';
import type { Incident } from '../shared/schemas/incident.js';
import { isManagedAccount, type Settings } from '../shared/schemas/settings.js';
import type { IncidentRecord, IncidentStore, LifecycleStore } from '../shared/store/types.js';
import { correlationKeys, principalKey } from './correlate.js';

/** The cap when the settings do not name one: new incidents per bucket per correlation window. */
export const DEFAULT_MAX_NEW_INCIDENTS_PER_BUCKET = 5;

/** A new signal over the cap: linked into the bucket's latest open incident instead of opening one. */
export interface Capped {
  readonly record: IncidentRecord;
  readonly reason: string;
}

/**
 * Flood control (new incidents per bucket per window): counts the incident about to open for each
 * of its buckets (`CAP#<accountId>#<bucket>`, a conditional counter). When a bucket has had
 * `maxNewIncidentsPerBucket` incidents opened within `correlationWindowMinutes`, the signal is not
 * opened but linked into the latest of them, provided that one is still open; the principal and
 * bucket keys it claimed go to that incident, so later signals of the same caller fold there too.
 * A signal is never dropped: when the latest incident is closed, it opens its own. Only callers
 * outside our managed accounts (and anonymous ones) are capped: an identity of ours always opens
 * its own incident, so a flood cannot hide a compromised key of ours.
 */
export async function capNewIncident(
  args: { incident: Incident; incidentId: string; now: Date; settings: Settings },
  store: IncidentStore,
): Promise<Capped | undefined> {
  // The registration function gets the lifecycle store (clients/store.ts); a plain store counts nothing.
  if (!('countNewIncident' in store)) return undefined;
  // A drill is never counted, so it is never the incident a real signal over the cap is linked into.
  if (args.incident.sample) return undefined;
  // An identity of our own accounts always gets its own incident and its own approval: a flood of
  // throwaway outside principals must never absorb a compromised key or role of ours unasked.
  if (ownIdentity(args.incident, args.settings)) return undefined;
  const counter = store as LifecycleStore;
  const max = args.settings.maxNewIncidentsPerBucket ?? DEFAULT_MAX_NEW_INCIDENTS_PER_BUCKET;
  const windowMinutes = args.settings.correlationWindowMinutes;
  const now = args.now.toISOString();
  for (const bucket of [...new Set(args.incident.buckets)].sort()) {
    const count = await counter.countNewIncident({
      key: `${args.incident.accountId}#${bucket}`,
      incidentId: args.incidentId,
      now,
      windowMinutes,
      max,
    });
    if (count.outcome !== 'capped') continue;
    const latest = await store.getIncident(count.latestIncidentId);
    if (!latest || !isOpen(latest, args.now, args.settings.autoCloseAfterMinutes)) continue;
    const expiresAt = new Date(args.now.getTime() + args.settings.autoCloseAfterMinutes * 60_000).toISOString();
    for (const key of correlationKeys(args.incident)) {
      await store.handOverCorrelation({ key, from: args.incidentId, to: latest.incidentId, expiresAt, now });
    }
    return {
      record: latest,
      reason: `linked into incident ${latest.incidentId}: bucket ${bucket} reached the cap of ${max} new incidents per ${windowMinutes} minutes (window since ${count.windowStart})`,
    };
  }
  return undefined;
}

/** Whether the signal names an identified principal (not anonymous) of one of our managed accounts. */
function ownIdentity(incident: Incident, settings: Settings): boolean {
  const { principal } = incident;
  if (principal.type === 'Anonymous' || !principalKey(incident)) return false;
  return isManagedAccount(settings, principal.accountId ?? incident.accountId, incident.accountId);
}

/**
 * The incident a new one follows (`previousIncidentId`), its automatic closing recorded first when
 * it went `autoCloseAfterMinutes` without a signal and nobody closed it (lazily, before the sweep).
 */
export async function previousIncident(
  previousIncidentId: string,
  settings: Settings,
  ports: { store: IncidentStore; chat: ChatPort; clock: Clock; reports?: ReportRewriter },
): Promise<IncidentRecord | undefined> {
  const previous = await ports.store.getIncident(previousIncidentId);
  if (!previous) return undefined;
  const closed = await closeIfStale(previous, settings.autoCloseAfterMinutes, ports);
  return closed ? { ...previous, closure: closed.closure } : previous;
}
