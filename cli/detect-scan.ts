import { type Item, itemsOf, type Malformed, mayFire, recordItem, recordMayFire } from '../handlers/detect/dispatch.js';
import { InvalidFinding } from '../handlers/shared/errors.js';
import { isCloudTrailRecord } from '../handlers/shared/schemas/cloudtrail.js';
import type { Piece } from './detect-input.js';

/**
 * What `detect` does with one JSON value of a file: its items in order, where a run of well-formed
 * records no rule can fire on (`mayFire` false: the detectors would return nothing and change no
 * state) is only counted. A record that may fire and each malformed part stay, in their place.
 */
export type Entry = number | Item | Malformed;

/** One piece of a file, scanned: its line (line-by-line files), and why it is not JSON or what it holds. */
export type Scan =
  | { readonly line?: number; readonly error: InvalidFinding }
  | { readonly line?: number; readonly entries: readonly Entry[] };

export function scanPiece(piece: Piece): Scan {
  if ('error' in piece) return { line: piece.line, error: piece.error };
  const records = recordsOf(piece.value);
  return { line: piece.line, entries: records !== undefined ? scanRecords(records) : generalEntries(piece.value) };
}

/**
 * The general path, for any JSON value: every item of `itemsOf` in order, a run of those `mayFire`
 * refuses counted. A CloudTrail log file's records give the same entries through `scanRecords`.
 */
export function generalEntries(value: unknown): Entry[] {
  const entries: Entry[] = [];
  let quiet = 0;
  for (const item of itemsOf(value)) {
    if (!('error' in item) && !mayFire(item)) {
      quiet += 1;
      continue;
    }
    if (quiet > 0) entries.push(quiet);
    quiet = 0;
    entries.push(item);
  }
  if (quiet > 0) entries.push(quiet);
  return entries;
}

/** The records of a `{"Records":[…]}` document (a CloudTrail log file), else undefined. */
function recordsOf(value: unknown): readonly unknown[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('Records' in value)) return undefined;
  const { Records } = value as { Records: unknown };
  return Array.isArray(Records) ? Records : undefined;
}

/**
 * The entries `itemsOf` and `mayFire` give a `{"Records":[…]}` document, without the item (and its
 * path) of a quiet record: nearly every record of an archive is one.
 */
function scanRecords(records: readonly unknown[]): Entry[] {
  const entries: Entry[] = [];
  let quiet = 0;
  for (let index = 0; index < records.length; index += 1) {
    const value = records[index];
    if (!isCloudTrailRecord(value) || recordMayFire(value)) {
      const item = recordItem(value, `Records[${index}]`);
      if ('error' in item || mayFire(item)) {
        if (quiet > 0) entries.push(quiet);
        quiet = 0;
        entries.push(item);
        continue;
      }
    }
    quiet += 1;
  }
  if (quiet > 0) entries.push(quiet);
  return entries;
}

/**
 * An `InvalidFinding` as data, to cross to another thread (a structured clone keeps neither the
 * class nor `path`), and back: the same path and the same message.
 */
export interface ErrorData {
  readonly path: string;
  readonly message: string;
}

export const errorData = (error: InvalidFinding): ErrorData => ({ path: error.path, message: error.message });

export function fromErrorData({ path, message }: ErrorData): InvalidFinding {
  return new InvalidFinding(path, path ? message.slice(path.length + 2) : message);
}

/** A scan as plain data: records and alarms as they are (JSON values clone exactly), errors as `ErrorData`. */
export type ScanData =
  | { readonly line?: number; readonly error: ErrorData }
  | {
      readonly line?: number;
      readonly entries: readonly (number | Item | { readonly path: string; readonly error: ErrorData })[];
    };

export function scanData(scan: Scan): ScanData {
  if ('error' in scan) return { line: scan.line, error: errorData(scan.error) };
  return {
    line: scan.line,
    entries: scan.entries.map((entry) =>
      typeof entry === 'object' && 'error' in entry ? { path: entry.path, error: errorData(entry.error) } : entry,
    ),
  };
}

export function fromScanData(data: ScanData): Scan {
  if ('error' in data) return { line: data.line, error: fromErrorData(data.error) };
  return {
    line: data.line,
    entries: data.entries.map((entry) =>
      typeof entry === 'object' && 'error' in entry ? { path: entry.path, error: fromErrorData(entry.error) } : entry,
    ),
  };
}
