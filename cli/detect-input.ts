import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { InvalidFinding } from '../handlers/shared/errors.js';
import { UsageError } from './io.js';

/** Files a directory walk reads: JSON, NDJSON (`.ndjson`, `.jsonl`), and the `.gz` of each. */
const RECORD_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/i;
/** CloudTrail delivers these beside the logs; they hold digests and Insights events, not records. */
const NOT_RECORDS = new Set(['CloudTrail-Digest', 'CloudTrail-Insight']);

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function walk(dir: string, files: string[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!NOT_RECORDS.has(entry.name)) await walk(path, files);
    } else if (RECORD_FILE.test(entry.name) && (entry.isFile() || (await stat(path)).isFile())) {
      files.push(path);
    }
  }
}

/**
 * The files to read, in order: each file named, and each directory's record files, recursively,
 * in name order (so a CloudTrail archive, `AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/`,
 * reads day after day within each Region). Digest and Insights folders are passed over.
 */
export async function filesOf(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) await walk(path, files);
      else files.push(path);
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return files;
}

/** The text of a file, decompressed when it is gzip (by its first bytes, whatever its name), chunk by chunk. */
async function* textOf(file: string): AsyncGenerator<string> {
  const handle = await open(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, 0);
  const raw = handle.createReadStream({ start: 0, highWaterMark: 1 << 20 });
  let source: NodeJS.ReadableStream = raw;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', (error) => gunzip.destroy(error));
    source = raw.pipe(gunzip);
  }
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of source) yield decoder.write(chunk as Buffer);
    yield decoder.end();
  } finally {
    raw.destroy();
  }
}

/** One JSON value of a file, or why a part of it is not JSON; `line` is set for line-by-line files. */
export type Piece =
  | { readonly value: unknown; readonly line?: number }
  | { readonly error: InvalidFinding; readonly line?: number };

function notJson(error: unknown): InvalidFinding {
  return new InvalidFinding('(input)', `not valid JSON: ${(error as Error).message}`);
}

function parse(text: string, line?: number): Piece {
  try {
    return { value: JSON.parse(text) as unknown, line };
  } catch (error) {
    return { error: notJson(error), line };
  }
}

/**
 * The JSON values of a file as they are read. A file whose first line is JSON on its own (NDJSON,
 * and CloudTrail's files, which are one line) is read line by line, so memory stays flat however
 * long it is; any other file is one JSON document, read whole, and if it is not JSON but has several
 * lines, each line is tried on its own. A file that breaks off (a truncated `.gz`) ends with an error.
 */
export async function* piecesOf(file: string): AsyncGenerator<Piece> {
  const reader = new LineReader();
  try {
    for await (const chunk of textOf(file)) yield* reader.chunk(chunk);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    yield { error: new InvalidFinding('(input)', `cannot read the rest of the file: ${(error as Error).message}`) };
    return;
  }
  yield* reader.end();
}

/** Splits text into lines as it comes; decides on the first non-blank line whether the file is line by line. */
class LineReader {
  private mode: 'first' | 'lines' | 'document' = 'first';
  private readonly document: string[] = [];
  private partial: string[] = [];
  private line = 0;

  *chunk(chunk: string): Generator<Piece> {
    if (this.mode !== 'lines') this.document.push(chunk);
    let from = 0;
    while (this.mode !== 'document') {
      const end = chunk.indexOf('\n', from);
      if (end === -1) {
        this.partial.push(chunk.slice(from));
        return;
      }
      this.partial.push(chunk.slice(from, end));
      from = end + 1;
      const piece = this.take(this.partial.join(''));
      this.partial = [];
      if (piece) yield piece;
    }
  }

  *end(): Generator<Piece> {
    if (this.mode !== 'document') {
      const piece = this.take(this.partial.join(''));
      if (piece) yield piece;
    }
    if (this.mode === 'first') yield { error: new InvalidFinding('(input)', 'not valid JSON: the file is empty') };
    if (this.mode === 'document') yield* wholeDocument(this.document.join(''));
  }

  private take(text: string): Piece | undefined {
    this.line += 1;
    if (text.trim() === '') return undefined;
    const piece = parse(text, this.line);
    if (this.mode === 'lines') return piece;
    if ('error' in piece) {
      this.mode = 'document';
      return undefined;
    }
    this.mode = 'lines';
    this.document.length = 0;
    return piece;
  }
}

/** A file that is one JSON document; failing that, NDJSON whose bad lines are named by number. */
function* wholeDocument(text: string): Generator<Piece> {
  let documentError: unknown;
  try {
    yield { value: JSON.parse(text) as unknown };
    return;
  } catch (error) {
    documentError = error;
  }
  const lines = text.split(/\r?\n/);
  if (lines.filter((entry) => entry.trim() !== '').length < 2) {
    yield { error: notJson(documentError) };
    return;
  }
  for (let index = 0; index < lines.length; index += 1) {
    const entry = lines[index] as string;
    if (entry.trim() !== '') yield parse(entry, index + 1);
  }
}
