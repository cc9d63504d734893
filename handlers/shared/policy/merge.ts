import { InvalidPolicyDocument } from '../errors.js';
import { emptyPolicy, type PolicyDocument, type Statement, sameJson } from './document.js';

export interface MergeResult {
  readonly document: PolicyDocument;
  /** Sids appended or rewritten. Empty means the document already held exactly these statements. */
  readonly changed: string[];
}

/**
 * Merges our Sid-keyed statements into a policy: a statement whose Sid is already present is
 * rewritten in place only if it differs; a new one is appended. Every other statement, every
 * unknown field and the order are kept. Running it twice yields the same document.
 */
export function mergeStatements(current: PolicyDocument | undefined, ours: readonly Statement[]): MergeResult {
  const base = current ?? emptyPolicy();
  const statements = [...base.Statement];
  const changed: string[] = [];
  for (const statement of ours) {
    const sid = statement.Sid;
    if (!sid) throw new InvalidPolicyDocument('a statement we write must have a Sid');
    const index = statements.findIndex((existing) => existing.Sid === sid);
    if (index === -1) {
      statements.push(statement);
      changed.push(sid);
    } else if (!sameJson(statements[index], statement)) {
      statements[index] = statement;
      changed.push(sid);
    }
  }
  const version = base.Version ?? '2012-10-17';
  return { document: { ...base, Version: version, Statement: statements }, changed };
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
