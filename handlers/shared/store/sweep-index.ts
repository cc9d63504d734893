/**
 * The sweep index: a sparse global secondary index of the incident table that holds exactly the
 * incident records the close sweep may act on. Its partition key, `sweep`, is on an incident record
 * while it is not closed, or closed with its report's closing part pending (`closureReportPending`),
 * and on no other item. Every write that creates, closes or reopens an incident, or clears the
 * pending mark, sets or removes it in that same write, so it cannot drift from the record.
 *
 * Keys only are projected: the sweep reads each incident it finds again, consistently, before it
 * acts (an index is eventually consistent), so the index holds no copy of a record and an update
 * of the record writes nothing to it unless the key itself changes.
 */
export const SWEEP_INDEX = 'sweep';
/** The index's partition key attribute. */
export const SWEEP_ATTRIBUTE = 'sweep';
/** Its one value: the index is read with one Query, all pages. */
export const SWEEP_VALUE = 'INCIDENT';

/**
 * Incident records written before the index lack `sweep`: until the table is marked migrated, the
 * sweep reads the incident records with a filtered Scan and adds `sweep` where it is missing. The
 * mark is set once scans have found nothing to add for this long, more than a function invocation
 * can last (15 minutes), so a function still running the earlier code during a deployment cannot
 * write an incident without `sweep` after the mark. A table used by an earlier version after it
 * was marked needs the mark deleted: the sweep then scans again until it is set anew.
 */
export const SWEEP_MIGRATION_SETTLE_MINUTES = 30;

/** The item that records the migration: `cleanSince` (the first of the scans in a row that found nothing to add), then `migratedAt`. */
export const SWEEP_MIGRATION_KEY = { pk: 'MIGRATION#sweep-index', sk: 'MIGRATION' } as const;

/** The `sweep` attribute an incident record carries, as it is after a write: there exactly while the sweep may act on it. */
export function sweepAttribute(record: { readonly closure?: unknown; readonly closureReportPending?: boolean }): {
  sweep?: typeof SWEEP_VALUE;
} {
  return !record.closure || record.closureReportPending ? { [SWEEP_ATTRIBUTE]: SWEEP_VALUE } : {};
}
