import type { ActionResult, Decision, PlanItem } from '../shared/schemas/plan.js';
import type { IncidentStatus } from '../shared/store/types.js';

/** The statuses that say something is contained: what a later refused request leaves in force. */
export type ContainmentStatus = 'contained' | 'partially_contained';

/** Outcomes in which nothing of the request was approved. */
const REFUSED: ReadonlySet<Decision['outcome']> = new Set(['denied', 'expired', 'withdrawn']);

/**
 * The incident's final status (contract §10): `contained` only when every approved action ended
 * `applied` or `already`; a failed or refused one makes it `partially_contained`; `skipped` does
 * not. Nothing that could be planned also reads `partially_contained`: nothing was contained.
 *
 * `held` is the status of what earlier rounds contained when it is still in place (a delta, a
 * queued round or a re-run of a contained incident): a request of this round that is denied,
 * expires or is withdrawn leaves that containment in force, so the status stays `held` (the report
 * says the request was refused). Without anything in place, a refused request is `denied`/`expired`.
 * `lapsed` are the plan's items an earlier round applied whose effect was removed since: an
 * approval that leaves one of them out leaves less in force than before, so at most `partially_contained`.
 */
export function incidentStatus(
  decision: Decision,
  applied: readonly ActionResult[],
  held?: ContainmentStatus,
  lapsed: readonly PlanItem[] = [],
): IncidentStatus {
  if (held && REFUSED.has(decision.outcome)) return held;
  switch (decision.outcome) {
    case 'denied':
    // Closing withdrew the request: nothing was approved (contract §10), and the report says why.
    case 'withdrawn':
      return 'denied';
    case 'expired':
      return 'expired';
    case 'dry-run':
      return 'planned';
    case 'nothing-to-approve':
      return 'partially_contained';
    case 'approved': {
      if (decision.approvedPlan.length === 0) return 'partially_contained';
      const failed = applied.some((result) => result.result === 'failed');
      const unaccounted = decision.approvedPlan.some(
        (item) => !applied.some((result) => result.action === item.action && result.target === item.target),
      );
      const leftOut = lapsed.some(
        (item) =>
          !decision.approvedPlan.some((chosen) => chosen.action === item.action && chosen.target === item.target),
      );
      return failed || unaccounted || leftOut ? 'partially_contained' : 'contained';
    }
  }
}

/** Whether a status says something is contained (what `lastContainmentStatus` records). */
export function isContainment(status: IncidentStatus): status is ContainmentStatus {
  return status === 'contained' || status === 'partially_contained';
}
