import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { piecesOf, textOfBytes, wholeFilePieces } from '../../cli/detect-input.js';
import { copy, dataEvent } from '../support/detections.js';

/**
 * How `detect` reads a file whole: the text decoded by the cheapest exact way, and gzip inflated
 * into one buffer sized from its trailer. Both must give what a plain UTF-8 read of the inflated
 * bytes gives, whatever the bytes and whatever the trailer says.
 */

const tempDir = () => mkdtempSync(join(tmpdir(), 'responder-read-'));

/** The pieces of a file as `detect` reads it; with `wholeFileBytes` 0, as the stream reads it. */
async function piecesFrom(file: string, wholeFileBytes?: number): Promise<unknown[]> {
  const pieces: unknown[] = [];
  for await (const piece of piecesOf(file, wholeFileBytes)) {
    pieces.push('error' in piece ? { error: piece.error.message, line: piece.line } : piece);
  }
  return pieces;
}

/** A gzip member whose trailer's size field (the last 4 bytes) says `size` instead of the truth. */
function withTrailerSize(gzip: Buffer, size: number): Buffer {
  const copied = Buffer.from(gzip);
  copied.writeUInt32LE(size >>> 0, copied.length - 4);
  return copied;
}

describe('decoding the text of a file', () => {
  it('gives the string a UTF-8 decode gives, for ASCII and for any other bytes', () => {
    const ascii = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes.map((byte) => byte & 0x7f)));
    const any = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes));
    const text = fc.string({ unit: 'binary', maxLength: 32 }).map((value) => Buffer.from(value, 'utf8'));

    fc.assert(
      fc.property(fc.oneof(ascii, any, text), (bytes) => {
        expect(textOfBytes(bytes)).toBe(bytes.toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it('reads a record with non-ASCII text, plain and gzipped, as a UTF-8 decode gives it', async () => {
    const root = tempDir();
    const record = { ...dataEvent(), userAgent: 'Zürich ☃ 🚀 \u2028', requestParameters: { key: 'ß/\ufeff' } };
    const text = JSON.stringify({ Records: [record] });
    writeFileSync(join(root, 'plain.json'), text);
    writeFileSync(join(root, 'packed.json.gz'), gzipSync(text));

    const plain = await piecesFrom(join(root, 'plain.json'));
    const packed = await piecesFrom(join(root, 'packed.json.gz'));

    expect(plain).toEqual([{ value: JSON.parse(Buffer.from(text, 'utf8').toString('utf8')) }]);
    expect(packed).toEqual(plain);
  });
});

describe('inflating a .gz read whole', () => {
  const lines = [JSON.stringify(copy()), JSON.stringify(dataEvent()), '{"eventName": ', JSON.stringify(dataEvent())];
  const text = `${lines.join('\n')}\n`;

  it('gives the pieces the stream gives whatever size the trailer claims, and the plain one when it is true', async () => {
    const root = tempDir();
    const plain = join(root, 'plain.ndjson');
    writeFileSync(plain, text);
    const gzip = gzipSync(text);
    const size = Buffer.byteLength(text);
    const claims = [0, 1, 63, 64, 65, size - 1, size, size + 1, 1 << 20];

    const read: unknown[][] = [];
    const streamed: unknown[][] = [];
    for (const [index, claim] of claims.entries()) {
      const file = join(root, `claim-${index}.ndjson.gz`);
      writeFileSync(file, withTrailerSize(gzip, claim));
      read.push(await piecesFrom(file));
      streamed.push(await piecesFrom(file, 0));
    }

    expect(read).toEqual(streamed);
    expect(read[claims.indexOf(size)]).toEqual(await piecesFrom(plain));
    expect(read[claims.indexOf(size)]).toHaveLength(4);
  });

  it('reads every member of a file of several gzip members, as gunzip does', async () => {
    const root = tempDir();
    const plain = join(root, 'plain.ndjson');
    writeFileSync(plain, text);
    const members = join(root, 'members.ndjson.gz');
    const half = Math.floor(text.length / 2);
    writeFileSync(members, Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]));

    const read = await piecesFrom(members);

    expect(read).toEqual(await piecesFrom(plain));
    expect([...(wholeFilePieces(members) ?? [])]).toHaveLength(4);
  });

  it('leaves to the stream a .gz whose text is over the limit, or that claims to be', async () => {
    const root = tempDir();
    const file = join(root, 'big.ndjson.gz');
    const gzip = gzipSync(text);
    writeFileSync(file, gzip);
    const lying = join(root, 'lying.ndjson.gz');
    writeFileSync(lying, withTrailerSize(gzip, 0xffffffff));

    const small = wholeFilePieces(file, 16);
    const claimed = wholeFilePieces(lying);

    expect(small).toBeUndefined();
    expect(claimed).toBeUndefined();
    expect(await piecesFrom(lying)).toEqual(await piecesFrom(lying, 0));
  });
});
