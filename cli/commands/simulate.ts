import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ApprovePolicy, parseApprove } from '../../local/approver.js';
import { loadScenario } from '../../local/scenario.js';
import { type SimulateResult, simulate } from '../../local/simulate.js';
import { UsageError } from '../io.js';
import { ProgressPrinter } from '../progress.js';
import { USAGE } from '../usage.js';
import { plannedActions } from './plan.js';

/**
 * `responder simulate` (DESIGN §9). Text mode prints one progress line per state, the Slack
 * messages, and each incident's report; `--json` prints only the contract object (§10).
 */
export async function simulateCommand(args: string[], write: (text: string) => void): Promise<SimulateResult> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      approve: { type: 'string' },
      json: { type: 'boolean', default: false },
      rollback: { type: 'boolean', default: false },
      'reactivate-keys': { type: 'boolean', default: false },
      'report-dir': { type: 'string' },
    },
    strict: true,
  });
  if (!values.scenario) throw new UsageError(`usage: ${USAGE.simulate}`);
  let approve: ApprovePolicy;
  try {
    // An empty --approve is a mistake, never "approve all".
    approve =
      values.approve !== undefined
        ? parseApprove(values.approve)
        : process.stdin.isTTY && !values.json
          ? { kind: 'prompt' }
          : { kind: 'all' };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const scenario = loadScenario(values.scenario);
  if (approve.kind === 'actions') {
    // An action no plan holds would be recorded as a denial of everything: refuse it before the run.
    const planned = await plannedActions(scenario);
    const absent = approve.actions.filter((action) => !planned.has(action));
    if (absent.length > 0) {
      throw new UsageError(
        `--approve: ${absent.join(', ')} is in no plan of this scenario (planned: ${[...planned].join(', ') || 'nothing'})`,
      );
    }
  }
  const json = values.json === true;
  const say = (line: string) => {
    if (!json) write(line);
  };
  say(
    `Simulating ${scenario.name ?? values.scenario} (account ${scenario.account}, ${scenario.events.length} event${scenario.events.length === 1 ? '' : 's'})`,
  );
  if (!values.approve && approve.kind === 'all')
    say('  (no --approve and no terminal: approving every planned action, as in a drill)');
  let printer: ProgressPrinter | undefined;
  const result = await simulate(scenario, {
    approve,
    rollback: values.rollback ? { reactivateKeys: values['reactivate-keys'] === true } : undefined,
    onEvent: (event, clock) => {
      printer ??= new ProgressPrinter(clock);
      const line = printer.state(event);
      if (line) say(line);
    },
    onChat: (record, kind) => {
      if (printer) say(printer.chat(record, kind));
    },
    onNote: (line) => say(`  ! ${line}`),
    onReportFiles: values['report-dir'] ? (files) => writeReports(values['report-dir'] as string, files) : undefined,
  });
  if (json) {
    write(JSON.stringify(result, null, 2));
    return result;
  }
  for (const [index, incident] of result.incidents.entries()) {
    write('');
    write(
      `Event ${index + 1}: ${incident.status}${incident.incidentId ? ` (incident ${incident.incidentId})` : ''}${incident.error ? `: ${incident.error}` : ''}${incident.reason ? `: ${incident.reason}` : ''}`,
    );
    if (incident.reportMarkdown) write(`\n${incident.reportMarkdown}`);
  }
  for (const undone of result.rollback ?? []) {
    write(`\nRollback of incident ${undone.incidentId}:`);
    for (const step of undone.steps) write(`  [${step.result}] ${step.kind} ${step.target}: ${step.detail}`);
  }
  return result;
}

/** Writes `<incidentId>.md`, `.json` and `.html` into `dir` (created if missing); one line naming the directory if it cannot. */
function writeReports(dir: string, files: ReadonlyMap<string, string>): void {
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, body] of files) writeFileSync(join(dir, name), body);
  } catch (error) {
    throw new UsageError(
      `--report-dir ${dir}: cannot write the reports (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
