import * as z from 'zod';
import { approvalOnCloseText, type ClosePorts, closeIncident, MAX_CLOSE_NOTE } from '../handlers/shared/close.js';
import { InvalidScenario } from '../handlers/shared/errors.js';
import { resolutionLabel } from '../handlers/shared/render/closure.js';

/**
 * A scenario step that closes an incident, as `responder close` does in a deployment:
 * `{"close": {"incidentId": "@1", "resolution": "false-positive", "note": "…"}}` (`@<n>`: the
 * incident the n-th event opened or was linked to; or a literal incident id).
 */
export const CloseStep = z.strictObject({
  incidentId: z.string().min(1),
  resolution: z.enum(['true-positive', 'false-positive', 'benign']),
  note: z.string().max(MAX_CLOSE_NOTE, `must be at most ${MAX_CLOSE_NOTE} characters`).optional(),
  /** Who closes; default `cli:local`. */
  by: z.string().min(1).max(200).optional(),
  /**
   * When the responder closes (ISO 8601). Without it the step waits its turn after the previous
   * event's execution; with it, it arrives at that time like a signal, so a close within an
   * approval's wait comes while the approval is pending (and withdraws it).
   */
  at: z.iso.datetime().optional(),
});
export type CloseStep = z.infer<typeof CloseStep>;

/** The close step of a scenario event, checked (InvalidScenario naming the field), or undefined for any other event. */
export function closeStepOf(event: unknown, index: number): CloseStep | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const keys = Object.keys(event);
  if (keys.length !== 1 || keys[0] !== 'close') return undefined;
  const parsed = CloseStep.safeParse((event as { close: unknown }).close);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidScenario(
      [`events[${index}].close`, ...(issue?.path ?? []).map(String)].join('.'),
      issue?.message ?? 'invalid close step',
    );
  }
  return parsed.data;
}

/**
 * The incident a step names: `@<n>` resolved against the earlier events' incidents (an event still
 * running, waiting for its approval, counts once it has registered its incident).
 */
export function resolveIncidentId(
  reference: string,
  index: number,
  incidents: readonly { incidentId: string | null }[],
): string {
  const match = /^@(\d+)$/.exec(reference);
  if (!match) return reference;
  const incidentId = Number(match[1]) <= index ? incidents[Number(match[1]) - 1]?.incidentId : undefined;
  if (!incidentId) {
    throw new InvalidScenario(
      `events[${index}].close.incidentId`,
      `${match[0]} names no incident: it must refer to an earlier event that opened or linked one`,
    );
  }
  return incidentId;
}

/** Runs a close step through the shared closing core: the same record, thread message and report rewrite as in AWS. */
export async function runCloseStep(
  step: CloseStep,
  incidentId: string,
  ports: ClosePorts,
): Promise<{ status: string; reason: string }> {
  const resolution = step.resolution.replace('-', '_') as 'true_positive' | 'false_positive' | 'benign';
  const result = await closeIncident(
    { incidentId, by: step.by ?? 'cli:local', resolution, ...(step.note ? { note: step.note } : {}) },
    ports,
  );
  const record = await ports.store.getIncident(incidentId);
  const reason =
    result.state === 'closed'
      ? [
          `closed by ${result.closure.by}: ${resolutionLabel(result.closure.resolution)}`,
          approvalOnCloseText(result.approval),
        ]
          .filter(Boolean)
          .join('. ')
      : `already closed (${resolutionLabel(result.closure.resolution)}, by ${result.closure.by} at ${result.closure.at}); nothing changed`;
  return { status: record?.status ?? 'failed', reason };
}
