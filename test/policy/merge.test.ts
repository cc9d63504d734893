import { describe, expect, it } from 'vitest';
import { InvalidPolicyDocument, SidConflict } from '../../handlers/shared/errors.js';
import { parsePolicy, serializePolicy } from '../../handlers/shared/policy/document.js';
import {
  droppedStatements,
  mergeStatements,
  missingSids,
  removeStatements,
} from '../../handlers/shared/policy/merge.js';

const existing = {
  Version: '2012-10-17',
  Id: 'keep-me',
  Statement: [
    {
      Sid: 'A',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::b/*',
      Custom: 'field',
    },
  ],
} as const;
/** `${aws:username}` as text: a variable only under Version 2012-10-17. */
const USERNAME_VARIABLE = '\u0024{aws:username}';
const ours = {
  Sid: 'IR20260223abcdef123456DenyPrincipal',
  Effect: 'Deny' as const,
  Principal: '*',
  Action: 's3:*',
  Resource: '*',
};

describe('mergeStatements', () => {
  it('appends our statement and keeps every other statement, field and their order', () => {
    const { document, changed } = mergeStatements(parsePolicy(JSON.stringify(existing), 'b'), [ours]);

    expect(changed).toEqual([ours.Sid]);
    expect(document).toEqual({ ...existing, Statement: [...existing.Statement, ours] });
  });

  it('is idempotent: merging twice gives one statement and no change', () => {
    const once = mergeStatements(parsePolicy(JSON.stringify(existing), 'b'), [ours]).document;

    const twice = mergeStatements(parsePolicy(serializePolicy(once), 'b'), [ours]);

    expect(twice.changed).toEqual([]);
    expect(twice.document.Statement.filter((statement) => statement.Sid === ours.Sid)).toHaveLength(1);
  });

  it('rewrites a statement this incident wrote in place when it differs, without moving others', () => {
    const first = mergeStatements(undefined, [ours, { ...ours, Sid: 'IROther' }]).document;

    const { document, changed } = mergeStatements(first, [{ ...ours, Action: 's3:GetObject' }], {
      owns: (statement) => statement.Sid === ours.Sid,
    });

    expect(changed).toEqual([ours.Sid]);
    expect(document.Statement.map((statement) => statement.Sid)).toEqual([ours.Sid, 'IROther']);
    expect(document.Statement[0]?.Action).toBe('s3:GetObject');
  });

  it('refuses a differing statement under our Sid that this incident did not write, naming the Sid', () => {
    const theirs = { ...ours, Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::210987654321:root' } };
    const current = parsePolicy(JSON.stringify({ ...existing, Statement: [...existing.Statement, theirs] }), 'b');

    const merge = () => mergeStatements(current, [ours], { label: 'bucket b' });

    expect(merge).toThrow(SidConflict);
    expect(merge).toThrow(/bucket b already holds a statement with Sid IR20260223abcdef123456DenyPrincipal/);
  });

  it('refuses when our Sid is used twice, even if one of them is exactly ours', () => {
    const twice = parsePolicy(JSON.stringify({ Statement: [ours, { ...ours, Action: 's3:GetObject' }] }), 'b');

    expect(() => mergeStatements(twice, [ours], { owns: () => false })).toThrow(SidConflict);
  });

  it('keeps a policy without Version without one, so literal policy-variable text stays literal', () => {
    const literal = {
      Statement: [
        {
          Sid: 'Home',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::b/${USERNAME_VARIABLE}/*`,
        },
      ],
    };

    const { document } = mergeStatements(parsePolicy(JSON.stringify(literal), 'b'), [ours]);

    expect(document).not.toHaveProperty('Version');
    expect(document.Statement).toEqual([...literal.Statement, ours]);
  });

  it('keeps an old Version as found', () => {
    const old = parsePolicy(JSON.stringify({ Version: '2008-10-17', Statement: [] }), 'b');

    expect(mergeStatements(old, [ours]).document.Version).toBe('2008-10-17');
  });

  it('starts a new policy when the bucket has none', () => {
    expect(mergeStatements(undefined, [ours]).document).toEqual({ Version: '2012-10-17', Statement: [ours] });
  });

  it('refuses a statement without a Sid', () => {
    expect(() => mergeStatements(undefined, [{ Effect: 'Deny' }])).toThrow(InvalidPolicyDocument);
  });
});

describe('parsePolicy', () => {
  it('normalizes a single statement object and a JSON-string-encoded policy', () => {
    const single = JSON.stringify({ Version: '2012-10-17', Statement: existing.Statement[0] });

    expect(parsePolicy(single, 'b')?.Statement).toEqual([existing.Statement[0]]);
    expect(parsePolicy(JSON.stringify(single), 'b')?.Statement).toEqual([existing.Statement[0]]);
  });

  it('treats an empty or missing policy as none', () => {
    expect(parsePolicy(undefined, 'b')).toBeUndefined();
    expect(parsePolicy('  ', 'b')).toBeUndefined();
  });

  it.each(['{not json', '[1,2]', '{"Statement":[42]}', '{"Statement":[{"Effect":"Maybe"}]}'])(
    'refuses %s instead of overwriting it',
    (text) => {
      expect(() => parsePolicy(text, 'b')).toThrow(InvalidPolicyDocument);
    },
  );
});

describe('removeStatements and checks', () => {
  it('removes exactly the listed Sids', () => {
    const merged = mergeStatements(parsePolicy(JSON.stringify(existing), 'b'), [ours]).document;

    const { document, removed } = removeStatements(merged, [ours.Sid, 'NotThere']);

    expect(removed).toEqual([ours.Sid]);
    expect(document).toEqual(existing);
  });

  it('reports our missing Sids and dropped third-party statements', () => {
    const before = parsePolicy(JSON.stringify(existing), 'b');
    const after = { ...existing, Statement: [existing.Statement[0]] } as never;

    expect(missingSids(after, [ours.Sid])).toEqual([ours.Sid]);
    expect(droppedStatements(before, after, [ours.Sid])).toEqual([existing.Statement[1]]);
  });
});
