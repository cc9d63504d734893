import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemoryAccount } from '../../local/account.js';
import { FaultInjector } from '../../local/faults.js';
import { consoleInput } from '../../local/route.js';
import type { Scenario } from '../../local/scenario.js';
import type { SimulateResult } from '../../local/simulate.js';
import { run, variant } from '../support/simulate.js';
import { EVENT, type Expected, refusedInput, setPath } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, hugeArray, NAMED_ERRORS, ONE_MB, describe as render, SEED } from './support.js';

/**
 * Hostile execution inputs through the whole state machine (`simulate`: the rendered ASL, the task
 * cores, dynalite, the in-memory account) with every plan approved, so anything that slipped past
 * validation would be contained and show up as a write. Each event is its own execution. Every one
 * must fail with a named error or end `ignored`, and the account must be exactly as before.
 */

const distinct = new Distinct();
afterAll(() => expectAtLeast(distinct, PLAN.flow));

type Outcome = Expected | 'named error';

const DETAIL = EVENT.detail as Record<string, unknown>;
const finding = (id: string, path: string, value: unknown, also: Record<string, unknown> = {}) =>
  setPath({ ...DETAIL, ...also, id }, path, value) as Record<string, unknown>;

/** Findings GetFindings answers for `{findingId, detectorId}` references below. */
const REFERENCED = [
  finding('ref-unicode-bucket', 'resource.s3BucketDetails.0.name', 'bücket'),
  finding('ref-sql-user', 'resource.accessKeyDetails.userName', "jane' OR '1'='1"),
  finding('ref-ec2', 'type', 'Recon:EC2/PortProbeUnprotectedPort'),
  finding('ref-sample', 'service.additionalInfo', { value: '{"sample":true}', type: 'default' }),
  // Display fields never reject a finding (they are cut); an invalid id alongside still does.
  finding('ref-1mb-title', 'title', ONE_MB, { accountId: 'not-an-account' }),
];

const HAND_PICKED: [string, unknown, Outcome][] = [
  ['a number', 42, 'InvalidExecutionInput'],
  ['a string of truncated JSON', '{"detail-type":"GuardDuty Finding","detail":{', 'InvalidExecutionInput'],
  ['a 1 MB string', ONE_MB, 'InvalidExecutionInput'],
  ['an array', [EVENT], 'InvalidExecutionInput'],
  ['an array of 100,000 entries', hugeArray(), 'InvalidExecutionInput'],
  ['an empty object', {}, 'InvalidExecutionInput'],
  ['detail a string', { ...EVENT, detail: 'x' }, 'InvalidExecutionInput'],
  ['detail an array', { ...EVENT, detail: [DETAIL] }, 'InvalidExecutionInput'],
  ['no detail', setPath(EVENT, 'detail', undefined), 'InvalidExecutionInput'],
  [
    'an EC2 event',
    { ...EVENT, 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2' },
    'InvalidExecutionInput',
  ],
  ['a Macie finding', { ...EVENT, 'detail-type': 'Macie Finding', source: 'aws.macie' }, 'InvalidExecutionInput'],
  ['an IAM finding type', setPath(EVENT, 'detail.type', 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'), 'ignored'],
  ['an EKS finding type', setPath(EVENT, 'detail.type', 'Execution:Kubernetes/ExecInKubeSystemPod'), 'ignored'],
  ['an S3 type outside findingTypes', setPath(EVENT, 'detail.type', 'Discovery:S3/MaliciousIPCaller'), 'ignored'],
  ['a type with SQL', setPath(EVENT, 'detail.type', "Exfiltration:S3/x' OR 1=1"), 'InvalidExecutionInput'],
  [
    '1,001 buckets',
    setPath(
      EVENT,
      'detail.resource.s3BucketDetails',
      Array.from({ length: 1001 }, (_, i) => ({ name: `bucket-${i}` })),
    ),
    'InvalidExecutionInput',
  ],
  [
    'a bucket named by an ARN',
    setPath(EVENT, 'detail.resource.s3BucketDetails.0.name', 'arn:aws:s3:::customer-records'),
    'InvalidExecutionInput',
  ],
  [
    'an IP-address bucket',
    setPath(EVENT, 'detail.resource.s3BucketDetails.0.name', '192.168.1.10'),
    'InvalidExecutionInput',
  ],
  [
    'a user name with a slash',
    setPath(EVENT, 'detail.resource.accessKeyDetails.userName', 'engineering/jane'),
    'InvalidExecutionInput',
  ],
  [
    'a session name with SQL',
    setPath(EVENT, 'detail.resource.accessKeyDetails', {
      userType: 'AssumedRole',
      userName: 'analytics-reader',
      principalId: "AROAEXAMPLE:x' OR '1'='1",
    }),
    'InvalidExecutionInput',
  ],
  [
    'an IP with a zone',
    setPath(EVENT, 'detail.service.action.awsApiCallAction.remoteIpDetails', { ipAddressV6: 'fe80::1%eth0' }),
    'InvalidExecutionInput',
  ],
  [
    'a 1 MB country beside an invalid account',
    setPath(
      setPath(EVENT, 'detail.service.action.awsApiCallAction.remoteIpDetails.country.countryName', ONE_MB),
      'detail.accountId',
      '12345',
    ),
    'InvalidExecutionInput',
  ],
  [
    'a 1 MB country on a sample finding',
    setPath(
      setPath(EVENT, 'detail.service.action.awsApiCallAction.remoteIpDetails.country.countryName', ONE_MB),
      'detail.service.additionalInfo',
      { sample: true },
    ),
    'ignored',
  ],
  ['severity "8"', setPath(EVENT, 'detail.severity', '8'), 'InvalidExecutionInput'],
  ['count -1', setPath(EVENT, 'detail.service.count', -1), 'InvalidExecutionInput'],
  [
    'updatedAt in year 275760',
    setPath(EVENT, 'detail.updatedAt', '+275760-09-13T00:00:00.000Z'),
    'InvalidExecutionInput',
  ],
  [
    'event time in year 275760, archived',
    setPath(setPath(EVENT, 'time', '+275760-09-13T00:00:00.000Z'), 'detail.service.archived', true),
    'ignored',
  ],
  [
    'a sample finding in the API encoding',
    setPath(EVENT, 'detail.service.additionalInfo', { value: '{"sample":true}' }),
    'ignored',
  ],
  ['get-findings output with two findings', { Findings: [DETAIL, DETAIL] }, 'InvalidExecutionInput'],
  [
    'a rerun of an unknown incident',
    { console: { incidentId: '20260101-000000000000', rerun: true } },
    'InvalidExecutionInput',
  ],
  [
    'a rerun with SQL in the id',
    { console: { incidentId: "20260101-0000' OR '1'='1", rerun: true } },
    'InvalidExecutionInput',
  ],
  [
    'a rerun with rerun false',
    { console: { incidentId: '20260101-000000000000', rerun: false } },
    'InvalidExecutionInput',
  ],
  [
    'a reference to an unknown finding',
    { console: { findingId: 'nope', detectorId: '12abc34d567e8fa901bc2d34e56789f0' } },
    'InvalidExecutionInput',
  ],
  [
    'a reference to another detector',
    { console: { findingId: 'ref-ec2', detectorId: 'ffffffffffffffffffffffffffffffff' } },
    'InvalidExecutionInput',
  ],
  [
    'a reference in another account',
    { console: { findingId: 'ref-ec2', detectorId: '12abc34d567e8fa901bc2d34e56789f0', accountId: '999999999999' } },
    'named error',
  ],
  ...REFERENCED.map((entry): [string, unknown, Outcome] => [
    `a reference to ${String(entry.id)}`,
    { console: { findingId: entry.id, detectorId: '12abc34d567e8fa901bc2d34e56789f0' } },
    entry.id === 'ref-ec2' || entry.id === 'ref-sample' ? 'ignored' : 'InvalidExecutionInput',
  ]),
  ['a detection with an empty incident', { console: { rule: 'bulk-download', incident: {} } }, 'InvalidExecutionInput'],
  ['a detection of an unknown rule', { console: { rule: 'drop-tables', incident: DETAIL } }, 'InvalidExecutionInput'],
  [
    'our envelope with a GuardDuty finding inside',
    {
      source: 's3-exfil-responder.detection',
      'detail-type': 'S3 Exfil Responder Detection',
      detail: { rule: 'bulk-download', incident: DETAIL },
    },
    'InvalidExecutionInput',
  ],
];

/** Generated refused events (seeded), batched into the same scenario. */
const GENERATED = fc.sample(refusedInput, { seed: SEED, numRuns: 50 });

function scenarioOf(events: unknown[]): Scenario {
  return variant('compromised-iam-user-key', (raw) => {
    // Execution inputs as a manual start gives them to the playbook, past the stack's rules.
    raw.events = events.map((event) => (consoleInput(event) ? event : { console: event }));
    raw.guardduty = { detectorId: '12abc34d567e8fa901bc2d34e56789f0', findings: REFERENCED };
  });
}

function untouched(scenario: Scenario) {
  return new InMemoryAccount(scenario, new FaultInjector([])).snapshot();
}

function check(result: SimulateResult, cases: { label: string; input: unknown; expected: Outcome }[]): string[] {
  const problems: string[] = [];
  cases.forEach(({ label, input, expected }, index) => {
    const entry = result.incidents[index];
    const got = entry?.status === 'failed' ? entry.error : entry?.status;
    const named = entry?.status === 'failed' && NAMED_ERRORS.has(entry.error ?? '');
    const ok =
      expected === 'ignored' ? got === 'ignored' : expected === 'named error' ? named : named && got === expected;
    if (!ok)
      problems.push(`${label}: ${got} (${entry?.reason?.slice(0, 200)}), expected ${expected}; input ${render(input)}`);
  });
  return problems;
}

describe('hostile execution inputs through simulate, every plan approved', () => {
  it('hand-picked inputs: each a named error or ignored, and no write to IAM, S3 or EC2', async () => {
    const cases = HAND_PICKED.map(([label, input, expected]) => ({ label, input, expected }));
    for (const { input } of cases) distinct.add(input);
    const scenario = scenarioOf(cases.map(({ input }) => input));

    const result = await run(scenario, { kind: 'all' });

    expect(result.incidents).toHaveLength(cases.length);
    expect(check(result, cases)).toEqual([]);
    expect(result.account).toEqual(untouched(scenario));
  });

  it(`${GENERATED.length} generated refused events (seed ${SEED}): as normalize says, and no write`, async () => {
    const cases = GENERATED.map(({ input, expected }, index) => ({ label: `generated #${index}`, input, expected }));
    for (const { input } of cases) distinct.add(input);
    const scenario = scenarioOf(cases.map(({ input }) => input));

    const result = await run(scenario, { kind: 'all' });

    expect(check(result, cases)).toEqual([]);
    expect(result.account).toEqual(untouched(scenario));
  });

  it('a JSON null input fails in Step Functions itself (the Start state), before any task runs', async () => {
    distinct.add(null);
    const scenario = scenarioOf([null]);

    const result = await run(scenario, { kind: 'all' });

    expect(result.incidents[0]).toMatchObject({ status: 'failed', error: 'States.Runtime', states: ['Start'] });
    expect(result.account).toEqual(untouched(scenario));
  });
});
