import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../support/detections.js';
import { guardDutyEvent, ROOT } from '../support/fixtures.js';
import { setPath } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, NAMED_ERRORS, ONE_MB } from './support.js';

/**
 * `responder normalize` and `responder detect` on bad files, as an engineer would run them: exit
 * 2, nothing on stdout, and one line on stderr naming the error and the problem. The processes run
 * side by side (each starts tsx, which takes a second or two).
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.cli));

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'corpus-cli-'));

async function responder(command: string, content: string, name: string) {
  distinct.add([command, content]);
  const path = join(dir, name);
  writeFileSync(path, content);
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'cli/responder.ts', command, path], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const event = guardDutyEvent();
const deepArrays = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

const CASES: [string, 'normalize' | 'detect', string, RegExp][] = [
  ['truncated JSON', 'normalize', JSON.stringify(event).slice(0, 300), /^InvalidFinding: \(input\): not valid JSON/],
  ['an empty file', 'normalize', '', /^InvalidFinding: \(input\): not valid JSON/],
  ['a 1 MB string', 'normalize', JSON.stringify(ONE_MB), /^InvalidFinding: expected a JSON object/],
  [
    'a unicode bucket name',
    'normalize',
    JSON.stringify(setPath(event, 'detail.resource.s3BucketDetails.0.name', 'bücket-日本')),
    /^InvalidFinding: detail\.resource\.s3BucketDetails\[0\]\.name: must be a valid S3 bucket name/,
  ],
  [
    'an API finding with arrays nested 10,000 deep',
    'normalize',
    `{"Id":"x","Type":"Exfiltration:S3/X","Resource":${deepArrays}}`,
    /^InvalidFinding: /,
  ],
  [
    'NDJSON with no good line',
    'detect',
    `{"eventName": "CopyObject",\n${JSON.stringify(copy()).slice(0, 120)}\n`,
    /^InvalidFinding: \(input\): not valid JSON: .*\(in .*line 1; 1 more unreadable\)/,
  ],
  [
    'truncated JSON',
    'detect',
    JSON.stringify({ Records: [copy()] }).slice(0, 200),
    /^InvalidFinding: \(input\): not valid JSON/,
  ],
  ['a 1 MB string', 'detect', JSON.stringify(ONE_MB), /^InvalidFinding: \(input\): /],
  ['arrays nested 10,000 deep', 'detect', deepArrays, /^InvalidFinding: .*arrays nested more than 8 deep/],
  [
    'a record with eventTime a number',
    'detect',
    JSON.stringify({ ...copy(), eventTime: 1 }),
    /^InvalidFinding: eventTime: /,
  ],
];

describe('the CLI on bad files: exit 2 and one line naming the problem', () => {
  let results: Awaited<ReturnType<typeof responder>>[] = [];
  beforeAll(async () => {
    results = await Promise.all(
      CASES.map(([label, command, content]) =>
        responder(command, content, `${command}-${label.replaceAll(/\W+/g, '-')}.json`),
      ),
    );
  });

  it.each(CASES.map((entry, index) => [...entry, index] as const))(
    'responder %s… (%s)',
    (_label, _command, _content, message, index) => {
      const { code, stdout, stderr } = results[index] as Awaited<ReturnType<typeof responder>>;

      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(NAMED_ERRORS.has(stderr.slice(0, stderr.indexOf(':')))).toBe(true);
      expect(code).toBe(2);
    },
  );
});
