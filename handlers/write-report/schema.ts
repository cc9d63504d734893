import * as z from 'zod';
import { ActionResult, Decision, Plan, PlanItem } from '../shared/schemas/plan.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

/** The Respond state's result: the evidence branch and the decision branch. */
export const Response = z.object({
  evidence: z.record(z.string(), z.unknown()),
  decision: z.object({
    enrichment: z.record(z.string(), z.unknown()),
    /** The plan with `inPlace`: what a later round found still in effect from earlier ones (confirmed, not asked). */
    plan: Plan.extend({ inPlace: z.array(PlanItem).optional() }),
    decision: Decision,
    applied: z.array(ActionResult),
  }),
});
export type Response = z.infer<typeof Response>;

export const WriteReportInput = IncidentTaskInput.extend({
  response: Response.optional(),
  /** Set when the flow failed: the caught error. */
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
}).refine((input) => Boolean(input.response) !== Boolean(input.failure), {
  message: 'exactly one of response and failure is required',
});
export type WriteReportInput = z.infer<typeof WriteReportInput>;
