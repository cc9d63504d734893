import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromScanData, type Scan } from './detect-scan.js';
import { SCAN_WORKER, type ScanReply, type ScanRequest } from './detect-worker.js';
import { UsageError } from './io.js';

/** A reply to wait for, and what to do with it. */
interface Pending {
  readonly promise: Promise<ScanReply>;
  resolve(reply: ScanReply): void;
  reject(error: Error): void;
}

/** tsx's ESM loader, for a worker started from the TypeScript sources (`npm run responder`, the tests). */
function tsxLoader(from: string): string {
  const require = createRequire(from);
  const manifest = require.resolve('tsx/package.json');
  const exports = (
    JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }
  ).exports;
  const api = exports['./esm/api']?.import.default;
  if (!api) throw new Error('tsx has no ./esm/api export to load the detect worker with');
  return pathToFileURL(join(dirname(manifest), api)).href;
}

/**
 * A scan worker: the bundled `detect-worker.js` beside this module's bundle, or, from the
 * TypeScript sources, `detect-worker.ts` loaded through tsx (a worker does not inherit the loader).
 */
function scanWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./detect-worker.js', here), { workerData: SCAN_WORKER });
  const entry = new URL('./detect-worker.ts', here).href;
  const code = `import(${JSON.stringify(tsxLoader(here))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: SCAN_WORKER });
}

/**
 * Files read and scanned by worker threads ahead of the main thread, which takes their scans in
 * file order (`scansOf(0)`, `scansOf(1)`, …), so what it does with them is what it would have done
 * reading them itself. At most `window` files are read ahead, so memory stays bounded; a file
 * whose text is over `limit` is left to the main thread, which streams it.
 */
export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private taken = 0;
  private failure: Error | undefined;

  constructor(
    private readonly files: readonly string[],
    size: number,
    private readonly limit: number,
    private readonly window = 2 * size,
  ) {
    for (let index = 0; index < size; index += 1) {
      const worker = scanWorker();
      worker.on('message', (reply: ScanReply) => this.settle(index, reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (this.pending.size > 0) this.fail(new Error(`a detect worker exited (code ${code}) with files unread`));
      });
      this.workers.push(worker);
      this.inFlight.push(0);
    }
    this.fill();
  }

  /**
   * The scans of file `index` (taken in order), or undefined when the main thread must stream the
   * file itself. A file that cannot be read throws `UsageError`, as reading it here would.
   */
  async scansOf(index: number): Promise<Scan[] | undefined> {
    if (index !== this.taken) throw new Error(`detect files are taken in order: ${index} after ${this.taken - 1}`);
    this.taken += 1;
    const pending = this.pending.get(index);
    if (!pending) throw this.failure ?? new Error(`no detect worker is reading file ${index}`);
    const reply = await pending.promise;
    this.pending.delete(index);
    this.fill();
    if ('scans' in reply) return reply.scans.map(fromScanData);
    if ('stream' in reply) return undefined;
    if ('usage' in reply) throw new UsageError(reply.usage);
    throw new Error(`a detect worker failed on ${this.files[index]}: ${reply.failure}`);
  }

  async close(): Promise<void> {
    this.pending.clear();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** Sends files to the least busy workers, up to `window` beyond the last file taken. */
  private fill(): void {
    while (!this.failure && this.next < this.files.length && this.next < this.taken + this.window) {
      const id = this.next;
      this.next += 1;
      const worker = this.inFlight.indexOf(Math.min(...this.inFlight));
      let resolve!: (reply: ScanReply) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<ScanReply>((done, failed) => {
        resolve = done;
        reject = failed;
      });
      // Taken later, in order: until then a failure must not count as unhandled.
      promise.catch(() => undefined);
      this.pending.set(id, { promise, resolve, reject });
      this.inFlight[worker] = (this.inFlight[worker] ?? 0) + 1;
      const request: ScanRequest = { id, path: this.files[id] as string, limit: this.limit };
      this.workers[worker]?.postMessage(request);
    }
  }

  private settle(worker: number, reply: ScanReply): void {
    this.inFlight[worker] = (this.inFlight[worker] ?? 1) - 1;
    this.pending.get(reply.id)?.resolve(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
  }
}
