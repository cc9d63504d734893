import { mapAwsError } from '../handlers/shared/errors.js';
import type { Fault } from './scenario.js';

/**
 * Fails named AWS calls as a scenario's `faults` list says, at the port, the way the AWS adapter
 * would surface them (through the same error mapping), or makes reads stale (eventual
 * consistency). Each fault fires `times` times.
 */
export class FaultInjector {
  private readonly remaining: { fault: Fault; left: number }[];
  readonly fired: { call: string; error: string }[] = [];

  constructor(faults: readonly Fault[]) {
    this.remaining = faults.map((fault) => ({ fault, left: fault.times }));
  }

  /** Throws if an error fault is due for this call (`iam:UpdateAccessKey`). */
  check(call: string): void {
    const due = this.due(call, 'error');
    if (!due) return;
    const code = due.fault.error ?? 'ServiceFailure';
    this.fired.push({ call, error: code });
    const error = new Error(due.fault.message ?? `injected by the scenario (${code})`);
    error.name = code;
    throw mapAwsError(call, error);
  }

  /**
   * Whether this read (`s3:GetBucketPolicy`) answers stale: asked only when the target has a write
   * not yet shown, so each `stale` fault is spent on reads that could see the difference.
   */
  stale(call: string): boolean {
    if (!this.due(call, 'stale')) return false;
    this.fired.push({ call, error: 'stale' });
    return true;
  }

  private due(call: string, kind: 'error' | 'stale'): { fault: Fault; left: number } | undefined {
    const [service] = call.split(':');
    const due = this.remaining.find(
      (entry) =>
        entry.left > 0 &&
        (entry.fault.kind ?? 'error') === kind &&
        (entry.fault.call === call || entry.fault.call === `${service}:*`),
    );
    if (due) due.left -= 1;
    return due;
  }
}
