import type { ActionResult, Decision } from '../shared/schemas/plan.js';
import type { IncidentStatus } from '../shared/store/types.js';

/**
 * The incident's final status (contract §10): `contained` only when every approved action ended
 * `applied` or `already`; a failed or refused one makes it `partially_contained`; `skipped` does
 * not. Nothing that could be planned also reads `partially_contained`: nothing was contained.
 */
export function incidentStatus(decision: Decision, applied: readonly ActionResult[]): IncidentStatus {
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
      return failed || unaccounted ? 'partially_contained' : 'contained';
    }
  }
}
