import type { IncidentRecord, IncidentStatus } from './store/types.js';

/**
 * An incident is open until it is closed, not until it is contained (DESIGN §4): containment is
 * one phase. It closes by a responder's decision (Slack "Close incident", `responder close`) or
 * automatically once `autoCloseAfterMinutes` pass without a new signal.
 */
export const RESOLUTIONS = ['true_positive', 'false_positive', 'benign'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** How an incident was closed: by whom (a Slack user id, a CLI caller or `auto`), when and why. */
export interface Closure {
  readonly at: string;
  readonly by: string;
  /** `auto`: closed after `autoCloseAfterMinutes` without a new signal. */
  readonly resolution: Resolution | 'auto';
  readonly note?: string;
}

/** Seven days: the default for `autoCloseAfterMinutes`. */
export const DEFAULT_AUTO_CLOSE_AFTER_MINUTES = 7 * 24 * 60;

/** Statuses that never hold signals: nothing was responded to (`ignored` is never stored) or the run failed. */
const NEVER_OPEN: ReadonlySet<IncidentStatus> = new Set(['failed']);

/** When the incident last heard of a signal: the latest fold, or its creation. */
export function lastSignalAt(record: IncidentRecord): string {
  return record.lastSignalAt ?? record.createdAt;
}

/**
 * Whether a new signal for one of the incident's principals or buckets folds into it: not closed,
 * not failed, and a signal arrived within `autoCloseAfterMinutes` (an incident past that is closed
 * automatically, whether or not the closing has been recorded yet).
 */
export function isOpen(record: IncidentRecord, now: Date, autoCloseAfterMinutes: number): boolean {
  if (record.closure) return false;
  if (NEVER_OPEN.has(record.status)) return false;
  return now.getTime() - Date.parse(lastSignalAt(record)) < autoCloseAfterMinutes * 60_000;
}
