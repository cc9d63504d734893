import fc from 'fast-check';
import {
  BUCKET_POLICY_LIMIT_BYTES,
  byteSize,
  type Statement,
  sameJson,
  VPCE_POLICY_LIMIT_CHARS,
} from '../../handlers/shared/policy/document.js';
import type { patchPolicy } from '../../handlers/shared/policy/patch.js';
import { bucketDenyStatement, endpointDenyStatements } from '../../handlers/shared/policy/statements.js';
import { hostileString, NAMED_ERRORS, UNICODE } from './support.js';

/**
 * The patcher property: for any existing resource policy (hostile, huge, malformed), patching our
 * Deny statements in either writes once a valid policy that keeps every existing statement
 * unchanged and in order (save one of ours from before, by Sid), every top-level field, and stays
 * within the limit; or writes nothing and throws a named error. Judged by reading the policies
 * independently of the patcher (only `sameJson` is shared), so a broken merge cannot hide.
 */

export type Patch = typeof patchPolicy;

const IR_ROLE = 'arn:aws:iam::123456789012:role/IncidentResponder';
const ATTACKER = 'arn:aws:iam::123456789012:user/developer-jane';
export const SID = 'IR20260223abcdef012345DenyPrincipal';

const BUCKET_OURS: Statement[] = [
  bucketDenyStatement({
    sid: SID,
    bucket: 'customer-records',
    partition: 'aws',
    principalArns: [ATTACKER],
    exemptArns: [IR_ROLE],
  }),
];
const ENDPOINT_OURS: Statement[] = endpointDenyStatements({
  sidPrefix: 'IR20260223abcdef012345',
  principalArns: [ATTACKER],
  allowedAccounts: ['123456789012'],
  exemptArns: [IR_ROLE],
});

export type Target = 'bucket' | 'endpoint';

const sid = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
  fc.constantFrom(...UNICODE, SID, `${SID} `, 'IR20260223abcdef012345DataPerimeter', ''),
  hostileString,
);
const arn = fc.constantFrom(ATTACKER, IR_ROLE, 'arn:aws:iam::999999999999:root', '*');

export const statement: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    Sid: sid,
    Effect: fc.constantFrom('Allow', 'Deny'),
    Principal: fc.oneof(fc.constant('*'), fc.record({ AWS: fc.oneof(arn, fc.array(arn, { maxLength: 3 })) })),
    Action: fc.oneof(
      fc.constantFrom('s3:GetObject', 's3:*', '*'),
      fc.array(fc.constantFrom('s3:GetObject', 's3:PutObject')),
    ),
    Resource: fc.constantFrom('*', 'arn:aws:s3:::customer-records/*', ['arn:aws:s3:::customer-records']),
    Condition: fc.dictionary(
      fc.constantFrom('StringEquals', 'IpAddress', 'Bool', 'ArnNotLike'),
      fc.dictionary(fc.constantFrom('aws:SourceIp', 'aws:PrincipalArn', 's3:prefix'), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 2,
      }),
      { maxKeys: 2 },
    ),
    'x-unknown': fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['Effect'] },
);

const policy = fc.record(
  {
    Version: fc.constantFrom('2012-10-17', '2008-10-17', 'not-a-version'),
    Id: fc.oneof(hostileString, fc.constant('customer-records-policy')),
    Statement: fc.oneof(
      { weight: 4, arbitrary: fc.array(statement, { maxLength: 8 }) },
      { weight: 1, arbitrary: statement },
    ),
    Comment: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['Statement'] },
);

/** A policy padded with an unknown field to exactly `bytes` bytes (when it fits). */
function padded(document: Record<string, unknown>, bytes: number): string {
  const base = JSON.stringify({ ...document, Padding: '' });
  return JSON.stringify({ ...document, Padding: 'p'.repeat(Math.max(0, bytes - byteSize(base))) });
}

/** The text GetBucketPolicy/DescribeVpcEndpoints would answer (undefined: no policy). */
export const existingText: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: policy.map((document) => JSON.stringify(document)) },
  { weight: 1, arbitrary: policy.map((document) => JSON.stringify(JSON.stringify(document))) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(policy, fc.constantFrom(20_480, 20_479, 20_000, 19_000, 21_000))
      .map(([document, bytes]) => padded(document, bytes)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        policy.map((document) => JSON.stringify(document)),
        fc.nat(),
      )
      .map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(policy, fc.constantFrom(null, 1, 'Allow', [], [[]], { Effect: 'allow' }, { Sid: 'x' }), fc.nat())
      .map(([document, bad, at]) => {
        const list = Array.isArray(document.Statement) ? [...document.Statement] : [document.Statement];
        list.splice(at % (list.length + 1), 0, bad as never);
        return JSON.stringify({ ...document, Statement: list });
      }),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      hostileString,
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(undefined, '', '   ', 'null', '{}', '{"Statement":null}', '{"Statement":{}}'),
  },
);

/** Statements as stored: parsed with plain JSON, unwrapping a JSON string, `Statement` an object or an array. */
function storedStatements(
  text: string | undefined,
): { fields: Record<string, unknown>; statements: unknown[] } | undefined {
  if (text === undefined || text.trim() === '') return { fields: {}, statements: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
    while (typeof value === 'string') value = value.trim() === '' ? {} : JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { Statement: raw, ...fields } = value as Record<string, unknown>;
  return { fields, statements: raw === undefined ? [] : Array.isArray(raw) ? raw : [raw] };
}

/** What patching did (`applied`, `already` or the error's name), and what was wrong with it (empty: the property holds). */
export async function patch(
  apply: Patch,
  before: string | undefined,
  target: Target,
  staleReads = 0,
): Promise<{ outcome: string; problems: string[]; visible?: boolean }> {
  let outcome = 'threw';
  let visible: boolean | undefined;
  const problems = await patchProblems(
    apply,
    before,
    target,
    (value, seen) => {
      outcome = value;
      visible = seen;
    },
    staleReads,
  );
  return { outcome, problems, visible };
}

/**
 * Patches `before` through an in-memory slot and judges the result. `staleReads`: how many reads
 * after the write still answer the document from before it (eventual consistency).
 */
async function patchProblems(
  patch: Patch,
  before: string | undefined,
  target: Target,
  report: (outcome: string, visible?: boolean) => void,
  staleReads: number,
): Promise<string[]> {
  let stored = before;
  let staleLeft = 0;
  const writes: string[] = [];
  const ours = target === 'bucket' ? BUCKET_OURS : ENDPOINT_OURS;
  const limit = target === 'bucket' ? BUCKET_POLICY_LIMIT_BYTES : VPCE_POLICY_LIMIT_CHARS;
  const measure = target === 'bucket' ? byteSize : (text: string) => text.length;
  const slot = {
    label: `${target} corpus`,
    read: async () => {
      if (staleLeft === 0) return stored;
      staleLeft -= 1;
      return before;
    },
    write: async (text: string) => {
      writes.push(text);
      stored = text;
      staleLeft = staleReads;
    },
    limit,
    measure,
    mustKeepAllow: target === 'endpoint',
  };
  let result: Awaited<ReturnType<Patch>>;
  try {
    result = await patch(slot, ours, [IR_ROLE], async () => undefined, { sleep: async () => undefined });
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    report(name);
    const problems = NAMED_ERRORS.has(name) ? [] : [`threw ${name}: ${(error as Error).message?.slice(0, 200)}`];
    if (writes.length > 0) problems.push(`threw ${name} after writing`);
    return problems;
  }
  report(result.result, result.visible);
  if (result.result === 'already') return writes.length === 0 ? [] : ['answered already after writing'];
  if (writes.length !== 1) return [`applied with ${writes.length} writes`];
  const original = storedStatements(before);
  const written = storedStatements(writes[0]);
  if (!original) return ['wrote over a stored policy that is not a policy'];
  if (!written || !Array.isArray(JSON.parse(writes[0] as string).Statement))
    return ['wrote something that is not a policy'];
  const problems: string[] = [];
  const sids = new Set(ours.map((entry) => entry.Sid));
  const kept = original.statements.filter((entry) => !sids.has((entry as { Sid?: string }).Sid ?? ''));
  const others = written.statements.filter((entry) => !sids.has((entry as { Sid?: string }).Sid ?? ''));
  if (others.length !== kept.length) problems.push(`${kept.length} existing statements, ${others.length} kept`);
  kept.forEach((entry, index) => {
    if (!sameJson(others[index], entry)) problems.push(`existing statement ${index} changed, moved or dropped`);
  });
  for (const entry of ours) {
    if (!written.statements.some((candidate) => sameJson(candidate, entry))) problems.push(`${entry.Sid} is missing`);
  }
  for (const [field, value] of Object.entries(original.fields)) {
    if (!sameJson(written.fields[field], value)) problems.push(`top-level ${field} changed`);
  }
  // Version is kept as found: only a new policy (none stored) gets one.
  const fresh = before === undefined || before.trim() === '';
  for (const field of Object.keys(written.fields)) {
    if (!(field in original.fields) && !(fresh && field === 'Version')) problems.push(`top-level ${field} added`);
  }
  const size = measure(writes[0] as string);
  if (size > limit) problems.push(`${size} over the ${limit} limit`);
  return problems;
}

/** The property over generated policies, for a given patcher. */
export function patcherProperty(apply: Patch, seen?: (input: unknown) => void) {
  return fc.asyncProperty(existingText, fc.constantFrom<Target>('bucket', 'endpoint'), async (before, target) => {
    seen?.([before, target]);
    const { problems } = await patch(apply, before, target);
    if (problems.length > 0) throw new Error(`${problems.join('; ')}\nbefore: ${before?.slice(0, 300)}`);
  });
}
