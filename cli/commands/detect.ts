import { performance } from 'node:perf_hooks';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX, type Detection } from '../../handlers/detect/detection.js';
import { Detector, itemsOf, mayFire } from '../../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../../handlers/detect/new-terms.js';
import { InvalidFinding } from '../../handlers/shared/errors.js';
import { AccountId } from '../../handlers/shared/schemas/primitives.js';
import { filesOf, piecesOf } from '../detect-input.js';
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
}

function options(args: string[]): Options {
  const paths: string[] = [];
  const trusted: string[] = [];
  let ndjson = false;
  let strict = false;
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
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unexpected argument ${arg}; ${USAGE}`);
    } else {
      paths.push(arg);
    }
  }
  if (paths.length === 0) throw new UsageError(USAGE);
  return { paths, trusted, ndjson, strict };
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

/**
 * `responder detect <file|dir>…` (contract §10): reads CloudTrail records as CloudTrail delivers
 * them (`{"Records":[…]}` files, `.json.gz`, directories such as `AWSLogs/<account>/CloudTrail/…`,
 * recursively), bare records, EventBridge events and NDJSON, streaming; prints
 * `[{"rule","incident"}]` (or `[]`) at the end, or with `--ndjson` one detection a line as found.
 * Detector state (addresses already seen) starts empty and lasts for the run. A malformed part is
 * skipped and reported on stderr (how many, the first 10 with file, line or index, and reason),
 * exit 0; `--strict` stops at the first with exit 2, as does input with nothing readable in it.
 */
export async function detectCommand(args: string[], output: DetectOutput = processOutput): Promise<number> {
  const { paths, trusted, ndjson, strict } = options(args);
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
  try {
    for (const [index, path] of files.entries()) {
      const source: Source = { path, lines: 0 };
      for await (const piece of piecesOf(path)) {
        if (piece.line !== undefined) source.lines += 1;
        if ('error' in piece) {
          skip({ source, line: piece.line, error: piece.error });
          continue;
        }
        for (const item of itemsOf(piece.value)) {
          if ('error' in item) {
            skip({ source, line: piece.line, error: item.error });
            continue;
          }
          records += 1;
          if (!mayFire(item)) continue;
          let fired: Detection[];
          try {
            fired = await detector.run(item);
          } catch (error) {
            if (!(error instanceof InvalidFinding)) throw error;
            skip({ source, line: piece.line, error });
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
