import { LostUpdate, PolicyTooLarge, UnsafePolicy } from '../errors.js';
import { type PolicyDocument, parsePolicy, type Statement, serializePolicy } from './document.js';
import { droppedStatements, mergeStatements, removeStatements } from './merge.js';
import { type Settle, settleWrite } from './settle.js';
import { assertSafeDeny } from './statements.js';

/** Where a resource policy lives, and its rules (a bucket policy, a VPC endpoint policy). */
export interface PolicySlot {
  /** For messages: `bucket customer-records`, `endpoint vpce-…`. */
  readonly label: string;
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  readonly limit: number;
  /** The size the service counts against `limit` (bytes for S3, characters for VPC endpoints). */
  measure(text: string): number;
  /** What `measure` counts, for messages. Default bytes. */
  readonly unit?: 'bytes' | 'characters';
  /** Refuse a result without any Allow (a deny-only endpoint policy cuts all traffic). */
  readonly mustKeepAllow?: boolean;
}

/** What `patchPolicy` may be told beyond the slot; every field is optional. */
export interface PatchOptions extends Settle {
  /**
   * Whether a statement found under one of our Sids was written by this incident (it may then be
   * rewritten in place). Default: never; a differing statement under our Sid is a `SidConflict`.
   */
  readonly owns?: (existing: Statement) => boolean;
  /**
   * Records the Sids about to be written, after every check passed and before the write, so
   * rollback removes exactly them (and later runs know these statements are ours).
   */
  readonly record?: (sids: string[]) => Promise<unknown>;
  /** Accounts no Deny may name whole by `aws:PrincipalAccount` (home, members, the finding's own). */
  readonly ourAccounts?: readonly string[];
}

export interface PatchOutcome {
  readonly result: 'applied' | 'already';
  readonly size: number;
  /**
   * False when the write succeeded but the re-reads, through every backoff, still showed the exact
   * prior document: AWS is eventually consistent, so this is "applied, not yet visible", not a failure.
   */
  readonly visible: boolean;
}

const ATTEMPTS = 3;

/**
 * The one read-modify-write for resource policies (DESIGN §5): read, merge our Sid-keyed Deny
 * statements, refuse anything unsafe, over the size limit or under a Sid someone else uses before
 * writing, back up the exact prior document (first backup wins), re-read to catch an edit made
 * since, write, and re-read until ours is visible. A re-read that still shows the exact prior
 * document is eventual consistency (wait with bounded backoff, then report it not yet visible);
 * one that shows a third document without ours is a lost update (re-read, re-merge, re-write, up
 * to 3 times, then `LostUpdate`). Other statements, unknown fields, `Version` and the order are kept.
 * Idempotent.
 */
export async function patchPolicy(
  slot: PolicySlot,
  statements: readonly Statement[],
  protectedArns: readonly string[],
  backup: (prior: string | null) => Promise<unknown>,
  options: PatchOptions = {},
): Promise<PatchOutcome> {
  for (const statement of statements) assertSafeDeny(statement, protectedArns, options.ourAccounts);
  const sids = statements.map((statement) => statement.Sid as string);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const before = await slot.read();
    const current = parsePolicy(before, slot.label);
    const { document, changed } = mergeStatements(current, statements, { owns: options.owns, label: slot.label });
    const text = serializePolicy(document);
    const size = slot.measure(text);
    if (changed.length === 0) return { result: 'already', size, visible: true };
    if (size > slot.limit) throw new PolicyTooLarge(slot.label, size, slot.limit, slot.unit);
    if (droppedStatements(current, document, sids).length > 0) {
      throw new LostUpdate(`merge for ${slot.label} would drop an existing statement; nothing was written`);
    }
    if (slot.mustKeepAllow && !hasAllow(document)) {
      throw new UnsafePolicy(`${slot.label}: the result would hold no Allow and cut all traffic; nothing was written`);
    }
    await backup(before ?? null);
    if ((await slot.read()) !== before) continue;
    // Recorded as ours only once the document is known unchanged, just before the write.
    await options.record?.(sids);
    await slot.write(text);
    const seen = await settleWrite(slot, { before, statements }, options);
    if (seen === 'lost') continue;
    return { result: 'applied', size, visible: seen === 'visible' };
  }
  throw new LostUpdate(
    `the policy of ${slot.label} kept changing under us (${ATTEMPTS} attempts); our statement is not in place`,
  );
}

function hasAllow(document: PolicyDocument): boolean {
  return document.Statement.some((statement) => statement.Effect === 'Allow');
}

export interface UnpatchOutcome {
  readonly result: 'applied' | 'already' | 'emptied';
  /** The Sids taken out (none for `already`). */
  readonly removed: string[];
  /** Statements left in the policy written. */
  readonly kept: number;
}

/**
 * The rollback side of `patchPolicy`: removes exactly the listed Sids from the policy as it is now,
 * keeping every other statement, unknown field, the order and `Version` as found. The policy is
 * re-read right before the write; an edit made since the first read means read and remove again
 * (3 attempts, then `LostUpdate`). `emptied`: nothing but ours was left, and nothing was written
 * (the caller decides: a bucket policy is deleted, an endpoint policy is left for a person).
 */
export async function unpatchPolicy(
  slot: Pick<PolicySlot, 'label' | 'read' | 'write'>,
  sids: ReadonlySet<string>,
): Promise<UnpatchOutcome> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const before = await slot.read();
    const current = parsePolicy(before, slot.label);
    const ours = [
      ...new Set(
        (current?.Statement ?? []).flatMap((statement) =>
          statement.Sid !== undefined && sids.has(statement.Sid) ? [statement.Sid] : [],
        ),
      ),
    ];
    if (!current || ours.length === 0) return { result: 'already', removed: [], kept: current?.Statement.length ?? 0 };
    const { document, removed } = removeStatements(current, ours);
    if (document.Statement.length === 0) return { result: 'emptied', removed, kept: 0 };
    if ((await slot.read()) !== before) continue;
    await slot.write(serializePolicy(document));
    return { result: 'applied', removed, kept: document.Statement.length };
  }
  throw new LostUpdate(
    `the policy of ${slot.label} kept changing under us (${ATTEMPTS} attempts); our statements are still in place`,
  );
}
