import { isAscii } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
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

/** A file up to this size (as text) is read in one go, as CloudTrail's own are (a few MB each); a larger one streams. */
export const WHOLE_FILE_BYTES = 32 * 1024 * 1024;

const isGzip = (head: Buffer) => head[0] === 0x1f && head[1] === 0x8b;

/** Why a file cannot be read at all (it is missing, a folder, unreadable): the run stops there. */
export function unreadable(file: string, error: unknown): UsageError {
  return new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
}

/**
 * How the bytes of a file read whole are inflated: undefined when they are not gzip (they are the
 * text), `false` when they cannot be read whole (too short to be gzip, or the trailer gives more
 * text than `limit`: the stream reads them), else zlib's options. The text is inflated into one
 * buffer the size the trailer gives (one more byte, so zlib ends within it): no chunk list to join.
 * A file of several gzip members, whose trailer gives the last member's size only, just takes more
 * chunks; the bytes are the same.
 */
export function inflation(raw: Buffer, limit: number): ZlibOptions | false | undefined {
  if (!isGzip(raw)) return undefined;
  if (raw.length < 18) return false;
  const size = raw.readUInt32LE(raw.length - 4);
  if (size > limit) return false;
  return { maxOutputLength: limit, chunkSize: Math.max(MIN_CHUNK, size + 1) };
}

/**
 * The whole text of a file no larger than `limit`, as bytes (gzip's trailer gives the text's size;
 * a file that inflates past the limit anyway, or does not inflate, is left to the stream), else
 * undefined. A file that cannot be read throws `UsageError`.
 */
export function wholeBytesOf(file: string, limit = WHOLE_FILE_BYTES): Buffer | undefined {
  const raw = rawBytesOf(file, limit);
  const options = raw && inflation(raw, limit);
  if (options === undefined) return raw;
  if (options === false) return undefined;
  try {
    return gunzipSync(raw as Buffer, options);
  } catch {
    return undefined;
  }
}

/** The bytes of a file of at most `limit` bytes, else undefined; `UsageError` when it cannot be read. */
function rawBytesOf(file: string, limit: number): Buffer | undefined {
  try {
    return statSync(file).size > limit ? undefined : readFileSync(file);
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** zlib's smallest output chunk. */
const MIN_CHUNK = 64;

/**
 * UTF-8 bytes as text. ASCII (CloudTrail's own files, nearly always) is copied byte for byte,
 * which gives the same string as decoding it as UTF-8, at a fraction of the cost.
 */
export function textOfBytes(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
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
  if (isGzip(head)) {
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
 * The JSON values of a file. A file of up to `WHOLE_FILE_BYTES` of text (CloudTrail's own files) is
 * one JSON document, or, failing that, NDJSON whose lines are tried one by one. A larger file
 * streams: if its first line is JSON on its own (NDJSON) it is read line by line, so memory stays
 * flat however long it is; otherwise it is one document, read whole. A file that breaks off (a
 * truncated `.gz`) gives what was read, then an error.
 */
export async function* piecesOf(file: string, wholeFileBytes = WHOLE_FILE_BYTES): AsyncGenerator<Piece> {
  yield* piecesRead(file, wholeBytesOf(file, wholeFileBytes));
}

/**
 * The JSON values of a file given its bytes read whole (by `wholeBytesOf`, or ahead by `FilesAhead`), or,
 * when they are undefined, streamed from the file, as `piecesOf` gives them.
 */
export async function* piecesRead(file: string, whole: Buffer | undefined): AsyncGenerator<Piece> {
  if (whole !== undefined) {
    yield* wholeDocument(textOfBytes(whole));
    return;
  }
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

/**
 * The JSON values of a file read whole, as `piecesOf` gives them, when its text is at most `limit`
 * bytes; undefined when it is larger (or its gzip does not inflate within the limit), for the stream.
 */
export function wholeFilePieces(file: string, limit = WHOLE_FILE_BYTES): Iterable<Piece> | undefined {
  const whole = wholeBytesOf(file, limit);
  return whole === undefined ? undefined : wholeDocument(textOfBytes(whole));
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    documentError = error;
  }
  if (documentError === undefined) {
    yield { value };
    return;
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
