/**
 * Each command's usage, printed by `responder <command> --help` (and `-h`) and in usage errors.
 * One place, so the help and the errors say the same thing.
 */
export const USAGE = {
  normalize: 'responder normalize <finding-or-event.json>',
  detect: 'responder detect <file|dir>… [--trusted-accounts <id,…>] [--ndjson] [--strict] [--threads <n>]',
  simulate:
    'responder simulate --scenario <file> [--approve all|none|timeout|<action,…>] [--json] [--rollback [--reactivate-keys]] [--report-dir <dir>]',
  plan: 'responder plan --scenario <file> [--json]',
  rollback: 'responder rollback <incidentId> --state-machine <RollbackStateMachineArn> [--reactivate-keys]',
  rerun:
    'responder rerun <incidentId|findingId|file> --state-machine <PlaybookStateMachineArn> [--detector <detectorId>]',
  'slack-preview': 'responder slack-preview --scenario <file> [--out <file>]',
  close:
    'responder close <incidentId> --resolution true-positive|false-positive|benign [--note "…"] --function <CloseFunctionArn>',
} as const;

export type CommandName = keyof typeof USAGE;

export const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(USAGE, name);

/** True when the arguments ask for help (`-h`/`--help` before any `--` separator). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}

/** A state machine ARN and the Region it names (the client must call that Region). */
export const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[\w-]+$/;

export function regionOfStateMachine(arn: string): string | undefined {
  return STATE_MACHINE_ARN.exec(arn)?.[1];
}
