import * as z from 'zod';
import { Incident } from '../shared/schemas/incident.js';
import { ActionResult } from '../shared/schemas/plan.js';
import { Settings } from '../shared/schemas/settings.js';

export const RegisterIncidentInput = z.object({
  /**
   * The execution input as it arrived: an EventBridge event, a bare finding, the API form, a
   * finding reference, a re-run or a detection (`handlers/shared/schemas/execution-input.ts`).
   */
  event: z.unknown(),
  settings: Settings,
  executionName: z.string().min(1).max(80),
  /** `$$.Execution.Id`: the account and Region a finding reference is fetched in by default. */
  executionArn: z.string().max(2048).optional(),
  /** For `{incidentId, queued: true}` from the playbook: the delta rounds this execution asked already. */
  deltaRound: z.number().int().min(0).max(10_000).optional(),
});
export type RegisterIncidentInput = z.infer<typeof RegisterIncidentInput>;

export const Registration = z.object({
  status: z.enum(['open', 'linked', 'ignored']),
  incidentId: z.string().optional(),
  incident: Incident.optional(),
  reason: z.string().optional(),
  /** A re-run of a registered incident (`{incidentId, rerun: true}`). */
  rerun: z.boolean().optional(),
  /**
   * A signal folded into a contained incident that adds something not yet contained (another
   * bucket, another address): the incident's containment runs again for that delta only. The
   * signal's own outcome is still `linked`.
   */
  delta: z.boolean().optional(),
  /**
   * The end of a containment phase taking the incident's queue (`{incidentId, queued: true}`):
   * `open` when a delta was queued while the request was pending and is asked now.
   */
  queued: z.boolean().optional(),
  /**
   * A request the timeout policy's auto-contain never decides: a delta that adds principals the
   * incident did not hold (`autoContainSeverity` was met by another principal's signal), or a
   * queued round asked after a denied or expired request.
   */
  noAutoContain: z.literal(true).optional(),
  /** For a re-run: the incident's status before it. */
  previousStatus: z.string().optional(),
  /** A new incident that follows an earlier one for the same principal and bucket. */
  previousIncidentId: z.string().optional(),
  /**
   * For a re-run: the actions that took effect in earlier runs (and were not rolled back since).
   * Planning confirms them as in place without asking again. Always present (empty otherwise), so
   * the state machine can pass it on.
   */
  previouslyApplied: z.array(ActionResult),
});
export type Registration = z.infer<typeof Registration>;
