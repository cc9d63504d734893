import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DetectOutput, detectCommand } from '../../cli/commands/detect.js';
import { writeCloudTrailArchive } from '../../examples/src/cloudtrail-archive.js';
import { alarmStateChange, apiCallEvent, mixedDetectionRecords } from '../../examples/src/detection-records.js';
import { random } from '../../examples/src/records.js';
import { ATTACKER, copy, dataEvent, HOME, REGION } from '../support/detections.js';

/**
 * `detect` over many files reads and scans them on worker threads and runs the detectors on the
 * main thread in file order. Whatever the records, that must print exactly what reading on one
 * thread prints: the same detections in the same order, the same skipped parts, the same exit.
 */

/** Files of up to 256 KB of text go to the threads; a larger one is read by the main thread in its turn. */
const THREAD_FILE_BYTES = 256 * 1024;

/** `detect` with `--threads <threads>` (0: the main thread reads every file). */
async function detect(args: string[], threads: number) {
  const out: string[] = [];
  const err: string[] = [];
  const output: DetectOutput = { out: (text) => out.push(text), err: (text) => err.push(text), terminal: false };
  const code = await detectCommand([...args, '--threads', String(threads)], output, THREAD_FILE_BYTES);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));

/**
 * Records as an attacker might write them, as raw JSON text: names spelled with escapes, extra
 * whitespace, keys out of order, a key given twice (the last counts), a `__proto__` key.
 */
function craftedText(): string {
  const escaped = JSON.stringify(copy({ eventTime: '2026-03-04T03:00:00Z' })).replace(
    '"eventName":"CopyObject"',
    '"eventName":"\\u0043opyObject"',
  );
  const spaced = JSON.stringify(copy({ eventTime: '2026-03-04T03:01:00Z' }), null, 7).replace(/":/g, '"  :\n\t');
  const reordered = JSON.stringify(
    Object.fromEntries(Object.entries(copy({ eventTime: '2026-03-04T03:02:00Z' })).reverse()),
  );
  const twice = JSON.stringify(copy({ eventTime: '2026-03-04T03:03:00Z' })).replace(
    '"eventName":"CopyObject"',
    '"eventName":"GetObject","eventName":"CopyObject"',
  );
  const hidden = JSON.stringify(copy({ eventTime: '2026-03-04T03:04:00Z' })).replace(
    '"eventName":"CopyObject"',
    '"eventName":"CopyObject","eventName":"GetObject"',
  );
  const proto = JSON.stringify(dataEvent({ ip: '203.0.113.77' })).replace(
    '"eventVersion"',
    '"__proto__":{"eventName":"CopyObject","polluted":true},"eventVersion"',
  );
  const anonymousEscaped = JSON.stringify(dataEvent({ ip: '203.0.113.78' })).replace(
    '"principalId":"anonymous"',
    '"principalId":"\\u0061nonymous"',
  );
  return `{"Records":[${[escaped, spaced, reordered, twice, hidden, proto, anonymousEscaped].join(',\n')}]}`;
}

/** An archive of many files, crafted records and malformed parts among them. */
function archive(): string {
  const root = mkdtempSync(join(tmpdir(), 'responder-threads-'));
  const { records } = mixedDetectionRecords(2_400);
  writeCloudTrailArchive(root, chunks(records, 100));
  writeFileSync(join(root, 'b-crafted.json'), craftedText());
  writeFileSync(join(root, 'c-crafted.json.gz'), gzipSync(craftedText()));
  const next = random(16);
  const alarm = alarmStateChange({
    account: HOME,
    region: REGION,
    alarmName: 'S3ExfilResponder-BulkDownload-customer-records',
    namespace: 'S3ExfilResponder',
    metricName: 'GetObjectRequests',
    value: 'ALARM',
    timestamp: '2026-03-04T04:00:00.000Z',
    datapoint: 5000,
    threshold: 1000,
    eventId: 'c4e9d3a1-7b2f-4c3e-9d8a-1f2e3d4c5b6a',
  });
  const lines = [
    JSON.stringify(copy({ eventTime: '2026-03-04T04:01:00Z' })),
    '{"eventName": "CopyObject",',
    JSON.stringify({ ...copy({ eventTime: '2026-03-04T04:02:00Z' }), eventTime: 17 }),
    JSON.stringify(
      apiCallEvent(
        copy({ eventTime: '2026-03-04T04:03:00Z', destination: { bucket: 'drop-b', key: 'k', account: ATTACKER } }),
        next,
      ),
    ),
    JSON.stringify(alarm),
    JSON.stringify([dataEvent({ ip: '203.0.113.90' }), [{ eventName: 'X' }]]),
    JSON.stringify({
      ...copy({ eventTime: '2026-03-04T04:04:00Z' }),
      recipientAccountId: 'not-an-account',
      userIdentity: {},
    }),
    '42',
  ];
  writeFileSync(join(root, 'd-mixed.ndjson'), lines.join('\n'));
  // Over the threads' 256 KB: read by the main thread, between files the threads read.
  writeFileSync(
    join(root, 'e-large.ndjson'),
    [...lines, ...records.slice(0, 300).map((record) => JSON.stringify(record))].join('\n'),
  );
  writeFileSync(join(root, 'a-empty.json'), '');
  return root;
}

describe('responder detect --threads', () => {
  const root = archive();
  const args = [root, '--trusted-accounts', mixedDetectionRecords(1).trustedAccounts.join(',')];

  it('prints the same detections, skipped parts and exit code as reading on one thread', async () => {
    const one = await detect(args, 0);
    const many = await detect(args, 2);

    expect(many).toEqual(one);
    const detections = JSON.parse(one.stdout) as {
      rule: string;
      incident: { firstSeen: string; sourceIps: string[] };
    }[];
    const rules = detections.map((entry) => entry.rule);
    const copies = detections.filter((entry) => entry.rule === 'cross-account-copy');
    // 3 in the mixed records; in each crafted file the escaped, spaced, reordered and twice-named
    // copies, not the one whose last eventName is GetObject; 2 in the NDJSON (the others are
    // malformed, make no valid incident, or repeat an event id already reported).
    expect(copies).toHaveLength(3 + 2 * 4 + 2);
    expect(copies.map((entry) => entry.incident.firstSeen)).not.toContain('2026-03-04T03:04:00.000Z');
    const anonymousSources = detections.filter((entry) => entry.rule === 'anonymous-rare-source');
    expect(anonymousSources.flatMap((entry) => entry.incident.sourceIps)).toEqual(
      expect.arrayContaining(['203.0.113.77', '203.0.113.78']),
    );
    expect(rules).toContain('bulk-download');
    expect(one.stderr).toMatch(/^skipped 11 malformed parts of the input \(the first 10\):\n/);
    expect(one.stderr).toContain('d-mixed.ndjson line 3: eventTime: Invalid input: expected string, received number');
    expect(one.stderr).toContain('a-empty.json: (input): not valid JSON: ');
  });

  it('stops at the same malformed part with --strict', async () => {
    const paths = ['AWSLogs', 'b-crafted.json', 'd-mixed.ndjson', 'e-large.ndjson'].map((name) => join(root, name));
    const strict = [...paths, ...args.slice(1), '--strict'];

    const one = await detect(strict, 0).catch((caught: Error) => caught);
    const many = await detect(strict, 1).catch((caught: Error) => caught);

    expect(one).toMatchObject({ name: 'InvalidFinding', message: expect.stringContaining('d-mixed.ndjson line 2)') });
    expect(many).toMatchObject({ name: 'InvalidFinding', message: (one as Error).message });
  });
});

describe('responder detect --threads, the value', () => {
  it('refuses a value that is not a number of threads from 0 to 16 with a usage error', async () => {
    const output: DetectOutput = { out: () => undefined, err: () => undefined, terminal: false };

    const refusals = await Promise.all(
      [['--threads'], ['--threads', 'two'], ['--threads', '-1'], ['--threads', '17'], ['--threads', '1.5']].map(
        (flags) => detectCommand(['.', ...flags], output).catch((error: Error) => error),
      ),
    );

    for (const refusal of refusals) {
      expect(refusal).toMatchObject({
        name: 'UsageError',
        message: expect.stringMatching(/^--threads needs a number/),
      });
    }
  });
});
