import { InvalidPolicyDocument, SidConflict } from '../errors.js';
import { emptyPolicy, type PolicyDocument, type Statement, sameJson } from './document.js';

export interface MergeResult {
  readonly document: PolicyDocument;
  /** Sids appended or rewritten. Empty means the document already held exactly these statements. */
  readonly changed: string[];
}

export interface MergeOptions {
  /**
   * Whether a statement found under one of our Sids (and different from ours) is one this incident
   * wrote earlier, so it may be rewritten in place (a re-run with a newer plan, a Deny extended to
   * more principals). Default: never, so a differing statement under our Sid is a `SidConflict`.
   */
  readonly owns?: (existing: Statement) => boolean;
  /** For messages: `bucket customer-records`. */
  readonly label?: string;
}

/**
 * Merges our Sid-keyed statements into a policy: a statement whose Sid is already present is left
 * alone when it is exactly ours, rewritten in place when `owns` says this incident wrote it, and
 * otherwise refused with `SidConflict` (someone else's statement, never overwritten); a new one is
 * appended. Every other statement, every unknown field and the order are kept, `Version` included:
 * a policy without one stays without (adding `2012-10-17` would turn literal `${…}` text in others'
 * statements into policy variables). Only a new policy gets `2012-10-17`. Idempotent.
 */
export function mergeStatements(
  current: PolicyDocument | undefined,
  ours: readonly Statement[],
  options: MergeOptions = {},
): MergeResult {
  const base = current ?? emptyPolicy();
  const statements = [...base.Statement];
  const changed: string[] = [];
  const conflicts: string[] = [];
  for (const statement of ours) {
    const sid = statement.Sid;
    if (!sid) throw new InvalidPolicyDocument('a statement we write must have a Sid');
    const matches = statements.flatMap((existing, index) => (existing.Sid === sid ? [index] : []));
    if (matches.length === 0) {
      statements.push(statement);
      changed.push(sid);
      continue;
    }
    const theirs = matches.filter((index) => {
      const existing = statements[index] as Statement;
      return !sameJson(existing, statement) && !options.owns?.(existing);
    });
    if (theirs.length > 0 || matches.length > 1) {
      conflicts.push(sid);
      continue;
    }
    const index = matches[0] as number;
    if (!sameJson(statements[index], statement)) {
      statements[index] = statement;
      changed.push(sid);
    }
  }
  if (conflicts.length > 0) throw new SidConflict(options.label ?? 'the policy', conflicts);
  return { document: { ...base, Statement: statements }, changed };
}

export interface RemoveResult {
  readonly document: PolicyDocument;
  readonly removed: string[];
}

/** Removes exactly the statements whose Sid is listed; everything else is kept as it is. */
export function removeStatements(current: PolicyDocument | undefined, sids: readonly string[]): RemoveResult {
  if (!current) return { document: emptyPolicy(), removed: [] };
  const wanted = new Set(sids);
  const removed: string[] = [];
  const statements = current.Statement.filter((statement) => {
    if (statement.Sid !== undefined && wanted.has(statement.Sid)) {
      removed.push(statement.Sid);
      return false;
    }
    return true;
  });
  return { document: { ...current, Statement: statements }, removed };
}

/** Sids of ours that are missing from a document (used to detect a lost update after a write). */
export function missingSids(document: PolicyDocument | undefined, sids: readonly string[]): string[] {
  const present = new Set((document?.Statement ?? []).map((statement) => statement.Sid));
  return sids.filter((sid) => !present.has(sid));
}

/** Statements of `before` that are absent from `after` (ignoring ours): a dropped third-party statement. */
export function droppedStatements(before: PolicyDocument | undefined, after: PolicyDocument, ours: readonly string[]) {
  const own = new Set(ours);
  return (before?.Statement ?? []).filter(
    (statement) =>
      !(statement.Sid !== undefined && own.has(statement.Sid)) &&
      !after.Statement.some((candidate) => sameJson(candidate, statement)),
  );
}
