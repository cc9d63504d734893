import { correlationOf, log } from './log.js';
import { flushMetrics } from './metrics.js';
import { inSubsegment, startTracing } from './tracing.js';

/**
 * Wraps a Lambda handler with what every function does around its work: tracing started (in Lambda
 * only), the correlation keys of its event on every log line of the invocation, the invocation in
 * its own X-Ray subsegment, and the buffered metrics written at the end, failed or not.
 */
export function observe<A extends unknown[], R>(
  name: string,
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    await startTracing();
    const keys = correlationOf(args[0]);
    log.correlate(keys);
    try {
      return await inSubsegment(name, keys.incidentId, () => handler(...args));
    } finally {
      flushMetrics();
      log.endInvocation();
    }
  };
}
