import * as z from 'zod';
import { ActionId, ActionResult } from '../shared/schemas/plan.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

export const PlanContainmentInput = IncidentTaskInput.extend({
  /** Each enrichment task's output, or `{status:'unavailable', reason}`. */
  enrichment: z.record(z.string(), z.unknown()),
  /** The playbook's containment actions, in order. */
  contain: z.array(ActionId).min(1),
  /** A re-run: the actions earlier runs applied (registration's `previouslyApplied`). */
  previouslyApplied: z.array(ActionResult).default([]),
});
export type PlanContainmentInput = z.infer<typeof PlanContainmentInput>;
