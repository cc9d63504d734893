import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { detectCommand } from '../cli/commands/detect.js';
import { textOfBytes } from '../cli/detect-input.js';
import { writeCloudTrailArchive } from '../examples/src/cloudtrail-archive.js';
import { mixedDetectionRecords } from '../examples/src/detection-records.js';
import { bundleResponderCli } from '../infra/bundling/responder-cli.js';

const PER_FILE = 1_000;
/** Distinct batches of records; a larger archive repeats them under other file names. */
const DISTINCT_FILES = 160;

export interface DetectBench {
  readonly records: number;
  readonly files: number;
  readonly detections: number;
  /** In-process, same files: a bare gunzip + JSON.parse pass, and `detect`; records/s by wall and by CPU time. */
  readonly readRecordsPerSecond: number;
  readonly detectRecordsPerSecond: number;
  readonly wallRatio: number;
  readonly cpuRatio: number;
  /** Reading and gunzipping the same files alone, on one thread, nothing parsed: the most one thread reading .json.gz can reach. */
  readonly gunzipRecordsPerSecond: number;
  /**
   * `JSON.parse` alone of the same files' text, already read, inflated and decoded (only the parse is
   * timed): with the inflating above, the floor of what any full parse of the records costs on one thread.
   */
  readonly parseOnlyRecordsPerSecond: number;
  /**
   * The same records written uncompressed (`.json`): `detect` over them, and a bare read + `JSON.parse`
   * that decodes the text as `detect` does (byte for byte when it is ASCII), so the difference is
   * what detecting costs apart from decompressing.
   */
  readonly plainDetectRecordsPerSecond: number;
  readonly plainReadRecordsPerSecond: number;
  readonly plainWallRatio: number;
  readonly plainCpuRatio: number;
  /** From the command line, start-up included (median wall ms), and the bundled CLI's peak RSS. */
  readonly bareScriptMs: number;
  readonly bundledCliMs: number;
  readonly tsxCliMs: number;
  readonly cliRatio: number;
  readonly peakRssMb: number;
  /** The bundled CLI with `--threads 2` (files read on two worker threads), its ratio to the bare script and peak RSS. */
  readonly threadsCliMs: number;
  readonly threadsCliRatio: number;
  readonly threadsPeakRssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function measure<T>(run: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = run();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, value };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** The baseline: each file read, gunzipped and parsed, nothing else. */
function bareRead(files: string[]): number {
  let records = 0;
  for (const file of files) {
    records += (JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { Records: unknown[] }).Records.length;
  }
  return records;
}

/** Each file read and gunzipped into one buffer the size its trailer gives (as `detect` does), nothing else. */
function gunzipOnly(files: string[]): number {
  let bytes = 0;
  for (const file of files) {
    const raw = readFileSync(file);
    bytes += gunzipSync(raw, { chunkSize: raw.readUInt32LE(raw.length - 4) + 1 }).length;
  }
  return bytes;
}

/** Milliseconds spent in `JSON.parse` alone over the files' text (read, inflated and decoded untimed). */
function parseOnly(files: string[]): number {
  let ms = 0;
  for (const file of files) {
    const text = textOfBytes(gunzipSync(readFileSync(file)));
    const start = performance.now();
    JSON.parse(text);
    ms += performance.now() - start;
  }
  return ms;
}

/** The baseline for uncompressed files: each read and parsed, its text decoded as `detect` decodes it. */
function plainRead(files: string[]): number {
  let records = 0;
  for (const file of files) {
    records += (JSON.parse(textOfBytes(readFileSync(file))) as { Records: unknown[] }).Records.length;
  }
  return records;
}

/** The files under `from` written uncompressed under `to`, at the same paths without `.gz`. */
function writeUncompressed(from: string, files: string[], to: string): string[] {
  return files.map((file) => {
    const plain = join(to, relative(from, file)).replace(/\.gz$/, '');
    mkdirSync(dirname(plain), { recursive: true });
    writeFileSync(plain, gunzipSync(readFileSync(file)));
    return plain;
  });
}

async function timeDetect(args: string[]): Promise<{ ms: number; cpuMs: number; detections: number }> {
  let printed = '';
  const capture = { out: (text: string) => (printed += text), err: () => undefined, terminal: false };
  const cpu = process.cpuUsage();
  const start = performance.now();
  await detectCommand(args, capture);
  const used = process.cpuUsage(cpu);
  return {
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    detections: (JSON.parse(printed) as unknown[]).length,
  };
}

function wallOf(args: string[]): { ms: number; stdout: string; stderr: string } {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms: performance.now() - start, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `responder detect` over a CloudTrail archive of `count` real-shaped mixed records (1,000 a
 * `.json.gz` file, written to a temporary folder and removed after), against a bare gunzip +
 * `JSON.parse` of the same files: in-process (median of `runs`, alternating), and from the command
 * line with start-up (a bare `node` script, the bundled CLI, the same with `--threads 2`, the CLI
 * under tsx), with the bundled CLI's peak RSS.
 */
export async function benchDetect(count = 160_000, runs = 3): Promise<DetectBench> {
  const root = mkdtempSync(join(tmpdir(), 'bench-detect-'));
  const plainRoot = mkdtempSync(join(tmpdir(), 'bench-detect-plain-'));
  try {
    const distinct = Math.min(DISTINCT_FILES, Math.ceil(count / PER_FILE));
    const batches = Array.from({ length: distinct }, (_, index) => index);
    const trusted = mixedDetectionRecords(1).trustedAccounts;
    const files = writeCloudTrailArchive(
      root,
      (function* () {
        for (let file = 0; file * PER_FILE < count; file += 1) {
          yield mixedDetectionRecords(PER_FILE, 1_000 + ((batches[file % distinct] as number) ?? 0)).records;
        }
      })(),
    );
    const sorted = filesUnder(root);
    const plainFiles = writeUncompressed(root, sorted, plainRoot);
    const args = [root, '--trusted-accounts', trusted.join(',')];
    const plainArgs = [plainRoot, '--trusted-accounts', trusted.join(',')];
    const read: { ms: number; cpuMs: number }[] = [];
    const detect: { ms: number; cpuMs: number }[] = [];
    const inflate: { ms: number }[] = [];
    const parsing: number[] = [];
    const plainReads: { ms: number; cpuMs: number }[] = [];
    const plainDetect: { ms: number; cpuMs: number }[] = [];
    let records = 0;
    let detections = 0;
    for (let run = 0; run < runs; run += 1) {
      const bare = measure(() => bareRead(sorted));
      records = bare.value;
      read.push(bare);
      const detected = await timeDetect(args);
      detect.push(detected);
      detections = detected.detections;
      inflate.push(measure(() => gunzipOnly(sorted)));
      parsing.push(parseOnly(sorted));
      const plainBare = measure(() => plainRead(plainFiles));
      if (plainBare.value !== records)
        throw new Error(`the .json files hold ${plainBare.value} records, not ${records}`);
      plainReads.push(plainBare);
      const plainDetected = await timeDetect(plainArgs);
      if (plainDetected.detections !== detections) throw new Error('detect found other detections in the .json files');
      plainDetect.push(plainDetected);
    }
    const cli = await bundleResponderCli();
    const rssProbe = join(import.meta.dirname, 'peak-rss.mjs');
    const bare: number[] = [];
    const bundled: number[] = [];
    const tsx: number[] = [];
    const threads: number[] = [];
    let peakRss = 0;
    let threadsPeakRss = 0;
    for (let run = 0; run < runs; run += 1) {
      bare.push(wallOf([join(import.meta.dirname, 'bare-read.mjs'), root]).ms);
      const detected = wallOf(['--import', rssProbe, cli, 'detect', ...args]);
      bundled.push(detected.ms);
      peakRss = Math.max(peakRss, Number(/peak RSS (\d+)/.exec(detected.stderr)?.[1] ?? 0));
      const threaded = wallOf(['--import', rssProbe, cli, 'detect', ...args, '--threads', '2']);
      if (threaded.stdout !== detected.stdout) throw new Error('detect --threads 2 printed other detections');
      threads.push(threaded.ms);
      threadsPeakRss = Math.max(threadsPeakRss, Number(/peak RSS (\d+)/.exec(threaded.stderr)?.[1] ?? 0));
      tsx.push(
        wallOf(['--import', 'tsx', join(import.meta.dirname, '..', 'cli', 'responder.ts'), 'detect', ...args]).ms,
      );
    }
    const readMs = median(read.map((entry) => entry.ms));
    const detectMs = median(detect.map((entry) => entry.ms));
    const plainReadMs = median(plainReads.map((entry) => entry.ms));
    const plainDetectMs = median(plainDetect.map((entry) => entry.ms));
    return {
      records,
      files: files.length,
      detections,
      readRecordsPerSecond: (records / readMs) * 1000,
      detectRecordsPerSecond: (records / detectMs) * 1000,
      wallRatio: detectMs / readMs,
      cpuRatio: median(detect.map((entry) => entry.cpuMs)) / median(read.map((entry) => entry.cpuMs)),
      gunzipRecordsPerSecond: (records / median(inflate.map((entry) => entry.ms))) * 1000,
      parseOnlyRecordsPerSecond: (records / median(parsing)) * 1000,
      plainDetectRecordsPerSecond: (records / plainDetectMs) * 1000,
      plainReadRecordsPerSecond: (records / plainReadMs) * 1000,
      plainWallRatio: plainDetectMs / plainReadMs,
      plainCpuRatio: median(plainDetect.map((entry) => entry.cpuMs)) / median(plainReads.map((entry) => entry.cpuMs)),
      bareScriptMs: median(bare),
      bundledCliMs: median(bundled),
      tsxCliMs: median(tsx),
      cliRatio: median(bundled) / median(bare),
      peakRssMb: peakRss / 1024,
      threadsCliMs: median(threads),
      threadsCliRatio: median(threads) / median(bare),
      threadsPeakRssMb: threadsPeakRss / 1024,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(plainRoot, { recursive: true, force: true });
  }
}

/** Adds a row to the bench's table and a figure to its results. */
export type Recorder = (label: string, key: string, value: number, unit: string, digits?: number) => void;

/** The detect rows of `npm run bench`. */
export async function detectSection(record: Recorder): Promise<void> {
  const bench = await benchDetect();
  const at = `${bench.records.toLocaleString('en-US')} mixed records in ${bench.files} .json.gz files`;
  record(`detect, ${at}, in-process`, 'detectRecordsPerSecond', bench.detectRecordsPerSecond, 'records/s');
  record(
    '  bare read + gunzipSync + UTF-8 decode + JSON.parse of the same files, one thread',
    'readRecordsPerSecond',
    bench.readRecordsPerSecond,
    'records/s',
  );
  record('  detect / read, wall time (target at most 1.5)', 'detectReadRatio', bench.wallRatio, '×', 2);
  record(
    '  detect / read, CPU time (all threads: detect inflates on the thread pool)',
    'detectReadCpuRatio',
    bench.cpuRatio,
    '×',
    2,
  );
  record(
    '  read + gunzipSync alone of the same files, one thread, nothing parsed',
    'gunzipRecordsPerSecond',
    bench.gunzipRecordsPerSecond,
    'records/s',
  );
  record(
    '  JSON.parse alone of the same text (read, inflated and decoded untimed), one thread',
    'parseOnlyRecordsPerSecond',
    bench.parseOnlyRecordsPerSecond,
    'records/s',
  );
  record(
    '  read + gunzipSync + JSON.parse alone, one after the other: the most one thread parsing every record can reach',
    'parseFloorRecordsPerSecond',
    1 / (1 / bench.gunzipRecordsPerSecond + 1 / bench.parseOnlyRecordsPerSecond),
    'records/s',
  );
  record(
    '  detect, the same records as uncompressed .json files, in-process',
    'plainDetectRecordsPerSecond',
    bench.plainDetectRecordsPerSecond,
    'records/s',
  );
  record(
    '    bare read + JSON.parse of those .json files (text decoded as detect decodes it)',
    'plainReadRecordsPerSecond',
    bench.plainReadRecordsPerSecond,
    'records/s',
  );
  record('    detect / read of .json, wall time', 'plainDetectReadRatio', bench.plainWallRatio, '×', 2);
  record('    detect / read of .json, CPU time', 'plainDetectReadCpuRatio', bench.plainCpuRatio, '×', 2);
  record(`  command line, bare node gunzip + parse script`, 'detectBareScriptMs', bench.bareScriptMs, 'ms');
  record(`  command line, bundled responder detect`, 'detectBundledCliMs', bench.bundledCliMs, 'ms');
  record('    bundled / bare script (target at most 2)', 'detectCliRatio', bench.cliRatio, '×', 2);
  record('    peak RSS', 'detectPeakRssMb', bench.peakRssMb, 'MB');
  record(`  command line, bundled responder detect --threads 2`, 'detectThreadsCliMs', bench.threadsCliMs, 'ms');
  record('    bundled --threads 2 / bare script', 'detectThreadsCliRatio', bench.threadsCliRatio, '×', 2);
  record('    peak RSS', 'detectThreadsPeakRssMb', bench.threadsPeakRssMb, 'MB');
  record(`  command line, responder detect under tsx`, 'detectTsxCliMs', bench.tsxCliMs, 'ms');
}
