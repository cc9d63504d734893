import { InvalidPolicyDocument } from '../errors.js';

/** One IAM policy statement. Unknown fields are kept as they are. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

/** A resource policy (bucket or VPC endpoint). `Statement` is always an array here. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
  [field: string]: unknown;
}

/** Service limits on stored policy size (DESIGN §5). */
export const BUCKET_POLICY_LIMIT_BYTES = 20 * 1024;
export const VPCE_POLICY_LIMIT_CHARS = 20_480;

/**
 * Parses a stored policy. Accepts the forms AWS returns and people write: a JSON string, a single
 * statement object instead of an array. Returns undefined for "no policy". Throws
 * `InvalidPolicyDocument` for anything that is not a policy, so nothing is ever written over it.
 */
export function parsePolicy(text: string | undefined, target: string): PolicyDocument | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidPolicyDocument(`policy of ${target} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value === 'string') return parsePolicy(value, target);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidPolicyDocument(`policy of ${target} is not a JSON object`);
  }
  // Comparing and serializing recurse: a document nested thousands deep would overflow the stack.
  if (nestedDeeperThan(value, MAX_POLICY_DEPTH)) {
    throw new InvalidPolicyDocument(
      `policy of ${target} nests deeper than ${MAX_POLICY_DEPTH} levels: not an IAM policy`,
    );
  }
  const doc = value as Record<string, unknown>;
  const raw = doc.Statement;
  const statements = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  statements.forEach((statement, index) => {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
      throw new InvalidPolicyDocument(`policy of ${target}: Statement[${index}] is not an object`);
    }
    const effect = (statement as Record<string, unknown>).Effect;
    if (effect !== 'Allow' && effect !== 'Deny') {
      throw new InvalidPolicyDocument(`policy of ${target}: Statement[${index}].Effect must be Allow or Deny`);
    }
  });
  return { ...doc, Statement: statements as Statement[] };
}

/** The policy grammar nests a handful of levels (document, Statement, Condition, operator, key, values). */
const MAX_POLICY_DEPTH = 32;

/** Whether a parsed JSON value holds objects or arrays more than `limit` levels deep (iteratively). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Serializes compactly: AWS stores what it is given and counts its size, so whitespace costs. */
export function serializePolicy(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** UTF-8 size in bytes (bucket policy limit). */
export function byteSize(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A fresh, empty policy in the current language version. */
export function emptyPolicy(): PolicyDocument {
  return { Version: '2012-10-17', Statement: [] };
}

/** Structural equality of two JSON values, ignoring object key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonical(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The values of a string-or-array policy field as an array. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
