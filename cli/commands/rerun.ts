import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseExecutionInput } from '../../handlers/shared/schemas/execution-input.js';
import { readText, UsageError } from '../io.js';
import { regionOfStateMachine, USAGE } from '../usage.js';

const INCIDENT_ID = /^\d{8}-[0-9a-f]{12}$/;
const FINDING_ID = /^[\w.:-]{1,300}$/;

export interface RerunOptions {
  readonly client?: SFNClient;
  readonly now?: () => Date;
}

/**
 * `responder rerun`: starts the playbook's state machine as a manual run from the console would,
 * with one of the accepted execution inputs (`execution-input.ts`):
 * - an incident id: `{"incidentId": …, "rerun": true}`, re-planned from the current state;
 * - a finding id (with `--detector`): `{"findingId", "detectorId"}`, fetched with GetFindings;
 * - a file: its JSON as it is (an EventBridge event, a finding, get-findings output…).
 * The input is checked here first (InvalidExecutionInput, exit 2). The execution gets a unique,
 * readable name, `rerun-<incident or finding id>-<yyyymmddHHMMss>`; prints it and its console link.
 */
export async function rerunCommand(args: string[], options: RerunOptions = {}): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'state-machine': { type: 'string' }, detector: { type: 'string' } },
    strict: true,
  });
  const [target, ...extra] = positionals;
  const stateMachineArn = values['state-machine'] ?? process.env.RESPONDER_STATE_MACHINE;
  if (!target || extra.length > 0 || !stateMachineArn) throw new UsageError(`usage: ${USAGE.rerun}`);
  const region = regionOfStateMachine(stateMachineArn);
  if (!region) throw new UsageError(`"${stateMachineArn}" is not a state machine ARN`);

  const { input, label } = inputFor(target, values.detector);
  parseExecutionInput(input);
  const stamp = (options.now ?? (() => new Date()))()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const name = `rerun-${label.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 58)}-${stamp}`;
  const client = options.client ?? new SFNClient({ region });
  const started = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  const executionArn = started.executionArn ?? `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  return [
    `Started ${name}`,
    executionArn,
    `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`,
  ].join('\n');
}

function inputFor(target: string, detector: string | undefined): { input: unknown; label: string } {
  if (INCIDENT_ID.test(target)) return { input: { incidentId: target, rerun: true }, label: target };
  if (existsSync(target) || target.includes('/') || target.endsWith('.json')) {
    let input: unknown;
    try {
      input = JSON.parse(readText(target));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${target} is not valid JSON: ${(error as Error).message}`);
    }
    return { input, label: labelOf(input) };
  }
  if (FINDING_ID.test(target)) {
    if (!detector) throw new UsageError('re-running a finding by id needs its detector: --detector <detectorId>');
    return { input: { findingId: target, detectorId: detector }, label: target };
  }
  throw new UsageError(`"${target}" is not an incident id (YYYYMMDD-<12 hex>), a finding id or a JSON file`);
}

/** The incident or finding id a file's input names, for the execution name. */
function labelOf(input: unknown): string {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const detail = (record.detail ?? {}) as Record<string, unknown>;
  const first = (Array.isArray(record.Findings) ? record.Findings[0] : undefined) as
    | Record<string, unknown>
    | undefined;
  const incident = ((detail.incident ?? record.incident) as Record<string, unknown> | undefined)?.findingId;
  const found = [record.incidentId, record.findingId, detail.id, record.id, record.Id, first?.Id, incident].find(
    (value) => typeof value === 'string' && value !== '',
  );
  return typeof found === 'string' ? found : 'input';
}
