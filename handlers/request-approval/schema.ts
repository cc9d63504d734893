import { z } from 'zod';
import { Plan } from '../shared/schemas/plan.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

export const RequestApprovalInput = IncidentTaskInput.extend({
  /** Step Functions task token: stored, never shown, never logged. */
  taskToken: z.string().min(1).max(2048),
  plan: Plan.extend({ count: z.number().int() }),
  enrichment: z.record(z.string(), z.unknown()),
});
export type RequestApprovalInput = z.infer<typeof RequestApprovalInput>;
