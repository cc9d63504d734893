import type { Clock } from './ports.js';
import type { ActionResult } from './schemas/plan.js';
import type { IncidentStore } from './store/types.js';

const VERB: Record<ActionResult['result'], string> = {
  applied: 'done',
  already: 'already in place',
  failed: 'failed',
  skipped: 'skipped',
};

/** Records an action's outcome on the incident (its result and a timeline line) and returns it. */
export async function recordAction(
  ports: { store: IncidentStore; clock: Clock },
  incidentId: string,
  result: Omit<ActionResult, 'at'>,
  text: string,
): Promise<ActionResult> {
  const at = ports.clock.now().toISOString();
  const recorded: ActionResult = { ...result, at };
  await ports.store.recordAction(incidentId, recorded);
  await ports.store.addEvent(incidentId, {
    at,
    kind: 'action',
    text: `${text}: ${VERB[result.result]}${result.detail ? ` (${result.detail})` : ''}`,
    data: { action: result.action, target: result.target, result: result.result },
  });
  return recorded;
}
