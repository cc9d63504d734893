import type { ApprovePolicy } from '../../local/approver.js';
import { parseScenario, type Scenario } from '../../local/scenario.js';
import { type SimulateResult, simulate } from '../../local/simulate.js';
import { scenario } from './fixtures.js';

/** The seed scenario (or another), with changes, as a fresh parsed scenario. */
export function variant(
  base: 'compromised-iam-user-key' | 'assumed-role-exfiltration',
  change: (raw: Record<string, unknown> & Scenario) => void = () => undefined,
): Scenario {
  const raw = structuredClone(scenario(base)) as Record<string, unknown> & Scenario;
  change(raw);
  return parseScenario(raw);
}

/** Runs `simulate` quietly with an approval policy. */
export function run(input: Scenario, approve: ApprovePolicy = { kind: 'all' }): Promise<SimulateResult> {
  return simulate(input, { approve });
}
