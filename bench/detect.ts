import { performance } from 'node:perf_hooks';
import { mixedDetectionRecords } from '../examples/src/detection-records.js';
import { detect } from '../handlers/detect/dispatch.js';
import { InMemoryNewTermsStore } from '../handlers/detect/new-terms.js';

/** `detect` over `count` mixed records as `responder detect` runs it (NDJSON text in, in-memory state). */
export async function benchDetect(count = 20_000): Promise<{ records: number; ms: number; detections: number }> {
  const { records, trustedAccounts } = mixedDetectionRecords(count);
  const text = records.map((record) => JSON.stringify(record)).join('\n');
  const start = performance.now();
  const detections = await detect(text, { newTerms: new InMemoryNewTermsStore() }, { trustedAccounts });
  return { records: count, ms: performance.now() - start, detections: detections.length };
}
