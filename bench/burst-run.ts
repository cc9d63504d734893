import '../local/polyfills.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../local/scenario.js';
import { simulate } from '../local/simulate.js';
import { burstSection } from './burst.js';

/**
 * `npm run bench:burst`: the burst section of `npm run bench` alone (the claims, then the 10,000
 * events), after one run of the seed scenario, as `npm run bench` runs it after its simulations.
 */
process.env.RESPONDER_SILENT = '1';
const root = join(import.meta.dirname, '..');
const seed = parseScenario(JSON.parse(readFileSync(join(root, 'examples/compromised-iam-user-key.json'), 'utf8')));
await simulate(seed, { approve: { kind: 'all' } });
const rows: [string, string][] = [];
await burstSection((label, _key, value, unit, digits = 0) => {
  rows.push([label, `${value.toFixed(digits)} ${unit}`.trim()]);
}, seed);
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
