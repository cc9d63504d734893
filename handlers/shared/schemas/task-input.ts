import * as z from 'zod';
import { Incident } from './incident.js';
import { Settings } from './settings.js';

/** What every task after registration receives. */
export const IncidentTaskInput = z.object({
  incidentId: z.string().regex(/^\d{8}-[0-9a-f]{12}$/, 'must be an incident id'),
  incident: Incident,
  settings: Settings,
});
export type IncidentTaskInput = z.infer<typeof IncidentTaskInput>;

/** An enrichment source that could not answer, and why. The flow goes on without it. */
export const Unavailable = z.object({
  status: z.literal('unavailable'),
  reason: z.string(),
  error: z.string().optional(),
});
export type Unavailable = z.infer<typeof Unavailable>;

/** Runs one lookup; on failure returns `{status:'unavailable', reason}` instead of throwing. */
export async function attempt<T>(lookup: () => Promise<T>): Promise<T | Unavailable> {
  try {
    return await lookup();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { status: 'unavailable', reason: e.message, error: e.name };
  }
}

export function isUnavailable(value: unknown): value is Unavailable {
  return typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'unavailable';
}

/** An enrichment or evidence answer when it is `{status:'ok', …}`; undefined when unavailable or missing. */
export function ok<T>(value: unknown): T | undefined {
  return typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'ok'
    ? (value as T)
    : undefined;
}
