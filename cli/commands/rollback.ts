import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UsageError } from '../io.js';
import { regionOfStateMachine, USAGE } from '../usage.js';

export interface RollbackOptions {
  readonly client?: SFNClient;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly now?: () => Date;
}

/**
 * `responder rollback <incidentId>`: starts the deployed rollback state machine for the incident
 * (the same one the Slack Undo button starts, so it runs with the rollback function's least
 * privilege and is recorded in Step Functions), waits for it, and prints what it did.
 */
export async function rollbackCommand(args: string[], options: RollbackOptions = {}): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'state-machine': { type: 'string' },
      'reactivate-keys': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [incidentId, ...extra] = positionals;
  const stateMachineArn = values['state-machine'] ?? process.env.RESPONDER_ROLLBACK_STATE_MACHINE;
  if (!incidentId || extra.length > 0 || !stateMachineArn) throw new UsageError(`usage: ${USAGE.rollback}`);
  if (!/^\d{8}-[0-9a-f]{12}$/.test(incidentId))
    throw new UsageError(`"${incidentId}" is not an incident id (YYYYMMDD-<12 hex>)`);
  const region = regionOfStateMachine(stateMachineArn);
  if (!region) throw new UsageError(`"${stateMachineArn}" is not a state machine ARN`);
  // The rollback runs where its state machine lives, whatever the shell's default Region.
  const client = options.client ?? new SFNClient({ region });
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const stamp = (options.now ?? (() => new Date()))()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const started = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `rollback-${incidentId}-${stamp}`,
      input: JSON.stringify({ incidentId, reactivateKeys: values['reactivate-keys'] === true }),
    }),
  );
  for (let attempt = 0; attempt < 150; attempt += 1) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    if (execution.status === 'SUCCEEDED') return JSON.stringify(JSON.parse(execution.output ?? '{}'), null, 2);
    if (execution.status && execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
      throw new Error(`rollback ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim());
    }
    await sleep(2000);
  }
  throw new Error(`rollback still running after 5 minutes: ${started.executionArn}`);
}
