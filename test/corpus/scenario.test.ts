import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { InMemoryAccount } from '../../local/account.js';
import { FaultInjector } from '../../local/faults.js';
import { loadScenario, parseScenario } from '../../local/scenario.js';
import { localConfig } from '../../local/simulate.js';
import { readJson } from '../support/fixtures.js';
import { setPath } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, hostileValue, ONE_MB, outcomeSync, runs } from './support.js';

/**
 * Scenario files (`simulate --scenario`): whatever the file holds, `loadScenario`/`parseScenario`
 * answer a scenario or `InvalidScenario` naming the field; a scenario they accept builds its
 * in-memory account, and its config is accepted or refused with `ConfigError`.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.scenario));

const SEED_SCENARIO = readJson<Record<string, unknown>>('examples/compromised-iam-user-key.json');

const PATHS = [
  'name',
  'account',
  'region',
  'config',
  'config.approvers',
  'config.irRoleArns',
  'iam',
  'iam.users',
  'iam.users.0',
  'iam.users.0.userName',
  'iam.users.0.arn',
  'iam.users.0.mfaDevices',
  'iam.users.0.accessKeys',
  'iam.users.0.accessKeys.0.accessKeyId',
  'iam.users.0.accessKeys.0.status',
  'iam.users.0.inlinePolicies',
  'iam.roles.0.roleName',
  's3.buckets',
  's3.buckets.0.name',
  's3.buckets.0.policy',
  's3.buckets.0.tags',
  's3.buckets.0.versioning',
  's3.buckets.0.replication',
  's3.buckets.0.encryption',
  's3.buckets.0.macie',
  'vpcEndpoints',
  'cloudtrail',
  'cloudtrail.managementEvents',
  'cloudtrail.dataEvents',
  'macie',
  'guardduty',
  'guardduty.findings',
  'events',
  'faults',
  'concurrentEdits',
  'approvalDelayMinutes',
  'clockStart',
];

/** Parses, then builds what `simulate` builds from a scenario before any event runs. */
function load(raw: unknown): string {
  distinct.add(raw);
  const parsed = outcomeSync(() => parseScenario(raw), raw);
  if (!parsed.ok) {
    expect(parsed.error).toBe('InvalidScenario');
    return parsed.error;
  }
  new InMemoryAccount(parsed.value, new FaultInjector(parsed.value.faults)).snapshot();
  const config = outcomeSync(() => parseConfig(localConfig(parsed.value)), raw);
  if (!config.ok) expect(config.error).toBe('ConfigError');
  return config.ok ? 'loaded' : config.error;
}

describe('hostile scenario files', () => {
  it('generated changes to the seed scenario: a scenario, InvalidScenario or ConfigError', () => {
    const change = fc.tuple(fc.constantFrom(...PATHS), fc.option(hostileValue, { nil: undefined }));
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 3 }), (changes) => {
        load(changes.reduce<unknown>((raw, [path, value]) => setPath(raw, path, value), SEED_SCENARIO));
      }),
      runs(150),
    );
  });

  it('anything at all: InvalidScenario', () => {
    fc.assert(
      fc.property(hostileValue, (raw) => {
        load(raw);
      }),
      runs(30),
    );
  });

  it.each<[string, string, RegExp]>([
    ['truncated JSON', JSON.stringify(SEED_SCENARIO).slice(0, 200), /is not valid JSON/],
    ['an empty file', '', /is not valid JSON/],
    ['a byte-order mark', `\ufeff${JSON.stringify(SEED_SCENARIO)}`, /is not valid JSON/],
    ['a JSON array', '[]', /expected object/],
    ['JSON null', 'null', /expected object/],
    ['a 1 MB string', JSON.stringify(ONE_MB), /expected object/],
    ['no events', JSON.stringify({ ...SEED_SCENARIO, events: [] }), /^events: a scenario needs at least one event/],
    [
      'a unicode bucket name',
      JSON.stringify(setPath(SEED_SCENARIO, 's3.buckets.0.name', 'bücket')),
      /^s3\.buckets\[0\]\.name: /,
    ],
    ['a clock start that is no time', JSON.stringify({ ...SEED_SCENARIO, clockStart: 'tomorrow' }), /^clockStart: /],
    [
      'a clock start in year 275760',
      JSON.stringify({ ...SEED_SCENARIO, clockStart: '+275760-09-13T00:00:00Z' }),
      /^clockStart: /,
    ],
    [
      'an approval delay of 1e300 minutes',
      JSON.stringify({ ...SEED_SCENARIO, approvalDelayMinutes: 1e300 }),
      /^approvalDelayMinutes: /,
    ],
    [
      'a fault on a made-up call',
      JSON.stringify({ ...SEED_SCENARIO, faults: [{ call: 'iam:Drop Tables', error: 'x' }] }),
      /^faults\[0\]\.call: /,
    ],
  ])('a file with %s: InvalidScenario naming the problem', (_label, text, message) => {
    distinct.add(text);
    const path = join(mkdtempSync(join(tmpdir(), 'corpus-scenario-')), 'scenario.json');
    writeFileSync(path, text);

    const result = outcomeSync(() => loadScenario(path), text);

    expect(result).toMatchObject({ ok: false, error: 'InvalidScenario', message: expect.stringMatching(message) });
  });

  it('a path that is a directory or does not exist: InvalidScenario', () => {
    for (const path of [tmpdir(), join(tmpdir(), 'no-such-scenario-file.json')]) {
      distinct.add(path);
      expect(outcomeSync(() => loadScenario(path), path)).toMatchObject({ ok: false, error: 'InvalidScenario' });
    }
  });
});
