import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FilesAhead } from '../../cli/detect-ahead.js';
import { wholeBytesOf } from '../../cli/detect-input.js';
import { UsageError } from '../../cli/io.js';
import { copy, dataEvent } from '../support/detections.js';

/**
 * `detect` reads and inflates the next files on libuv's thread pool while it parses the current
 * one. Each file taken must give exactly what reading it in its turn gives (its bytes read whole,
 * or nothing when it must stream), and a file that cannot be read must stop the run only when its
 * turn comes.
 */

const tempDir = () => mkdtempSync(join(tmpdir(), 'responder-ahead-'));

/** A gzip member whose trailer's size field (the last 4 bytes) says `size` instead of the truth. */
function withTrailerSize(gzip: Buffer, size: number): Buffer {
  const copied = Buffer.from(gzip);
  copied.writeUInt32LE(size >>> 0, copied.length - 4);
  return copied;
}

describe('reading files ahead', () => {
  it('gives each file what a read in its turn gives, whatever the file', async () => {
    const root = tempDir();
    const text = JSON.stringify({ Records: [copy(), dataEvent()] });
    const ndjson = [copy(), dataEvent()].map((record) => JSON.stringify(record)).join('\n');
    const packed = gzipSync(ndjson);
    const contents: Record<string, Buffer> = {
      'plain.json': Buffer.from(text),
      'packed.json.gz': gzipSync(text),
      'members.ndjson.gz': Buffer.concat([gzipSync(ndjson.slice(0, 40)), gzipSync(ndjson.slice(40))]),
      'wrong-size.ndjson.gz': withTrailerSize(packed, 3),
      'claims-more.ndjson.gz': withTrailerSize(packed, 0xffffffff),
      'cut.ndjson.gz': packed.subarray(0, packed.length - 12),
      'short.json.gz': packed.subarray(0, 10),
      'empty.json': Buffer.alloc(0),
      'big.json': Buffer.from(`${text}${' '.repeat(70_000)}`),
    };
    const files = Object.entries(contents).map(([name, bytes]) => {
      writeFileSync(join(root, name), bytes);
      return join(root, name);
    });
    const limit = 64 * 1024;

    const ahead = new FilesAhead(files, limit, 2);
    const taken: (Buffer | undefined)[] = [];
    for (const [index] of files.entries()) taken.push(await ahead.take(index));

    expect(taken).toEqual(files.map((file) => wholeBytesOf(file, limit)));
    expect(taken.map((bytes) => bytes === undefined)).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(taken[1]?.toString()).toBe(text);
    expect(taken[2]?.toString()).toBe(ndjson);
  });

  it('throws for a file that cannot be read only when it is taken, after the files before it', async () => {
    const root = tempDir();
    const [firstText, lastText] = [JSON.stringify(dataEvent()), JSON.stringify(copy())];
    const first = join(root, 'a.json');
    writeFileSync(first, firstText);
    const missing = join(root, 'b.json');
    const last = join(root, 'c.json');
    writeFileSync(last, lastText);

    const ahead = new FilesAhead([first, missing, last], 64 * 1024, 2);
    const taken = await ahead.take(0);
    const refused = await ahead.take(1).catch((error: unknown) => error);

    expect(taken?.toString()).toBe(firstText);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toBe(`cannot read ${missing}: ENOENT`);
    expect(() => wholeBytesOf(missing, 64 * 1024)).toThrow(`cannot read ${missing}: ENOENT`);
    expect((await ahead.take(2))?.toString()).toBe(lastText);
  });

  it('names a path that is a folder as a read in its turn does', async () => {
    const root = tempDir();

    const refused = await new FilesAhead([root], 64 * 1024, 2).take(0).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toBe(`cannot read ${root}: EISDIR`);
    expect(() => wholeBytesOf(root, 64 * 1024)).toThrow(`cannot read ${root}: EISDIR`);
  });

  it('reads a pipe to its end, as a read in its turn does', async () => {
    const root = tempDir();
    const text = JSON.stringify({ Records: [dataEvent(), copy()] });
    const source = join(root, 'CloudTrail.json');
    writeFileSync(source, text);
    const fifo = join(root, 'piped.json');
    execFileSync('mkfifo', [fifo]);
    const feed = () => {
      const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', source, fifo], { stdio: 'ignore' });
      return new Promise((resolve) => writer.on('exit', resolve));
    };

    const fed = feed();
    const taken = await new FilesAhead([fifo], 64 * 1024, 2).take(0);
    await fed;
    const refed = feed();
    const inTurn = wholeBytesOf(fifo, 64 * 1024);
    await refed;

    expect(taken?.toString()).toBe(text);
    expect(inTurn?.toString()).toBe(text);
  });

  it('holds a read that fails on the thread pool until its file is taken, even when the run stops before it', async () => {
    const root = tempDir();
    const first = join(root, 'a.json');
    writeFileSync(first, JSON.stringify({ Records: [dataEvent()] }));
    // Opens, says 0 bytes, and fails with EIO on the first read.
    const failing = '/proc/self/mem';
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);

    const ahead = new FilesAhead([first, failing], 64 * 1024, 2);
    await ahead.take(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.off('unhandledRejection', listener);
    const refused = await ahead.take(1).catch((error: unknown) => error);

    expect(unhandled).toEqual([]);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toBe(`cannot read ${failing}: EIO`);
    expect(() => wholeBytesOf(failing, 64 * 1024)).toThrow(`cannot read ${failing}: EIO`);
  });

  it('refuses a file taken out of order', async () => {
    const root = tempDir();
    const file = join(root, 'a.json');
    writeFileSync(file, '{}');
    const ahead = new FilesAhead([file, file, file, file], 64 * 1024, 1);

    await ahead.take(0);

    await expect(ahead.take(3)).rejects.toThrow('taken in order');
  });
});
