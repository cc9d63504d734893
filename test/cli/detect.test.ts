import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiCallEvent, mixedDetectionRecords } from '../../examples/src/detection-records.js';
import { random } from '../../examples/src/records.js';
import { DetectionEnvelope } from '../../handlers/shared/schemas/detection-envelope.js';
import { parseScenario } from '../../local/scenario.js';
import { runResponder as responder } from '../support/cli.js';
import { bulkAlarm, copy, dataEvent, jane, PARTNER } from '../support/detections.js';
import { readJson } from '../support/fixtures.js';

function file(content: string, name = 'input.json'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'responder-detect-')), name);
  writeFileSync(path, content);
  return path;
}

type Printed = { rule: string; incident: Record<string, unknown> }[];

async function detect(content: string, ...flags: string[]): Promise<Printed> {
  const { code, stdout, stderr } = await responder('detect', file(content), ...flags);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as Printed;
}

describe('responder detect (contract §10)', () => {
  it('prints [{"rule","incident"}] and nothing else for a {"Records"} file', async () => {
    const record = copy();

    const printed = await detect(JSON.stringify({ Records: [record] }));

    expect(printed).toHaveLength(1);
    expect(Object.keys(printed[0] ?? {}).sort()).toEqual(['incident', 'rule']);
    expect(printed[0]).toMatchObject({
      rule: 'cross-account-copy',
      incident: {
        source: 'detection',
        findingId: `cross-account-copy:${record.eventID}`,
        findingType: 'S3ExfilResponder:S3/CrossAccountCopy',
        severity: 8,
        accountId: '123456789012',
        region: 'us-east-1',
        principal: { type: 'IAMUser', arn: jane.arn, userName: 'developer-jane', accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ' },
        buckets: ['customer-records'],
        sourceIps: ['198.51.100.23'],
        firstSeen: '2026-03-04T02:10:00.000Z',
        lastSeen: '2026-03-04T02:10:00.000Z',
        count: 1,
      },
    });
  });

  it('prints [] when nothing fires', async () => {
    expect(await detect(JSON.stringify(dataEvent({ identity: jane })))).toEqual([]);
  });

  it('reads an EventBridge API-call event, an alarm event, and NDJSON with state kept across lines', async () => {
    const lines = [dataEvent(), dataEvent(), apiCallEvent(copy(), random(3)), dataEvent({ ip: '192.0.2.44' })];

    expect((await detect(JSON.stringify(apiCallEvent(copy(), random(4))))).map((entry) => entry.rule)).toEqual([
      'cross-account-copy',
    ]);
    expect((await detect(JSON.stringify(bulkAlarm())))[0]).toMatchObject({
      rule: 'bulk-download',
      incident: { principal: { type: 'Unknown' }, count: 1532 },
    });
    expect((await detect(lines.map((line) => JSON.stringify(line)).join('\n'))).map((entry) => entry.rule)).toEqual([
      'anonymous-rare-source',
      'cross-account-copy',
      'anonymous-rare-source',
    ]);
  });

  it('honours --trusted-accounts', async () => {
    const record = copy({ destination: { bucket: 'partner-intake', key: 'a.csv', account: PARTNER } });

    expect(await detect(JSON.stringify(record))).toHaveLength(1);
    expect(await detect(JSON.stringify(record), '--trusted-accounts', PARTNER)).toEqual([]);
  });

  it('reports exactly the expected detections among 10,000 mixed records', async () => {
    const { records, trustedAccounts, expected } = mixedDetectionRecords(10_000);

    const printed = await detect(
      records.map((record) => JSON.stringify(record)).join('\n'),
      '--trusted-accounts',
      trustedAccounts.join(','),
    );

    const counts: Record<string, number> = {};
    for (const entry of printed) counts[entry.rule] = (counts[entry.rule] ?? 0) + 1;
    expect(counts).toEqual(expected);
    expect(expected).toEqual({ 'cross-account-copy': 10, 'external-kms-copy': 10, 'anonymous-rare-source': 20 });
  });

  it.each([
    ['malformed JSON', '{"Records": [', 'InvalidFinding: (input): not valid JSON'],
    [
      'a record missing eventName',
      JSON.stringify({ Records: [{ ...copy(), eventName: undefined }] }),
      'InvalidFinding: Records[0].eventName: is required',
    ],
    [
      'a GuardDuty event',
      JSON.stringify({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} }),
      'InvalidFinding: detail-type: "GuardDuty Finding" is neither',
    ],
    ['a JSON number', '42', 'InvalidFinding: (input): expected a JSON object'],
  ])('exits 2 with one line on stderr naming the problem for %s', async (_label, content, message) => {
    const { code, stdout, stderr } = await responder('detect', file(content));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
  });

  it('exits 2 on a usage mistake', async () => {
    const missing = await responder('detect');
    const flag = await responder('detect', file('{}'), '--trusted-accounts', 'nope');

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('usage: responder detect');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('nope is not a 12-digit account id');
  });
});

describe('the cross-account-copy example scenario', () => {
  const raw = readJson<{
    config: { trustedAccounts: string[] };
    cloudtrail: { dataEvents: unknown[] };
    events: unknown[];
  }>('examples/cross-account-copy.json');

  it('loads as a scenario whose events are its CloudTrail records as EventBridge delivers them', () => {
    const scenario = parseScenario(raw);

    expect(scenario.events).toHaveLength(raw.cloudtrail.dataEvents.length);
    expect(scenario.events.map((event) => (event as { detail: unknown }).detail)).toEqual(raw.cloudtrail.dataEvents);
    expect(
      scenario.events.every(
        (event) => (event as Record<string, unknown>)['detail-type'] === 'AWS API Call via CloudTrail',
      ),
    ).toBe(true);
  });

  it('responder detect finds the same detections in its events as in its CloudTrail records', async () => {
    const trusted = ['--trusted-accounts', raw.config.trustedAccounts.join(',')];

    const fromRecords = await detect(JSON.stringify({ Records: raw.cloudtrail.dataEvents }), ...trusted);
    const fromEvents = await detect(JSON.stringify(raw.events), ...trusted);

    expect(fromRecords.map((entry) => entry.rule)).toEqual(Array(6).fill('cross-account-copy'));
    expect(fromEvents).toEqual(fromRecords);
    expect(DetectionEnvelope.shape.detail.parse(fromEvents[0]).incident.title).toMatch(/T1537.*444455556666/);
  });
});
