import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { detectCommand } from '../cli/commands/detect.js';
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
    const args = [root, '--trusted-accounts', trusted.join(',')];
    const quiet = { out: () => undefined, err: () => undefined, terminal: false };
    const read: { ms: number; cpuMs: number }[] = [];
    const detect: { ms: number; cpuMs: number }[] = [];
    let records = 0;
    let detections = 0;
    for (let run = 0; run < runs; run += 1) {
      const bare = measure(() => bareRead(sorted));
      records = bare.value;
      read.push(bare);
      let printed = '';
      const capture = { ...quiet, out: (text: string) => (printed += text) };
      const cpu = process.cpuUsage();
      const start = performance.now();
      await detectCommand(args, capture);
      const used = process.cpuUsage(cpu);
      detect.push({ ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 });
      detections = (JSON.parse(printed) as unknown[]).length;
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
    return {
      records,
      files: files.length,
      detections,
      readRecordsPerSecond: (records / readMs) * 1000,
      detectRecordsPerSecond: (records / detectMs) * 1000,
      wallRatio: detectMs / readMs,
      cpuRatio: median(detect.map((entry) => entry.cpuMs)) / median(read.map((entry) => entry.cpuMs)),
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
    '  bare gunzip + JSON.parse of the same files',
    'readRecordsPerSecond',
    bench.readRecordsPerSecond,
    'records/s',
  );
  record('  detect / read, wall time (target at most 1.5)', 'detectReadRatio', bench.wallRatio, '×', 2);
  record('  detect / read, CPU time', 'detectReadCpuRatio', bench.cpuRatio, '×', 2);
  record(`  command line, bare node gunzip + parse script`, 'detectBareScriptMs', bench.bareScriptMs, 'ms');
  record(`  command line, bundled responder detect`, 'detectBundledCliMs', bench.bundledCliMs, 'ms');
  record('    bundled / bare script (target at most 2)', 'detectCliRatio', bench.cliRatio, '×', 2);
  record('    peak RSS', 'detectPeakRssMb', bench.peakRssMb, 'MB');
  record(`  command line, bundled responder detect --threads 2`, 'detectThreadsCliMs', bench.threadsCliMs, 'ms');
  record('    bundled --threads 2 / bare script', 'detectThreadsCliRatio', bench.threadsCliRatio, '×', 2);
  record('    peak RSS', 'detectThreadsPeakRssMb', bench.threadsPeakRssMb, 'MB');
  record(`  command line, responder detect under tsx`, 'detectTsxCliMs', bench.tsxCliMs, 'ms');
}
