import * as z from 'zod';
import { MAX_CLOSE_NOTE } from '../shared/close.js';
import { RESOLUTIONS } from '../shared/lifecycle.js';

/** `responder close` invokes the function with this: one incident, closed by a person. */
export const CloseCommand = z.strictObject({
  incidentId: z.string().regex(/^\d{8}-[0-9a-f]{12}$/, 'must be an incident id (YYYYMMDD-<12 hex>)'),
  resolution: z.enum(RESOLUTIONS),
  note: z.string().max(MAX_CLOSE_NOTE, `must be at most ${MAX_CLOSE_NOTE} characters`).optional(),
  by: z.string().min(1).max(200),
});
export type CloseCommand = z.infer<typeof CloseCommand>;

/**
 * What the function is invoked with: a close command, or anything else from the EventBridge
 * schedule (a `Scheduled Event`), which runs the auto-close sweep.
 */
export function isCloseCommand(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'incidentId' in input;
}
