import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX } from '../handlers/detect/detection.js';
import { InMemoryNewTermsStore } from '../handlers/detect/new-terms.js';
import { type DetectionRoutes, handleDetectionEvent } from '../handlers/detect/start.js';
import { type RollbackStep, rollbackIncident } from '../handlers/rollback-incident/core.js';
import { evidenceReportRewriter } from '../handlers/shared/close-sweep.js';
import { unconfiguredDataEventsPort } from '../handlers/shared/data-events-unconfigured.js';
import { type Ports, runTask } from '../handlers/shared/define-task.js';
import { causeMessage, InvalidScenario } from '../handlers/shared/errors.js';
import type { DataEventsPort } from '../handlers/shared/ports.js';
import type { ActionResult, PlanItem } from '../handlers/shared/schemas/plan.js';
import { DynamoLifecycleStore } from '../handlers/shared/store/dynamodb-lifecycle.js';
import type { IncidentStore } from '../handlers/shared/store/types.js';
import { renderAsl } from '../infra/asl.js';
import { parseConfig, toSettings } from '../infra/config.js';
import { loadPlaybooks } from '../playbooks/index.js';
import { type AccountSnapshot, InMemoryAccount } from './account.js';
import { type ApprovePolicy, localApprover } from './approver.js';
import { TokenBroker } from './broker.js';
import { type ChatRecord, RecordingChat } from './chat.js';
import { SimClock, systemRandom } from './clock.js';
import { closeStepOf, resolveIncidentId, runCloseStep } from './close-step.js';
import { createDocumentClient, createIncidentTable, startDynalite } from './dynalite.js';
import { FaultInjector } from './faults.js';
import { consoleInput, routeEvent, stackRules } from './route.js';
import { type Approver, type EventLog, runExecution } from './runner.js';
import type { Scenario } from './scenario.js';
import { type SlackApiMessage, SlackLog } from './slack-log.js';
import { validateAsl } from './validate-asl.js';

export { validateAsl };

export const INCIDENT_TABLE = 'responder-incidents';

/** One entry per arriving event (contract §10), plus `reason`/`error`/`route` extensions. */
export interface IncidentResult {
  incidentId: string | null;
  status: string;
  reason?: string;
  error?: string;
  /**
   * The stack's rule the event took: `guardduty`, `detection:<rule>`, `console`, or none
   * (`unrouted`); `close` for a close step (its status is the incident's, which closing keeps).
   */
  route?: string;
  executionName: string;
  states: string[];
  transitions: number;
  plan: PlanItem[];
  applied: ActionResult[];
  reportMarkdown: string;
  /** Every Slack call the run made for this event, in order, as the API payload (§10). */
  slackMessages: SlackApiMessage[];
}

export interface SimulateResult {
  incidents: IncidentResult[];
  account: AccountSnapshot;
  /** With `rollback`: what undoing each incident did (the account above is then the state after it). */
  rollback?: { incidentId: string; steps: RollbackStep[] }[];
}

export interface SimulateOptions {
  readonly approve: ApprovePolicy;
  /** Roll every incident back after the run (`simulate --rollback`). */
  readonly rollback?: { readonly reactivateKeys: boolean };
  readonly onEvent?: (event: EventLog, clock: SimClock) => void;
  readonly onChat?: (record: ChatRecord, kind: 'post' | 'update') => void;
  readonly onNote?: (line: string) => void;
  readonly ask?: (question: string) => Promise<string>;
  /** Called with the incident store and the results after the last event, before the store is discarded (tests). */
  readonly inspect?: (store: IncidentStore, incidents: readonly IncidentResult[]) => Promise<void>;
  /**
   * Receives each incident's report files after the last event, by file name (`<incidentId>.md`,
   * `.json`, `.html`): the three objects the stack writes to the evidence bucket (`--report-dir`).
   */
  readonly onReportFiles?: (files: ReadonlyMap<string, string>) => void;
  /** Wraps the data-event port (tests: a slow or failing Athena). */
  readonly dataEvents?: (port: DataEventsPort) => DataEventsPort;
}

/** Local stand-ins for the settings a deployment would provide (the scenario's `config` overrides them). */
export function localConfig(scenario: Scenario): Record<string, unknown> {
  return {
    irRoleArns: [`arn:aws:iam::${scenario.account}:role/IncidentResponder`],
    approvers: ['U0LOCALAPPROVER'],
    slackChannel: 'C0LOCALCHANNEL',
    ...scenario.config,
  };
}

/** The ARNs the responder's own Lambda roles would have: exempt from every deny, like in AWS. */
export function localResponderRoles(account: string): string[] {
  return [`arn:aws:iam::${account}:role/s3-exfil-responder-containment`];
}

const LATEST_EVENT_TIME = Date.parse('9999-12-31T23:59:59.999Z');

function eventTime(event: unknown): number | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  const detail = (record.detail ?? record) as Record<string, unknown>;
  const close = typeof record.close === 'object' && record.close !== null ? (record.close as { at?: unknown }) : {};
  const candidates = [record.time, detail.updatedAt, detail.UpdatedAt, close.at];
  for (const value of candidates) {
    const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    // A time the simulated clock cannot move to (or past) without leaving the Date range is no time.
    if (at >= 0 && at <= LATEST_EVENT_TIME) return at;
  }
  return undefined;
}

/**
 * What a scenario event starts the execution with: the event itself, or for `{"console": <input>}`
 * the input exactly as pasted into the console, except that an `incidentId` of `@<n>` names the
 * incident the n-th event (1-based) opened or was linked to, which a scenario cannot know ahead.
 */
function executionInput(event: unknown, index: number, incidents: readonly IncidentResult[]): unknown {
  const manual = consoleInput(event);
  if (!manual) return event;
  const input = manual.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const reference = /^@(\d+)$/.exec(String((input as { incidentId?: unknown }).incidentId ?? ''));
  if (!reference) return input;
  const incidentId = incidents[Number(reference[1]) - 1]?.incidentId;
  if (!incidentId) {
    throw new InvalidScenario(
      `events[${index}].console.incidentId`,
      `${reference[0]} names no incident: it must refer to an earlier event that opened or linked one`,
    );
  }
  return { ...input, incidentId };
}

/**
 * `responder simulate` (DESIGN §9): builds the playbook's definition as the stack does, validates
 * it, and runs one execution per scenario event against the in-memory account, with the real
 * DynamoDB store adapter on dynalite.
 */
export async function simulate(scenario: Scenario, options: SimulateOptions): Promise<SimulateResult> {
  const config = parseConfig(localConfig(scenario));
  const [playbook] = await loadPlaybooks();
  if (!playbook) throw new Error('no playbooks found');
  const settings = toSettings(config, playbook, {
    responderRoleArns: localResponderRoles(scenario.account),
    consoleRegion: scenario.region,
    homeAccountId: scenario.account,
    dataEventsTable: scenario.cloudtrail.athenaTable,
  });
  const asl = renderAsl(playbook, settings, { account: scenario.account, region: scenario.region });
  validateAsl(asl);
  const rules = stackRules(playbook, config);

  const times = scenario.events
    .map((event) => eventTime(consoleInput(event)?.input ?? event))
    .filter((at): at is number => at !== undefined);
  const start = scenario.clockStart
    ? Date.parse(scenario.clockStart)
    : times.length > 0
      ? Math.min(...times) + 120_000
      : Date.parse('2026-01-01T00:00:00Z');
  const clock = new SimClock(new Date(start));
  const dynamo = await startDynalite();
  try {
    await createIncidentTable(dynamo.client, INCIDENT_TABLE);
    const store = new DynamoLifecycleStore(createDocumentClient(dynamo.client), INCIDENT_TABLE);
    const account = new InMemoryAccount(scenario, new FaultInjector(scenario.faults));
    const slackLog = new SlackLog();
    const chat = new RecordingChat((record, kind) => {
      slackLog.record(record, kind);
      options.onChat?.(record, kind);
    });
    const broker = new TokenBroker();
    const ports: Ports = {
      iam: account.iam,
      s3: account.s3,
      ec2: account.ec2,
      macie: account.macie,
      cloudtrail: account.cloudtrail,
      dataEvents: (options.dataEvents ?? ((port) => port))(
        scenario.cloudtrail.athenaTable ? account.dataEvents : unconfiguredDataEventsPort(),
      ),
      evidence: account.evidence,
      guardduty: account.guardduty,
      chat,
      callbacks: broker,
      store,
      clock,
      timer: clock,
      random: systemRandom,
    };
    const approver = localApprover({
      policy: options.approve,
      ports,
      settings,
      clock,
      delayMinutes: scenario.approvalDelayMinutes,
      ask: options.ask,
      onNote: options.onNote,
    });
    const stateMachineArn = `arn:aws:states:${scenario.region}:${scenario.account}:stateMachine:s3-exfil-responder-${playbook.id}`;
    const slug = (scenario.name ?? 'scenario')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 40);
    const incidents: IncidentResult[] = [];
    let next = 0;
    const arrivalOf = (index: number) =>
      eventTime(consoleInput(scenario.events[index])?.input ?? scenario.events[index]);
    // An event that arrives while an approval is pending (before the simulated decision, or within
    // the heartbeat when nobody answers) starts its execution then, as it would in AWS: it can fold
    // into the incident awaiting approval. Console inputs carry no time and wait their turn.
    const arrivingApprover: Approver = async (request) => {
      const wait =
        options.approve.kind === 'timeout' ? request.heartbeatSeconds * 1000 : scenario.approvalDelayMinutes * 60_000;
      const horizon = clock.now().getTime() + wait;
      for (let at = arrivalOf(next); next < scenario.events.length && at !== undefined && at <= horizon; ) {
        await runEvent(next++);
        at = arrivalOf(next);
      }
      return approver(request);
    };
    // The incident each running execution registered, so a close step arriving while it waits for
    // its approval can name it (`@<n>`).
    const registered = new Map<string, string>();
    const execute = async (input: unknown, executionName: string): Promise<EventResult> => {
      const execution = await runExecution({
        asl,
        input,
        executionName,
        stateMachineArn,
        ports,
        broker,
        clock,
        approver: arrivingApprover,
        onEvent: (entry) => {
          const incidentId = registeredIncident(entry);
          if (incidentId) registered.set(executionName, incidentId);
          options.onEvent?.(entry, clock);
        },
      });
      return toResult(execution, executionName, account);
    };
    const detectionState = { newTerms: new InMemoryNewTermsStore() };
    const detectionConfig = {
      trustedAccounts: config.trustedAccounts,
      bulkDownloadAlarmPrefix: DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
      routes: Object.fromEntries(
        Object.keys(rules.detections).map((rule) => [rule, stateMachineArn]),
      ) as DetectionRoutes,
    };
    const startedNames = new Set<string>();
    const runEvent = async (index: number): Promise<void> => {
      const result = await slackLog.during(index, () => routeAndRun(index));
      incidents[index] = { ...result, slackMessages: slackLog.messagesOf(index) };
    };
    const routeAndRun = async (index: number): Promise<EventResult> => {
      const event = scenario.events[index];
      const at = eventTime(consoleInput(event)?.input ?? event);
      if (at !== undefined && at > clock.now().getTime()) clock.advance(at - clock.now().getTime() + 120_000);
      const executionName = `${slug}-${index + 1}`;
      const close = closeStepOf(event, index);
      if (close) {
        const known = scenario.events.map((_, earlier) => ({
          incidentId: incidents[earlier]?.incidentId ?? registered.get(`${slug}-${earlier + 1}`) ?? null,
        }));
        const incidentId = resolveIncidentId(close.incidentId, index, known);
        const closed = await runCloseStep(close, incidentId, {
          ...ports,
          reports: evidenceReportRewriter(ports.evidence),
        });
        return {
          ...notRun(closed.status, closed.reason, executionName),
          incidentId,
          route: 'close',
          reportMarkdown: account.evidenceObjects.get(`incidents/${incidentId}/report.md`)?.body ?? '',
        };
      }
      const route = routeEvent(event, rules);
      if (route.kind === 'unrouted') {
        return notRun('unrouted', 'no EventBridge rule of the stack matches this event', executionName);
      }
      if (route.kind !== 'detection') {
        const input = executionInput(event, index, incidents);
        return {
          ...(await execute(input, executionName)),
          route: route.kind === 'console' ? 'console' : 'guardduty',
        };
      }
      const label = `detection:${route.rules.join(',')}`;
      const started: EventResult[] = [];
      let already = 0;
      try {
        ({ already } = await handleDetectionEvent(
          event,
          {
            state: detectionState,
            starter: {
              start: async (_arn, name, input) => {
                if (startedNames.has(name)) return 'already';
                startedNames.add(name);
                const suffix = started.length === 0 ? '' : `-${started.length + 1}`;
                started.push(await execute(JSON.parse(input), `${executionName}${suffix}`));
                return 'started';
              },
            },
          },
          detectionConfig,
        ));
      } catch (error) {
        return {
          ...notRun('failed', (error as Error).message, executionName),
          error: (error as Error).name,
          route: label,
        };
      }
      return started[0]
        ? { ...started[0], route: label }
        : {
            ...notRun(
              'ignored',
              already > 0
                ? `matched ${label}: the playbook already ran for this detection (one execution per finding id)`
                : `matched ${label}, but no detection fired`,
              executionName,
            ),
            route: label,
          };
    };
    while (next < scenario.events.length) await runEvent(next++);
    // A close that came while its incident's execution was still running recorded the status of
    // that moment (awaiting approval, containing): its entry shows the status the run ended with.
    for (const entry of incidents) {
      if (entry.route !== 'close' || !entry.incidentId || !RUNNING.has(entry.status)) continue;
      entry.status = (await store.getIncident(entry.incidentId))?.status ?? entry.status;
    }
    await options.inspect?.(store, incidents);
    options.onReportFiles?.(reportFiles(account));
    if (!options.rollback) return { incidents, account: account.snapshot() };
    const rollback: { incidentId: string; steps: RollbackStep[] }[] = [];
    const ids = [
      ...new Set(incidents.map((incident) => incident.incidentId).filter((id): id is string => id !== null)),
    ];
    for (const incidentId of ids) {
      clock.advance(60_000);
      rollback.push(
        await runTask(rollbackIncident, { incidentId, reactivateKeys: options.rollback.reactivateKeys }, ports),
      );
    }
    return { incidents, account: account.snapshot(), rollback };
  } finally {
    await dynamo.stop();
  }
}

/** Statuses of an incident whose execution has not ended: never an entry's final status (§10). */
const RUNNING: ReadonlySet<string> = new Set(['open', 'awaiting_approval', 'containing']);

const REPORT_OBJECT = /^incidents\/([^/]+)\/report\.(md|json|html)$/;

/** The reports in the in-memory evidence bucket, named `<incidentId>.<md|json|html>`. */
function reportFiles(account: InMemoryAccount): Map<string, string> {
  const files = new Map<string, string>();
  for (const [key, object] of account.evidenceObjects) {
    const match = REPORT_OBJECT.exec(key);
    if (match) files.set(`${match[1]}.${match[2]}`, object.body);
  }
  return files;
}

type Execution = Awaited<ReturnType<typeof runExecution>>;

/** The incident id a Register Incident state exited with, if this log entry is that. */
function registeredIncident(entry: EventLog): string | undefined {
  if (entry.type !== 'StateExited' || entry.state?.name !== 'Register Incident') return undefined;
  const output = entry.state.output as { registration?: { incidentId?: unknown } } | undefined;
  return typeof output?.registration?.incidentId === 'string' ? output.registration.incidentId : undefined;
}

/** An event's entry before its Slack messages are added. */
type EventResult = Omit<IncidentResult, 'slackMessages'>;

/** The entry of an event that started no execution. */
function notRun(status: string, reason: string, executionName: string): EventResult {
  return {
    incidentId: null,
    status,
    reason,
    executionName,
    states: [],
    transitions: 0,
    plan: [],
    applied: [],
    reportMarkdown: '',
  };
}

function toResult(execution: Execution, executionName: string, account: InMemoryAccount): EventResult {
  const base = { executionName, states: execution.states, transitions: execution.transitions };
  const registration = execution.events.find(
    (event) => event.type === 'StateExited' && event.state?.name === 'Register Incident',
  )?.state?.output as { registration?: { incidentId?: string; delta?: boolean } } | undefined;
  const reportOf = (incidentId: string | null | undefined) =>
    incidentId ? (account.evidenceObjects.get(`incidents/${incidentId}/report.md`)?.body ?? '') : '';
  const applied = (list: ActionResult[] = []) =>
    list.map((entry) => ({ ...entry, detail: causeMessage(entry.detail) }));
  if (execution.status === 'FAILED') {
    const incidentId = registration?.registration?.incidentId ?? null;
    return {
      ...base,
      incidentId,
      status: 'failed',
      error: execution.error?.name,
      reason: causeMessage(execution.error?.cause),
      plan: [],
      applied: [],
      reportMarkdown: reportOf(incidentId),
    };
  }
  const output = execution.output as {
    incidentId?: string;
    status: string;
    reason?: string;
    plan?: PlanItem[];
    applied?: ActionResult[];
  };
  // A signal that folded into a contained incident and asked for its delta is still `linked`
  // (DESIGN §10): its entry shows the delta's own plan and applied items.
  const delta = registration?.registration?.delta === true;
  // An execution that asked for a queued delta after its decision wrote one report per round: its
  // entry has every round's plan and results (the latest per action and target, where a later
  // round's `already` does not hide what an earlier one applied), and the last round's status.
  const rounds = execution.events
    .filter((event) => event.type === 'StateExited' && event.state?.name === 'Write Report')
    .map((event) => (event.state?.output as { report?: typeof output } | undefined)?.report)
    .filter((round): round is typeof output => round !== undefined);
  return {
    ...base,
    incidentId: output.incidentId ?? null,
    status: delta ? 'linked' : output.status,
    reason: output.reason,
    plan: rounds.length > 1 ? mergeRounds(rounds.map((round) => round.plan ?? [])) : (output.plan ?? []),
    applied: applied(rounds.length > 1 ? mergeApplied(rounds.map((round) => round.applied ?? [])) : output.applied),
    reportMarkdown: output.status === 'linked' || output.status === 'ignored' ? '' : reportOf(output.incidentId),
  };
}

const itemKey = (item: { action: string; target: string }) => `${item.action}\u0000${item.target}`;

/** Every round's plan items, one per action and target (the latest round's). */
function mergeRounds(plans: readonly PlanItem[][]): PlanItem[] {
  const merged = new Map<string, PlanItem>();
  for (const item of plans.flat()) merged.set(itemKey(item), item);
  return [...merged.values()];
}

/** Every round's results, one per action and target: the latest, unless it only confirms (`already`) an earlier one. */
function mergeApplied(rounds: readonly ActionResult[][]): ActionResult[] {
  const merged = new Map<string, ActionResult>();
  for (const result of rounds.flat()) {
    const earlier = merged.get(itemKey(result));
    if (earlier && result.result === 'already' && earlier.result !== 'failed') continue;
    merged.set(itemKey(result), result);
  }
  return [...merged.values()];
}
