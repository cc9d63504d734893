import '../local/polyfills.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { registerIncident } from '../handlers/register-incident/core.js';
import type { Registration } from '../handlers/register-incident/schema.js';
import { requestApproval } from '../handlers/request-approval/core.js';
import { runTask } from '../handlers/shared/define-task.js';
import { createDocumentClient, DynamoIncidentStore } from '../handlers/shared/store/dynamodb-store.js';
import { parseConfig, toSettings } from '../infra/config.js';
import { SimClock } from '../local/clock.js';
import { createIncidentTable, startDynalite } from '../local/dynalite.js';
import { parseScenario } from '../local/scenario.js';
import { localConfig, type SimulateResult, simulate } from '../local/simulate.js';
import { loadPlaybooks } from '../playbooks/index.js';
import { benchBundles, bundleTable, SLACK_BUDGET_MS } from './bundles.js';
import { detectSection } from './detect.js';
import { benchSlackDoor, DOOR_BUDGET_MS } from './slack-door.js';

/**
 * `npm run bench`: prints figures (and writes bench/results.json). Nothing here asserts a time;
 * tests never do either.
 */
process.env.RESPONDER_SILENT = '1';
const root = join(import.meta.dirname, '..');
const seed = parseScenario(JSON.parse(readFileSync(join(root, 'examples/compromised-iam-user-key.json'), 'utf8')));
const STANDARD_PRICE_PER_1000_TRANSITIONS = 0.025;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

const transitions = (result: SimulateResult) => result.incidents[0]?.transitions ?? 0;

const rows: [string, string][] = [];
const results: Record<string, number> = {};
const RUNS = 10;
const bundles = await benchBundles(RUNS);
record(
  `Slack handler: cold import + first signed request (median of ${RUNS}; Slack allows ${SLACK_BUDGET_MS / 1000} s)`,
  'slackColdRequestMs',
  bundles.slack.totalMs,
  `ms (${(bundles.slack.budgetFraction * 100).toFixed(1)} % of the budget)`,
);
record('  of which the import', 'slackColdImportMs', bundles.slack.importMs, 'ms');
record(
  '  of which the request (secret read, Bolt, DynamoDB, SendTaskSuccess, chat.update)',
  'slackFirstRequestMs',
  bundles.slack.requestMs,
  'ms',
);
/** Adds a row to the printed table and a figure to bench/results.json. */
function record(label: string, key: string, value: number, unit: string, digits = 0): void {
  results[key] = value;
  rows.push([label, `${value.toFixed(digits)} ${unit}`]);
}

const wall: number[] = [];
let happy: SimulateResult | undefined;
for (let run = 0; run < 5; run += 1) {
  const { ms, value } = await timed(() => simulate(seed, { approve: { kind: 'all' } }));
  wall.push(ms);
  happy = value;
}
record('simulate, seed scenario (median of 5)', 'simulateMs', median(wall), 'ms');
const denied = await simulate(seed, { approve: { kind: 'none' } });
const partial = await simulate(seed, { approve: { kind: 'actions', actions: ['denyBucketAccess'] } });
for (const [label, key, result] of [
  ['state transitions, contained', 'transitionsContained', happy],
  ['state transitions, denied', 'transitionsDenied', denied],
  ['state transitions, partial approval', 'transitionsPartial', partial],
] as const) {
  if (!result) continue;
  record(label, key, transitions(result), 'transitions');
  record(
    `  Standard workflow cost per 1,000 incidents (${label.split(', ')[1]})`,
    `${key}CostPer1000`,
    (transitions(result) * 1000 * STANDARD_PRICE_PER_1000_TRANSITIONS) / 1000,
    'USD',
    3,
  );
}

const dynamo = await startDynalite();
await createIncidentTable(dynamo.client, 'bench');
const store = new DynamoIncidentStore(createDocumentClient(dynamo.client), 'bench');
const burst = 500;
const { ms: burstMs } = await timed(() =>
  Promise.all(
    Array.from({ length: burst }, (_, index) =>
      store.claimFinding({
        findingId: `finding-${index % 50}`,
        incidentId: `i-${index}`,
        executionName: `e-${index}`,
        count: index,
        now: '2026-01-01T00:00:00Z',
      }),
    ),
  ),
);
record(
  `burst registration (${burst} claims, 50 finding ids, dynalite)`,
  'claimsPerSecond',
  (burst / burstMs) * 1000,
  'claims/s',
);

/**
 * 10,000 GuardDuty events for 20 principals arriving at once (25 findings each, every finding
 * delivered 20 times with rising counts, in shuffled order), registered through the real
 * registration core against dynalite, at most CONCURRENCY at a time (the Lambda concurrency the
 * burst gets); StoreConflict is retried after a pause that holds no slot, as the state machine's
 * Retry does. Then one approval request per incident opened. Must give exactly 20 incidents and
 * 20 requests.
 */
const CONCURRENCY = 100;
const PRINCIPALS = 20;
const FINDINGS_PER_PRINCIPAL = 25;
const DELIVERIES = 20;
const [playbook] = await loadPlaybooks();
if (!playbook) throw new Error('no playbooks found');
const settings = toSettings(parseConfig(localConfig(seed)), playbook, { responderRoleArns: [] });
const seedEvent = seed.events[0] as { detail: Record<string, unknown> };
const burstEvents: { event: unknown; executionName: string }[] = [];
for (let p = 0; p < PRINCIPALS; p += 1) {
  for (let f = 0; f < FINDINGS_PER_PRINCIPAL; f += 1) {
    for (let d = 0; d < DELIVERIES; d += 1) {
      const event = structuredClone(seedEvent) as {
        detail: {
          id: string;
          resource: {
            accessKeyDetails: { userName: string; accessKeyId: string };
            s3BucketDetails: { name: string }[];
          };
          service: { count: number; action: { awsApiCallAction: { affectedResources: Record<string, string> } } };
        };
      };
      event.detail.id = `burst${String(p).padStart(2, '0')}f${String(f).padStart(2, '0')}`;
      event.detail.resource.accessKeyDetails.userName = `bench-user-${p}`;
      event.detail.resource.accessKeyDetails.accessKeyId = `AKIABENCH${String(p).padStart(11, '0')}`;
      event.detail.service.count = d + 1;
      // One bucket per principal: another caller on an open incident's bucket would fold into it.
      for (const bucket of event.detail.resource.s3BucketDetails) bucket.name = `bench-bucket-${p}`;
      event.detail.service.action.awsApiCallAction.affectedResources = { 'AWS::S3::Bucket': `bench-bucket-${p}` };
      burstEvents.push({ event, executionName: `burst-${burstEvents.length + 1}` });
    }
  }
}
let shuffle = 42;
for (let i = burstEvents.length - 1; i > 0; i -= 1) {
  shuffle = (shuffle * 1_103_515_245 + 12_345) % 2 ** 31;
  const j = shuffle % (i + 1);
  [burstEvents[i], burstEvents[j]] = [
    burstEvents[j] as (typeof burstEvents)[number],
    burstEvents[i] as (typeof burstEvents)[number],
  ];
}
const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
const chat = {
  post: async () => ({ channel: settings.slackChannel, ts: '1.0001' }),
  update: async () => undefined,
};
const registerPorts = { store, clock, chat, guardduty: { getFindings: async () => [] } };
let conflicts = 0;
let mostAttempts = 1;
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await run();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}
async function registerWithRetry(event: unknown, executionName: string): Promise<Registration> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const registration = await slot(() =>
        runTask(registerIncident, { event, settings, executionName }, registerPorts),
      );
      mostAttempts = Math.max(mostAttempts, attempt);
      return registration;
    } catch (error) {
      if ((error as Error).name !== 'StoreConflict' || attempt === 30) throw error;
      conflicts += 1;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
}
const { ms: burstRegistrationMs, value: registrations } = await timed(() =>
  Promise.all(burstEvents.map(({ event, executionName }) => registerWithRetry(event, executionName))),
);
const opened = registrations.filter((registration) => registration.status === 'open');
const linked = registrations.filter((registration) => registration.status === 'linked');
const folded = linked.filter((registration) => registration.reason?.startsWith('folded into')).length;
let nonce = 0;
const approvals = await Promise.all(
  opened.map((registration) =>
    runTask(
      requestApproval,
      {
        taskToken: `bench-token-${registration.incidentId}`,
        incidentId: registration.incidentId,
        incident: registration.incident,
        settings,
        plan: { items: [], recommendations: [], notPlanned: [], count: 0 },
        enrichment: {},
        executionName: `bench-${registration.incidentId}`,
        redriveCount: 0,
      },
      {
        store,
        chat,
        clock,
        random: {
          token: () => {
            nonce += 1;
            return `bench-nonce-${nonce}-0123456789abcdef`;
          },
        },
      },
    ),
  ),
);
await dynamo.stop();
if (opened.length !== PRINCIPALS || approvals.length !== PRINCIPALS) {
  throw new Error(
    `burst: expected ${PRINCIPALS} incidents and approval requests, got ${opened.length} and ${approvals.length}`,
  );
}
const label = `burst of ${burstEvents.length.toLocaleString('en-US')} events, ${PRINCIPALS} principals, ${CONCURRENCY} at a time (dynalite)`;
record(`${label}: incidents created`, 'burstIncidents', opened.length, 'incidents');
record(`  approval requests`, 'burstApprovals', approvals.length, 'requests');
record(`  duplicates suppressed (linked)`, 'burstLinked', linked.length, 'events');
record(`    same finding id (FINDING#)`, 'burstLinkedFinding', linked.length - folded, 'events');
record(`    same principal and bucket (CORRELATION#)`, 'burstLinkedCorrelation', folded, 'events');
record(
  `  StoreConflict retries (most attempts for one event: ${mostAttempts})`,
  'burstConflicts',
  conflicts,
  'retries',
);
record(
  `  registrations per second`,
  'burstRegistrationsPerSecond',
  (burstEvents.length / burstRegistrationMs) * 1000,
  'registrations/s',
);

// Sections: each takes `record` and adds its rows (one line each).
await detectSection(record);

for (const [index, door] of (await benchSlackDoor()).entries()) {
  const label = `Slack door, ${door.label}: ${door.statusCode} (median; max ${door.maxMs.toFixed(1)} ms; budget ${DOOR_BUDGET_MS} ms)`;
  record(label, `slackDoor${index}Ms`, door.medianMs, 'ms', 2);
}

console.log(bundleTable(bundles.handlers, RUNS));
console.log();
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
const handlers = Object.fromEntries(
  bundles.handlers.map(({ handler, bytes, coldImportMs }) => [handler, { bytes, coldImportMs }]),
);
writeFileSync(
  join(root, 'bench/results.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ...results, handlers }, null, 2)}\n`,
);
