import { parentPort, workerData } from 'node:worker_threads';
import { wholeFilePieces } from './detect-input.js';
import { type ScanData, scanData, scanPiece } from './detect-scan.js';
import { UsageError } from './io.js';

/** A file for a worker to read whole and scan (`limit`: the most text it reads whole). */
export interface ScanRequest {
  readonly id: number;
  readonly path: string;
  readonly limit: number;
}

/**
 * What a worker found in a file: its pieces scanned; or that the file is too large to read whole
 * (the main thread streams it); or that it cannot be read (a usage error), or that scanning failed.
 */
export type ScanReply =
  | { readonly id: number; readonly scans: readonly ScanData[] }
  | { readonly id: number; readonly stream: true }
  | { readonly id: number; readonly usage: string }
  | { readonly id: number; readonly failure: string };

/** One request: the same reading and scanning as the main thread's, the result as plain data. */
export function answer({ id, path, limit }: ScanRequest): ScanReply {
  try {
    const pieces = wholeFilePieces(path, limit);
    if (pieces === undefined) return { id, stream: true };
    const scans: ScanData[] = [];
    for (const piece of pieces) scans.push(scanData(scanPiece(piece)));
    return { id, scans };
  } catch (error) {
    if (error instanceof UsageError) return { id, usage: error.message };
    return { id, failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

/** What a scan worker is started with, so this module answers only in a thread started for it. */
export const SCAN_WORKER = 'responder-detect-scan';

// A worker thread of `responder detect` (see detect-pool.ts): it answers each file it is sent.
if (workerData === SCAN_WORKER) {
  parentPort?.on('message', (request: ScanRequest) => parentPort?.postMessage(answer(request)));
}
