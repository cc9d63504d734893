import { alreadyClosedText, approvalOnCloseText, type ClosePorts, closeIncident } from '../shared/close.js';
import { sweepStale } from '../shared/close-sweep.js';
import { parseInput } from '../shared/define-task.js';
import type { LifecycleStore } from '../shared/store/types.js';
import { CloseCommand, isCloseCommand } from './schema.js';

export type CloseAnswer =
  | { readonly closed: string[] }
  | {
      readonly incidentId: string;
      readonly state: 'closed' | 'already-closed';
      readonly message: string;
      readonly problems?: readonly string[];
    };

/**
 * The close function: `responder close` (one incident, a person's resolution) or the hourly
 * schedule (every incident past `autoCloseAfterMinutes` without a signal closes as `auto`). Both
 * go through the shared closing core, so a close is recorded once whichever comes first.
 */
export async function runClose(
  input: unknown,
  config: { autoCloseAfterMinutes: number },
  ports: ClosePorts & { store: LifecycleStore },
): Promise<CloseAnswer> {
  if (!isCloseCommand(input)) return { closed: await sweepStale(config.autoCloseAfterMinutes, ports) };
  const command = parseInput('closeIncident', CloseCommand, input);
  const result = await closeIncident(command, ports);
  if (result.state === 'already-closed') {
    return {
      incidentId: command.incidentId,
      state: 'already-closed',
      message: alreadyClosedText(command.incidentId, result.closure),
    };
  }
  return {
    incidentId: command.incidentId,
    state: 'closed',
    message: [
      `Incident ${command.incidentId} closed: ${command.resolution.replace('_', ' ')}.`,
      approvalOnCloseText(result.approval),
    ]
      .filter(Boolean)
      .join(' '),
    ...(result.problems.length > 0 ? { problems: result.problems } : {}),
  };
}
