import { performance } from 'node:perf_hooks';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX, type Detection } from '../../handlers/detect/detection.js';
import { Detector } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { InvalidFinding } from '../../handlers/shared/errors.js';
import { AccountId } from '../../handlers/shared/schemas/primitives.js';
import { FilesAhead } from '../detect-ahead.js';
import { filesOf, piecesRead, wholeBytesOf } from '../detect-input.js';
import { ScanPool } from '../detect-pool.js';
import { type Scan, scanPiece } from '../detect-scan.js';
import { EXIT, UsageError } from '../io.js';
import { USAGE as USAGES } from '../usage.js';

const USAGE = `usage: ${USAGES.detect}`;
/** How many skipped parts stderr lists. */
const SHOWN = 10;
const PROGRESS_EVERY_MS = 250;

interface Options {
  readonly paths: string[];
  readonly trusted: string[];
  readonly ndjson: boolean;
  readonly strict: boolean;
  /** Worker threads that read and scan files ahead of the detectors (0: none). */
  readonly threads: number;
}

function options(args: string[]): Options {
  const paths: string[] = [];
  const trusted: string[] = [];
  let ndjson = false;
  let strict = false;
  let threads = 0;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--trusted-accounts') {
      index += 1;
      const value = args[index];
      if (!value) throw new UsageError(`--trusted-accounts needs a value; ${USAGE}`);
      for (const id of value.split(',').filter((entry) => entry !== '')) {
        if (!AccountId.safeParse(id).success)
          throw new UsageError(`--trusted-accounts: ${id} is not a 12-digit account id`);
        trusted.push(id);
      }
    } else if (arg === '--ndjson') {
      ndjson = true;
    } else if (arg === '--strict') {
      strict = true;
    } else if (arg === '--threads') {
      index += 1;
      const value = args[index] ?? '';
      if (!/^\d{1,2}$/.test(value) || Number(value) > MAX_THREADS)
        throw new UsageError(`--threads needs a number of threads from 0 to ${MAX_THREADS}; ${USAGE}`);
      threads = Number(value);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unexpected argument ${arg}; ${USAGE}`);
    } else {
      paths.push(arg);
    }
  }
  if (paths.length === 0) throw new UsageError(USAGE);
  return { paths, trusted, ndjson, strict, threads };
}

/** A file being read, and how many line-by-line values it has given so far. */
interface Source {
  readonly path: string;
  lines: number;
}

/** Where a skipped part of the input is: its file, its line in a line-by-line file, and why. */
interface Skipped {
  readonly source: Source;
  readonly line?: number;
  readonly error: InvalidFinding;
}

/** The file, and the line when the file has more than one (CloudTrail's own files are one line). */
const where = ({ source, line }: Skipped) =>
  `${source.path}${line !== undefined && (line > 1 || source.lines > 1) ? ` line ${line}` : ''}`;

/** Where `responder detect` writes; progress only when stderr is a terminal. */
export interface DetectOutput {
  out(text: string): void;
  err(text: string): void;
  readonly terminal: boolean;
}

const processOutput: DetectOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  terminal: process.stderr.isTTY === true,
};

class Progress {
  private readonly start = performance.now();
  private shownAt = 0;

  constructor(
    private readonly output: DetectOutput,
    private readonly files: number,
  ) {}

  show(file: number, records: number, detections: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.shownAt < PROGRESS_EVERY_MS) return;
    this.shownAt = now;
    const rate = Math.round((records / Math.max(now - this.start, 1)) * 1000);
    const n = (value: number) => value.toLocaleString('en-US');
    this.output.err(
      `\r\x1b[Kfiles ${n(file)}/${n(this.files)} · records ${n(records)} · ${n(rate)} records/s · detections ${n(detections)}`,
    );
  }

  clear(): void {
    this.output.err('\r\x1b[K');
  }
}

/** More reading threads than this add memory (each holds a file and its parse) more than speed. */
const MAX_THREADS = 16;

/**
 * With `--threads <n>`, files up to this much text are read and scanned on the threads; a larger
 * one is read on the main thread in its turn (whole up to 32 MB, else streamed), so memory stays
 * bounded. CloudTrail's own files are a few MB.
 */
export const THREAD_FILE_BYTES = 8 * 1024 * 1024;

/** The scans of a file parsed on this thread, piece by piece (a file not read whole streams). */
async function* scansOf(path: string, whole: Buffer | undefined): AsyncGenerator<Scan> {
  for await (const piece of piecesRead(path, whole)) yield scanPiece(piece);
}

/**
 * `responder detect <file|dir>…` (contract §10): reads CloudTrail records as CloudTrail delivers
 * them (`{"Records":[…]}` files, `.json.gz`, directories such as `AWSLogs/<account>/CloudTrail/…`,
 * recursively), bare records, EventBridge events and NDJSON, streaming; prints
 * `[{"rule","incident"}]` (or `[]`) at the end, or with `--ndjson` one detection a line as found.
 * Detector state (addresses already seen) starts empty and lasts for the run. A malformed part is
 * skipped and reported on stderr (how many, the first 10 with file, line or index, and reason),
 * exit 0; `--strict` stops at the first with exit 2, as does input with nothing readable in it.
 */
export async function detectCommand(
  args: string[],
  output: DetectOutput = processOutput,
  threadFileBytes = THREAD_FILE_BYTES,
): Promise<number> {
  const { paths, trusted, ndjson, strict, threads } = options(args);
  const files = await filesOf(paths);
  const detector = new Detector(
    { newTerms: new InMemoryNewTermsStore() },
    { trustedAccounts: trusted, bulkDownloadAlarmPrefix: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX },
  );
  const progress = output.terminal ? new Progress(output, files.length) : undefined;
  const detections: Detection[] = [];
  const skipped: Skipped[] = [];
  let skippedCount = 0;
  let records = 0;
  let found = 0;
  const skip = (part: Skipped) => {
    if (strict) throw located(part);
    skippedCount += 1;
    if (skipped.length < SHOWN) skipped.push(part);
  };
  // With threads, files are read and scanned ahead on them and taken here in order: the detectors
  // see the same items in the same order as when this thread reads each file itself.
  // Without them, the next files are read and inflated ahead on libuv's thread pool while this
  // thread parses and detects, and taken here in the same order.
  const pool = threads > 0 && files.length > 1 ? new ScanPool(files, threads, threadFileBytes) : undefined;
  const ahead = pool ? undefined : new FilesAhead(files);
  try {
    for (const [index, path] of files.entries()) {
      const source: Source = { path, lines: 0 };
      const scans = pool ? await pool.scansOf(index) : undefined;
      for await (const scan of scans ?? scansOf(path, ahead ? await ahead.take(index) : wholeBytesOf(path))) {
        if (scan.line !== undefined) source.lines += 1;
        if ('error' in scan) {
          skip({ source, line: scan.line, error: scan.error });
          continue;
        }
        for (const entry of scan.entries) {
          // A run of well-formed records no rule can fire on: the detectors would return nothing.
          if (typeof entry === 'number') {
            records += entry;
            continue;
          }
          if ('error' in entry) {
            skip({ source, line: scan.line, error: entry.error });
            continue;
          }
          records += 1;
          let fired: Detection[];
          try {
            fired = await detector.run(entry);
          } catch (error) {
            if (!(error instanceof InvalidFinding)) throw error;
            skip({ source, line: scan.line, error });
            continue;
          }
          found += fired.length;
          if (ndjson) for (const detection of fired) output.out(`${JSON.stringify(detection)}\n`);
          else detections.push(...fired);
        }
        progress?.show(index + 1, records, found);
      }
    }
    progress?.show(files.length, records, found, true);
  } finally {
    progress?.clear();
    await pool?.close();
  }
  if (records === 0 && skipped[0]) {
    const more = skippedCount > 1 ? `; ${skippedCount - 1} more unreadable` : '';
    throw located(skipped[0], more);
  }
  if (!ndjson) output.out(`${JSON.stringify(detections, null, 2)}\n`);
  if (skippedCount > 0) {
    const shown = skippedCount > SHOWN ? ` (the first ${SHOWN})` : '';
    const lines = skipped.map((part) => `  ${where(part)}: ${part.error.message}`);
    output.err(
      `skipped ${skippedCount} malformed part${skippedCount === 1 ? '' : 's'} of the input${shown}:\n${lines.join('\n')}\n`,
    );
  }
  return EXIT.ok;
}

/** The error of a skipped part with its file (and line) at the end of the one line it prints as. */
function located(part: Skipped, more = ''): InvalidFinding {
  const detail = part.error.path ? part.error.message.slice(part.error.path.length + 2) : part.error.message;
  return new InvalidFinding(part.error.path, `${detail} (in ${where(part)}${more})`);
}
