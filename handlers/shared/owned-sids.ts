import { systemTimer } from './clock.js';
import type { Statement } from './policy/document.js';
import type { PatchOptions } from './policy/patch.js';
import type { Timer } from './ports.js';
import type { IncidentStore, UndoEntry, UndoKind } from './store/types.js';

/** The Sids an incident recorded writing into one target's policy (its `UNDO#` entry's `sids`). */
export function recordedSids(entries: readonly UndoEntry[], kind: UndoKind, target: string): Set<string> {
  const entry = entries.find((candidate) => candidate.kind === kind && candidate.target === target);
  return new Set(entry?.sids ?? []);
}

/**
 * What a task tells the patcher about ownership and waiting, for one target of one incident.
 *
 * A statement under one of our Sids is ours, and may be rewritten in place, only when this incident
 * recorded writing that Sid into this target. The Sid is recorded after the merge has checked that
 * no statement we did not write uses it and before the write, so a recorded Sid never names someone
 * else's statement. Anything else under our Sid is someone else's: a `SidConflict`, nothing written.
 */
export async function patchOptions(
  ports: { store: IncidentStore; timer?: Timer },
  incidentId: string,
  kind: UndoKind,
  target: string,
): Promise<PatchOptions> {
  const ours = recordedSids(await ports.store.listUndo(incidentId), kind, target);
  const timer = ports.timer ?? systemTimer;
  return {
    owns: (existing: Statement) => existing.Sid !== undefined && ours.has(existing.Sid),
    record: (sids) => ports.store.addUndoSids(incidentId, kind, target, sids),
    sleep: (milliseconds) => timer.sleep(milliseconds),
  };
}

/** The words the report and the timeline use for a write AWS has not shown yet. */
export const NOT_YET_VISIBLE = 'applied, not yet visible: AWS had not shown the change when last re-read';
