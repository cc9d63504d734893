import type { Incident } from '../shared/schemas/incident.js';
import type { ActionResult } from '../shared/schemas/plan.js';
import { knownSourceIps } from '../shared/source-ip-deny.js';
import type { IncidentRecord, IncidentStatus, IncidentStore } from '../shared/store/types.js';

/**
 * Statuses after which a folded-in signal that adds something not yet contained asks for just that
 * delta: containment has run and put something in place. While the containment phase runs (an
 * approval pending), a signal folds into it instead (its addresses are taken when it is applied),
 * so a flood never produces a stream of approvals.
 */
export const DELTA_AFTER: ReadonlySet<IncidentStatus> = new Set(['contained', 'partially_contained']);

/** The incident schema's bound on `sourceIps`. */
export const MAX_INCIDENT_SOURCE_IPS = 1000;

/** What a signal adds to an incident: buckets it does not name, and (anonymous) addresses it does not know. */
export interface Delta {
  readonly buckets: string[];
  readonly addresses: string[];
}

/** The delta a signal brings to the incident it folds into; undefined when it adds nothing. */
export function deltaOf(target: IncidentRecord, incident: Incident): Delta | undefined {
  const buckets = [...new Set(incident.buckets)].filter((bucket) => !target.incident.buckets.includes(bucket));
  const known = new Set(knownSourceIps(target));
  const addresses =
    incident.principal.type === 'Anonymous' ? [...new Set(incident.sourceIps)].filter((ip) => !known.has(ip)) : [];
  return buckets.length > 0 || addresses.length > 0 ? { buckets, addresses } : undefined;
}

/** The incident as its next plan sees it: its buckets with the delta's, every address it knows. */
export function widened(record: IncidentRecord, delta?: Delta): Incident {
  const buckets = [...record.incident.buckets, ...(delta?.buckets ?? [])];
  const addresses = record.signalSourceIps?.length ? knownSourceIps(record) : record.incident.sourceIps;
  return {
    ...record.incident,
    buckets,
    sourceIps: addresses.slice(0, MAX_INCIDENT_SOURCE_IPS),
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
  if (delta.buckets.length > 0) parts.push(`bucket(s) ${delta.buckets.join(', ')}`);
  if (delta.addresses.length > 0) {
    const shown = delta.addresses.slice(0, 3).join(', ');
    parts.push(
      `source address(es) ${shown}${delta.addresses.length > 3 ? ` and ${delta.addresses.length - 3} more` : ''}`,
    );
  }
  return parts.join(' and ');
}
