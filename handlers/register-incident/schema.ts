import { z } from 'zod';
import { Incident } from '../shared/schemas/incident.js';
import { Settings } from '../shared/schemas/settings.js';

export const RegisterIncidentInput = z.object({
  /** The execution input as it arrived: an EventBridge event, a bare finding, or the API form. */
  event: z.unknown(),
  settings: Settings,
  executionName: z.string().min(1).max(80),
});
export type RegisterIncidentInput = z.infer<typeof RegisterIncidentInput>;

export const Registration = z.object({
  status: z.enum(['open', 'linked', 'ignored']),
  incidentId: z.string().optional(),
  incident: Incident.optional(),
  reason: z.string().optional(),
});
export type Registration = z.infer<typeof Registration>;
