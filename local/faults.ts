import { mapAwsError } from '../handlers/shared/errors.js';
import type { Fault } from './scenario.js';

/**
 * Fails named AWS calls as a scenario's `faults` list says, at the port, the way the AWS adapter
 * would surface them (through the same error mapping). Each fault fires `times` times.
 */
export class FaultInjector {
  private readonly remaining: { fault: Fault; left: number }[];
  readonly fired: { call: string; error: string }[] = [];

  constructor(faults: readonly Fault[]) {
    this.remaining = faults.map((fault) => ({ fault, left: fault.times }));
  }

  /** Throws if a fault is due for this call (`iam:UpdateAccessKey`). */
  check(call: string): void {
    const [service] = call.split(':');
    const due = this.remaining.find(
      (entry) => entry.left > 0 && (entry.fault.call === call || entry.fault.call === `${service}:*`),
    );
    if (!due) return;
    due.left -= 1;
    this.fired.push({ call, error: due.fault.error });
    const error = new Error(due.fault.message ?? `injected by the scenario (${due.fault.error})`);
    error.name = due.fault.error;
    throw mapAwsError(call, error);
  }
}
