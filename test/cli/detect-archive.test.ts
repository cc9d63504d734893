import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DetectOutput, detectCommand } from '../../cli/commands/detect.js';
import { piecesOf } from '../../cli/detect-input.js';
import { writeCloudTrailArchive, writeDigest } from '../../examples/src/cloudtrail-archive.js';
import { mixedDetectionRecords } from '../../examples/src/detection-records.js';
import { copy, dataEvent } from '../support/detections.js';

function capture(terminal = false) {
  const out: string[] = [];
  const err: string[] = [];
  const output: DetectOutput = { out: (text) => out.push(text), err: (text) => err.push(text), terminal };
  return { output, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function detect(args: string[], terminal = false) {
  const io = capture(terminal);
  const code = await detectCommand(args, io.output);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'responder-archive-'));
const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));

describe('responder detect over CloudTrail archives', () => {
  const { records, trustedAccounts, expected } = mixedDetectionRecords(3_000);
  const total = Object.values(expected).reduce((sum, count) => sum + count, 0);
  const trusted = ['--trusted-accounts', trustedAccounts.join(',')];

  it('gives the same detections for the archive as CloudTrail delivers it and for NDJSON of the same records', async () => {
    const root = tempDir();
    const files = writeCloudTrailArchive(root, chunks(records, 250));
    writeDigest(root, '123456789012', 'us-east-1', '2026-03-04');
    const ndjson = join(root, 'records.ndjson');
    writeFileSync(ndjson, records.map((record) => JSON.stringify(record)).join('\n'));

    const archive = await detect([join(root, 'AWSLogs'), ...trusted]);
    const lines = await detect([ndjson, ...trusted]);

    expect(files).toHaveLength(12);
    expect(archive).toMatchObject({ code: 0, stderr: '' });
    expect(lines).toMatchObject({ code: 0, stderr: '' });
    const counts: Record<string, number> = {};
    for (const { rule } of JSON.parse(archive.stdout) as { rule: string }[]) counts[rule] = (counts[rule] ?? 0) + 1;
    expect(counts).toEqual(expected);
    expect(expected).toEqual({ 'cross-account-copy': 3, 'external-kms-copy': 3, 'anonymous-rare-source': 20 });
    expect(archive.stdout).toBe(lines.stdout);
  });

  it('reads .gz of NDJSON, a plain {"Records"} file, a bare record and an EventBridge event alike', async () => {
    const root = tempDir();
    const sample = records.slice(0, 1_200);
    writeFileSync(join(root, 'a.ndjson.gz'), gzipSync(sample.map((record) => JSON.stringify(record)).join('\n')));
    writeFileSync(join(root, 'b.json'), JSON.stringify({ Records: sample }, null, 2));
    const event = { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: copy() };
    writeFileSync(join(root, 'c.json'), JSON.stringify(event));
    writeFileSync(join(root, 'notes.txt'), 'not read: a walk reads .json, .ndjson, .jsonl and their .gz');

    const each = await Promise.all(['a.ndjson.gz', 'b.json'].map((name) => detect([join(root, name), ...trusted])));
    const all = await detect([root, ...trusted]);

    expect(each[0]?.stdout).toBe(each[1]?.stdout);
    const rules = (JSON.parse(all.stdout) as { rule: string }[]).map((entry) => entry.rule);
    expect(rules.filter((rule) => rule === 'cross-account-copy')).toHaveLength(3);
    expect(all).toMatchObject({ code: 0, stderr: '' });
  });

  it('prints one detection a line as found with --ndjson', async () => {
    const root = tempDir();
    writeCloudTrailArchive(root, chunks(records, 1_000));

    const { code, stdout } = await detect([root, '--ndjson', ...trusted]);
    const array = await detect([root, ...trusted]);

    const lines = stdout.trimEnd().split('\n');
    expect(code).toBe(0);
    expect(lines).toHaveLength(total);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(JSON.parse(array.stdout));
  });

  it('shows files, records, records/s and detections on a terminal only, and leaves the line clear', async () => {
    const root = tempDir();
    writeCloudTrailArchive(root, chunks(records, 1_000));

    const terminal = await detect([root, ...trusted], true);
    const pipe = await detect([root, ...trusted], false);

    expect(terminal.stderr).toMatch(/files 3\/3 · records 3,000 · [\d,]+ records\/s · detections 26/);
    expect(terminal.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(pipe.stderr).toBe('');
    expect(terminal.stdout).toBe(pipe.stdout);
  });
});

describe('responder detect on a batch with malformed parts', () => {
  function batch(): { root: string; good: string; bad: string } {
    const root = tempDir();
    const good = join(root, 'a-good.json');
    writeFileSync(good, JSON.stringify({ Records: [copy()] }));
    const lines = [
      JSON.stringify(dataEvent()),
      '{"eventName": "CopyObject",',
      JSON.stringify({ ...copy(), eventTime: 17 }),
      JSON.stringify({ Records: [dataEvent(), { ...dataEvent(), eventSource: undefined }] }),
    ];
    const bad = join(root, 'b-mixed.ndjson');
    writeFileSync(bad, lines.join('\n'));
    return { root, good, bad };
  }

  it('skips each malformed record, reports how many and where with the reason, and exits 0', async () => {
    const { root, bad } = batch();

    const { code, stdout, stderr } = await detect([root]);

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { rule: string }[]).map((entry) => entry.rule)).toEqual([
      'cross-account-copy',
      'anonymous-rare-source',
    ]);
    expect(stderr.split('\n')).toEqual([
      'skipped 3 malformed parts of the input:',
      expect.stringMatching(new RegExp(`^  ${bad} line 2: \\(input\\): not valid JSON: `)),
      `  ${bad} line 3: eventTime: Invalid input: expected string, received number`,
      `  ${bad} line 4: Records[1].eventSource: is required`,
      '',
    ]);
  });

  it('lists the first 10 and counts them all', async () => {
    const root = tempDir();
    const file = join(root, 'many.json');
    writeFileSync(
      file,
      JSON.stringify({ Records: [copy(), ...Array.from({ length: 25 }, () => ({ eventName: 'X' }))] }),
    );

    const { code, stderr } = await detect([file]);

    const lines = stderr.trimEnd().split('\n');
    expect(code).toBe(0);
    expect(lines[0]).toBe('skipped 25 malformed parts of the input (the first 10):');
    expect(lines.slice(1)).toEqual(
      Array.from({ length: 10 }, (_, index) => `  ${file}: Records[${index + 1}].eventTime: is required`),
    );
  });

  it('stops at the first malformed part with --strict: exit 2 naming the file and line', async () => {
    const { root, bad } = batch();

    await expect(detect([root, '--strict'])).rejects.toMatchObject({
      name: 'InvalidFinding',
      message: expect.stringMatching(new RegExp(`^\\(input\\): not valid JSON: .* \\(in ${bad} line 2\\)$`)),
    });
  });

  it('names a truncated .gz and keeps what it read before', async () => {
    const root = tempDir();
    const whole = gzipSync([copy(), dataEvent()].map((record) => JSON.stringify(record)).join('\n'));
    writeFileSync(join(root, 'cut.ndjson.gz'), whole.subarray(0, whole.length - 12));
    mkdirSync(join(root, 'more'));
    writeFileSync(join(root, 'more', 'fine.json'), JSON.stringify(dataEvent()));

    const { code, stdout, stderr } = await detect([root]);

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { rule: string }[]).map((entry) => entry.rule)).toEqual([
      'cross-account-copy',
      'anonymous-rare-source',
    ]);
    expect(stderr).toContain(`cut.ndjson.gz: (input): cannot read the rest of the file: unexpected end of file`);
    expect(readFileSync(join(root, 'more', 'fine.json'), 'utf8')).toContain('GetObject');
  });
});

describe('reading a file too large to read whole', () => {
  const read = async (file: string, wholeFileBytes?: number) => {
    const pieces: unknown[] = [];
    for await (const piece of piecesOf(file, wholeFileBytes)) {
      pieces.push('error' in piece ? { error: piece.error.message, line: piece.line } : piece);
    }
    return pieces;
  };

  it('streams NDJSON line by line and a document whole, with the same values and errors as a whole read', async () => {
    const root = tempDir();
    const ndjson = join(root, 'lines.ndjson.gz');
    const lines = [JSON.stringify(copy()), '', '{"eventName": ', JSON.stringify({ Records: [dataEvent()] })];
    writeFileSync(ndjson, gzipSync(`${lines.join('\r\n')}\n`));
    const pretty = join(root, 'pretty.json');
    writeFileSync(pretty, JSON.stringify({ Records: [copy(), dataEvent()] }, null, 2));
    const broken = join(root, 'broken.json');
    writeFileSync(broken, '{"Records": [\n{"eventName": "X"\n');

    for (const file of [ndjson, pretty, broken]) {
      const streamed = await read(file, 0);

      expect(streamed).toEqual(await read(file));
      expect(streamed.length).toBeGreaterThan(0);
    }
    expect((await read(ndjson, 0)).map((piece) => (piece as { line?: number }).line)).toEqual([1, 3, 4]);
  });
});
