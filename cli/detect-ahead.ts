import { closeSync, fstatSync, openSync, read } from 'node:fs';
import { gunzip } from 'node:zlib';
import { inflation, unreadable, WHOLE_FILE_BYTES } from './detect-input.js';

/**
 * `wholeBytesOf` without blocking: the file is read in one task on libuv's thread pool, and its
 * gzip inflated in another (into one output buffer), so both go on while this thread is busy
 * parsing. It is opened here, at once, so a file that cannot be opened fails as it would have.
 */
function wholeBytesAhead(file: string, limit: number): Promise<Buffer | undefined> {
  let fd: number;
  let size: number;
  let sized: boolean;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const stats = fstatSync(fd);
    size = stats.size;
    // A pipe (`detect <(zcat …)`, /dev/stdin), a device or a file of /proc gives no size: it is read
    // to its end, as `readFileSync` reads it in its turn (a folder is read by size, to fail as it does).
    sized = stats.isDirectory() || (stats.isFile() && size > 0);
  } catch (error) {
    closeSync(fd);
    throw unreadable(file, error);
  }
  if (size > limit) {
    closeSync(fd);
    return Promise.resolve(undefined);
  }
  return (sized ? readAll(fd, size) : readToEnd(fd)).then(
    (raw) => {
      const options = inflation(raw, limit);
      if (options === undefined) return raw;
      if (options === false) return undefined;
      return new Promise((resolve) => gunzip(raw, options, (error, text) => resolve(error ? undefined : text)));
    },
    (error: unknown) => {
      throw unreadable(file, error);
    },
  );
}

/** The `size` bytes of an open file (fewer if it ends sooner), read on the thread pool; the file is closed after. */
function readAll(fd: number, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  return new Promise((resolve, reject) => {
    const from = (offset: number) => {
      if (offset >= size) {
        closeSync(fd);
        resolve(buffer);
        return;
      }
      read(fd, buffer, offset, size - offset, offset, (error, bytes) => {
        if (error || bytes === 0) closeSync(fd);
        if (error) reject(error);
        else if (bytes === 0) resolve(buffer.subarray(0, offset));
        else from(offset + bytes);
      });
    };
    from(0);
  });
}

/** All the bytes of an open file that gives no size, read on the thread pool in turn to its end; the file is closed after. */
function readToEnd(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const next = () => {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      read(fd, chunk, 0, CHUNK_BYTES, null, (error, bytes) => {
        if (error || bytes === 0) closeSync(fd);
        if (error) reject(error);
        else if (bytes === 0) resolve(Buffer.concat(chunks));
        else {
          chunks.push(chunk.subarray(0, bytes));
          next();
        }
      });
    };
    next();
  });
}

/** What one read of a file that gives no size asks for. */
const CHUNK_BYTES = 64 * 1024;

/** Files read (and inflated) ahead of the one being parsed. CloudTrail's own are a few MB each. */
export const READ_AHEAD = 2;

/**
 * The files of a run read whole ahead: while this thread parses and detects file i, files i+1 …
 * i+`ahead` (read when file i is taken) are inflated on libuv's thread pool, on another core. Files are
 * taken in order, each once; at most `ahead` + 1 are held, so memory stays flat. What taking a file
 * gives, or throws, is what reading it in its turn would have (`wholeBytesOf`).
 */
export class FilesAhead {
  private readonly reads = new Map<number, Promise<{ bytes: Buffer | undefined } | { error: unknown }>>();
  private next = 0;
  private taken = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly limit = WHOLE_FILE_BYTES,
    private readonly ahead = READ_AHEAD,
  ) {}

  /** The bytes of file `index` (the next in order) read whole, or undefined when it must stream. */
  async take(index: number): Promise<Buffer | undefined> {
    if (index !== this.taken)
      throw new Error(`detect files are taken in order, each once: ${index} after ${this.taken - 1}`);
    this.taken += 1;
    while (this.next <= Math.min(index + this.ahead, this.files.length - 1)) {
      const file = this.files[this.next] as string;
      // Settled into a value, never rejected (whether it fails here or on the thread pool): a file not
      // yet taken must not fail the run early, nor, when the run stops before it, at all.
      let read: Promise<{ bytes: Buffer | undefined } | { error: unknown }>;
      try {
        read = wholeBytesAhead(file, this.limit).then(
          (bytes) => ({ bytes }),
          (error: unknown) => ({ error }),
        );
      } catch (error) {
        read = Promise.resolve({ error });
      }
      this.reads.set(this.next, read);
      this.next += 1;
    }
    const read = this.reads.get(index) as Promise<{ bytes: Buffer | undefined } | { error: unknown }>;
    this.reads.delete(index);
    const result = await read;
    if ('error' in result) throw result.error;
    return result.bytes;
  }
}
