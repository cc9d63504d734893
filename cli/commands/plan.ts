import { parseArgs } from 'node:util';
import type { PlanItem } from '../../handlers/shared/schemas/plan.js';
import { loadScenario, type Scenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { UsageError } from '../io.js';
import { USAGE } from '../usage.js';

/** What `plan --json` prints for each arriving event (contract §10). */
export interface PlannedEvent {
  readonly event: number;
  readonly status: string;
  readonly route?: string;
  readonly incidentId: string | null;
  readonly reason?: string;
  readonly plan: PlanItem[];
}

/**
 * Runs the scenario in dry-run mode: each event is routed, registered, enriched and planned
 * exactly as `simulate` does, and nothing is asked or changed (the in-memory account is thrown away).
 */
export async function planScenario(scenario: Scenario): Promise<PlannedEvent[]> {
  const dry = { ...scenario, config: { ...scenario.config, dryRun: true } };
  const result = await simulate(dry, { approve: { kind: 'none' } });
  return result.incidents.map((incident, index) => ({
    event: index + 1,
    status: incident.status,
    route: incident.route,
    incidentId: incident.incidentId,
    reason: incident.reason,
    plan: incident.plan,
  }));
}

/** The action ids any plan of the scenario holds (for checking `--approve <action,…>`). */
export async function plannedActions(scenario: Scenario): Promise<Set<string>> {
  const events = await planScenario(scenario);
  return new Set(events.flatMap((event) => event.plan.map((item) => item.action)));
}

/**
 * `responder plan --scenario <file> [--json]` (DESIGN §5, contract §10): for each event, the plan
 * that would be put to the approvers, with each statement, its Sid and the policy sizes before and
 * after. Changes nothing.
 */
export async function planCommand(args: string[], write: (text: string) => void): Promise<PlannedEvent[]> {
  const { values } = parseArgs({
    args,
    options: { scenario: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.scenario) throw new UsageError(`usage: ${USAGE.plan}`);
  const events = await planScenario(loadScenario(values.scenario));
  if (values.json) {
    write(JSON.stringify({ events }, null, 2));
    return events;
  }
  for (const event of events) {
    const id = event.incidentId ? ` (incident ${event.incidentId})` : '';
    const status =
      event.status === 'planned' ? `${event.plan.length} action(s) would be put to the approvers` : event.status;
    write(`Event ${event.event}: ${status}${id}${event.reason ? `: ${event.reason}` : ''}`);
    for (const item of event.plan) write(...describe(item));
  }
  return events;
}

function describe(item: PlanItem): [string] {
  const lines = [`  ${item.action} ${item.target} (account ${item.accountId}, ${item.region}): ${item.summary}`];
  if (item.action === 'denyBucketAccess' || item.action === 'restrictVpcEndpoint') {
    lines.push(`    policy size ${item.sizeBefore} -> ${item.sizeAfter} of ${item.limit}`);
    for (const statement of item.statements) {
      lines.push(`    + ${statement.Sid}`);
      lines.push(
        ...JSON.stringify(statement, null, 2)
          .split('\n')
          .map((line) => `      ${line}`),
      );
    }
  }
  if (item.action === 'revokeRoleSessions')
    lines.push(`    + ${item.policyName} ${item.sid} on ${item.principalKind} ${item.name}`);
  if (item.action === 'startMacieJob') lines.push(`    job ${item.jobName} on ${item.buckets.join(', ')}`);
  return [lines.join('\n')];
}
