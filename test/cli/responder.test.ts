import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../cli/usage.js';
import { runResponder as responder, spawnResponder } from '../support/cli.js';
import { guardDutyEvent, ROOT, withField } from '../support/fixtures.js';

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'responder-')), 'input.json');
  writeFileSync(path, content);
  return path;
}

describe('responder normalize (contract §10)', () => {
  it('prints the contract for a real-shaped GuardDuty finding', async () => {
    const { code, stdout } = await responder('normalize', file(JSON.stringify(guardDutyEvent())));

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'accepted',
      incident: {
        source: 'guardduty',
        findingType: 'Exfiltration:S3/AnomalousBehavior',
        severity: 8,
        buckets: ['customer-records'],
        count: 1,
      },
    });
  });

  it('prints ignored with the reason for a sample finding', async () => {
    const { code, stdout } = await responder('normalize', 'test/fixtures/guardduty/sample-finding-api-form.json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ignored', reason: expect.stringContaining('sample') });
  });

  it.each([
    ['malformed JSON', '{"detail": ', 'InvalidFinding: (input): not valid JSON'],
    [
      'a finding missing detail.type',
      JSON.stringify(withField(guardDutyEvent(), 'detail.type', undefined)),
      'InvalidFinding: detail.type: is required',
    ],
  ])('exits 2 with the field path on stderr for %s', async (_label, content, message) => {
    const { code, stdout, stderr } = await responder('normalize', file(content));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
  });
});

describe('responder simulate --json (contract §10)', () => {
  it('prints the stable result object for the seed scenario', async () => {
    const { code, stdout } = await responder(
      'simulate',
      '--scenario',
      'examples/compromised-iam-user-key.json',
      '--approve',
      'all',
      '--json',
    );

    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      incidents: {
        incidentId: string;
        status: string;
        states: string[];
        transitions: number;
        plan: { action: string; target: string }[];
        applied: { action: string; result: string }[];
        reportMarkdown: string;
      }[];
      account: Record<string, unknown>;
    };
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked']);
    expect(result.incidents[0]).toMatchObject({
      incidentId: expect.stringMatching(/^\d{8}-[0-9a-f]{12}$/),
      transitions: expect.any(Number),
      plan: expect.arrayContaining([
        expect.objectContaining({ action: 'deactivateAccessKey', target: 'AKIA3EXAMPLEJNE7WXYZ' }),
        expect.objectContaining({ action: 'denyBucketAccess', target: 'customer-records' }),
      ]),
      reportMarkdown: expect.stringContaining('S3 Data Exfiltration Investigation Report'),
    });
    expect(Object.keys(result.account).sort()).toEqual([
      'accessKeys',
      'bucketPolicies',
      'macieJobs',
      'roleInlinePolicies',
      'userInlinePolicies',
      'vpcEndpointPolicies',
    ]);
    expect(result.account.accessKeys).toMatchObject({ AKIA3EXAMPLEJNE7WXYZ: 'Inactive' });
    expect(result.incidents[0]?.applied.every((entry) => entry.result === 'applied')).toBe(true);
  });

  it('exits 1 when an event ended failed, and still prints the result object', async () => {
    const seed = JSON.parse(readFileSync(join(ROOT, 'examples/compromised-iam-user-key.json'), 'utf8'));
    const scenario = file(JSON.stringify({ ...seed, events: [{ console: { hello: 'world' } }] }));

    const { code, stdout } = await responder('simulate', '--scenario', scenario, '--approve', 'all', '--json');

    expect(code).toBe(1);
    expect(JSON.parse(stdout).incidents[0]).toMatchObject({ status: 'failed', error: 'InvalidExecutionInput' });
  });

  it.each([
    ['an empty --approve', [''], /^UsageError: --approve is empty/],
    [
      'an action that is in no plan',
      ['restrictVpcEndpoint'],
      /^UsageError: --approve: restrictVpcEndpoint is in no plan/,
    ],
  ])('refuses %s with exit 2 and one line, before anything runs', async (_label, approve, message) => {
    const { code, stdout, stderr } = await responder(
      'simulate',
      '--scenario',
      'examples/compromised-iam-user-key.json',
      '--approve',
      ...approve,
      '--json',
    );

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('refuses an unknown --approve action with exit 2', async () => {
    const { code, stderr } = await responder(
      'simulate',
      '--scenario',
      'examples/compromised-iam-user-key.json',
      '--approve',
      'nukeEverything',
    );

    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown action nukeEverything/);
  });
});

describe('responder <command> --help', () => {
  it.each([
    ['simulate', '--help'],
    ['plan', '-h'],
    ['rollback', '--help'],
    ['detect', '-h'],
  ])('%s %s prints that command usage and exits 0', async (command, flag) => {
    const { code, stdout, stderr } = await responder(command, flag);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(`usage: ${USAGE[command as keyof typeof USAGE]}\n`);
  });
});

// The cases above run the command in this process; these start it as a user does, for what only a
// process shows: its exit status, and what reaches its stdout and stderr through the entry point.
describe('the responder process (end to end)', () => {
  it('prints a command usage on stdout and exits 0', () => {
    const { code, stdout, stderr } = spawnResponder('detect', '--help');

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(`usage: ${USAGE.detect}\n`);
  });

  it('exits 2 with one line on stderr and nothing on stdout for malformed input', () => {
    const { code, stdout, stderr } = spawnResponder('normalize', file('{"detail": '));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('InvalidFinding: (input): not valid JSON');
  });

  it('exits 1 when an event ended failed, and still prints the result object', () => {
    const seed = JSON.parse(readFileSync(join(ROOT, 'examples/compromised-iam-user-key.json'), 'utf8'));
    const scenario = file(JSON.stringify({ ...seed, events: [{ console: { hello: 'world' } }] }));

    const { code, stdout } = spawnResponder('simulate', '--scenario', scenario, '--approve', 'all', '--json');

    expect(code).toBe(1);
    expect(JSON.parse(stdout).incidents[0]).toMatchObject({ status: 'failed', error: 'InvalidExecutionInput' });
  });
});
