import { LostUpdate, PolicyTooLarge, UnsafePolicy } from '../errors.js';
import { type PolicyDocument, parsePolicy, type Statement, serializePolicy } from './document.js';
import { droppedStatements, mergeStatements, missingSids } from './merge.js';
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
  /** Refuse a result without any Allow (a deny-only endpoint policy cuts all traffic). */
  readonly mustKeepAllow?: boolean;
}

const ATTEMPTS = 3;

/**
 * The one read-modify-write for resource policies (DESIGN §5): read, merge our Sid-keyed Deny
 * statements, refuse anything unsafe or over the size limit before writing, back up the exact prior
 * document (first backup wins), re-read to catch an edit made since, write, and re-read to catch a
 * write that lost ours. Other statements, unknown fields and the order are kept. Idempotent.
 */
export async function patchPolicy(
  slot: PolicySlot,
  statements: readonly Statement[],
  protectedArns: readonly string[],
  backup: (prior: string | null) => Promise<unknown>,
): Promise<{ result: 'applied' | 'already'; size: number }> {
  for (const statement of statements) assertSafeDeny(statement, protectedArns);
  const sids = statements.map((statement) => statement.Sid as string);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const before = await slot.read();
    const current = parsePolicy(before, slot.label);
    const { document, changed } = mergeStatements(current, statements);
    const text = serializePolicy(document);
    const size = slot.measure(text);
    if (changed.length === 0) return { result: 'already', size };
    if (size > slot.limit) throw new PolicyTooLarge(slot.label, size, slot.limit);
    if (droppedStatements(current, document, sids).length > 0) {
      throw new LostUpdate(`merge for ${slot.label} would drop an existing statement; nothing was written`);
    }
    if (slot.mustKeepAllow && !hasAllow(document)) {
      throw new UnsafePolicy(`${slot.label}: the result would hold no Allow and cut all traffic; nothing was written`);
    }
    await backup(before ?? null);
    if ((await slot.read()) !== before) continue;
    await slot.write(text);
    const after = parsePolicy(await slot.read(), slot.label);
    if (missingSids(after, sids).length === 0) return { result: 'applied', size };
  }
  throw new LostUpdate(
    `the policy of ${slot.label} kept changing under us (${ATTEMPTS} attempts); our statement is not in place`,
  );
}

function hasAllow(document: PolicyDocument): boolean {
  return document.Statement.some((statement) => statement.Effect === 'Allow');
}
