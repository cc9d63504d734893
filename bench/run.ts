import '../local/polyfills.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../local/scenario.js';
import { type SimulateResult, simulate } from '../local/simulate.js';
import { benchBundles, bundleTable, SLACK_BUDGET_MS } from './bundles.js';
import { burstSection } from './burst.js';
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

await burstSection(record, seed);

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
