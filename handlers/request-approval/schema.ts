import * as z from 'zod';
import { Plan, PlanItem } from '../shared/schemas/plan.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

export const RequestApprovalInput = IncidentTaskInput.extend({
  /** Step Functions task token: stored, never shown, never logged. */
  taskToken: z.string().min(1).max(2048),
  /** The items to decide on; `inPlace`: what a re-run found still in effect (shown, not asked). */
  plan: Plan.extend({ count: z.number().int(), inPlace: z.array(PlanItem).default([]) }),
  enrichment: z.record(z.string(), z.unknown()),
  /** The execution (`$$.Execution.Id`), for the console link in the message. */
  executionArn: z.string().max(2048).optional(),
  /** `$$.Execution.Name` and `$$.Execution.RedriveCount`: the attempt the approval is keyed by. */
  executionName: z.string().min(1).max(80).optional(),
  redriveCount: z.number().int().min(0).optional(),
});
export type RequestApprovalInput = z.infer<typeof RequestApprovalInput>;
