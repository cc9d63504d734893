import '../local/polyfills.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDocumentClient, DynamoIncidentStore } from '../handlers/shared/store/dynamodb-store.js';
import { createIncidentTable, startDynalite } from '../local/dynalite.js';
import { parseScenario } from '../local/scenario.js';
import { type SimulateResult, simulate } from '../local/simulate.js';

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
await dynamo.stop();
record(
  `burst registration (${burst} claims, 50 finding ids, dynalite)`,
  'claimsPerSecond',
  (burst / burstMs) * 1000,
  'claims/s',
);

const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
writeFileSync(
  join(root, 'bench/results.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ...results }, null, 2)}\n`,
);
