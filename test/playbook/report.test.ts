import { describe, expect, it } from 'vitest';
import { maskKey } from '../../handlers/shared/ids.js';
import type { ApprovePolicy } from '../../local/approver.js';
import { scenario } from '../support/fixtures.js';
import { run, variant } from '../support/simulate.js';

/** The seed's Output Format (seed 000), in order: the title, its rule, three header lines, five sections. */
const SEED_STRUCTURE = [
  /^S3 Data Exfiltration Investigation Report$/,
  /^={44}$/,
  /^Account: \d{12}$/,
  /^Detection Source: GuardDuty \S+$/,
  /^Investigation Date: \d{4}-\d{2}-\d{2}$/,
  /^INCIDENT TIMELINE:$/,
  /^COMPROMISED PRINCIPAL:$/,
  /^DATA IMPACT ASSESSMENT:$/,
  /^CONTAINMENT ACTIONS:$/,
];

const DONE = {
  deactivateAccessKey: (target: string) => `Access key ${maskKey(target)} deactivated`,
  startMacieJob: (target: string) => `Macie classification job ${target} started`,
  denyBucketAccess: (target: string) => `Bucket policy of ${target} denies the principal`,
  revokeUserSessions: (target: string) => `Sessions minted from the leaked key of ${target} before containment revoked`,
} as const;

function positions(lines: string[], patterns: RegExp[]): number[] {
  return patterns.map((pattern) => lines.findIndex((line) => pattern.test(line)));
}

describe('the investigation report follows the seed’s format', () => {
  it('the bundled scenario: the seed’s headings in the seed’s order, then ours', async () => {
    const lines = ((await run(scenario('compromised-iam-user-key'))).incidents[0]?.reportMarkdown ?? '').split('\n');

    const at = positions(lines, SEED_STRUCTURE);
    expect(at.every((index) => index >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const ours = positions(lines, [/^RECOMMENDED NEXT STEPS:$/, /^METRICS:$/, /^EVIDENCE SOURCES:$/]);
    expect(ours.every((index) => index > (at.at(-1) ?? 0))).toBe(true);
  });

  it('the timeline has the seed’s milestones plus the decision and every action, in time order', async () => {
    const report = (await run(scenario('compromised-iam-user-key'))).incidents[0]?.reportMarkdown ?? '';
    const timeline = report.slice(report.indexOf('INCIDENT TIMELINE:'), report.indexOf('COMPROMISED PRINCIPAL:'));
    const entries = timeline.split('\n').filter((line) => line.startsWith('  2026-'));

    const milestones = [
      /First anomalous S3 data event from 198\.51\.100\.23/,
      /02:47-04:12 UTC - 152 GetObject/,
      /GuardDuty finding generated/,
      /Approval requested in Slack/,
      /Approved by U024BE7LH/,
      /Access key AKIA\.\.\.WXYZ .* deactivated: done/,
      /Bucket policy of customer-records: Deny IR\w+: done/,
    ];
    for (const milestone of milestones) expect(entries.some((line) => milestone.test(line))).toBe(true);
    const times = entries.map((line) => line.slice(2, 18));
    expect([...times].sort()).toEqual(times);
  });

  const policies: [string, ApprovePolicy, string[]][] = [
    [
      'all approved',
      { kind: 'all' },
      ['deactivateAccessKey', 'deactivateAccessKey', 'revokeUserSessions', 'startMacieJob', 'denyBucketAccess'],
    ],
    // The finding's key and the key its holder created for another user.
    [
      'only the keys',
      { kind: 'actions', actions: ['deactivateAccessKey'] },
      ['deactivateAccessKey', 'deactivateAccessKey'],
    ],
    ['denied', { kind: 'none' }, []],
  ];
  it.each(policies)('%s: one [x] per applied action and a reason on every [ ]', async (_, approve, expected) => {
    const incident = (await run(scenario('compromised-iam-user-key'), approve)).incidents[0];
    const report = incident?.reportMarkdown ?? '';
    const checklist = report
      .slice(report.indexOf('CONTAINMENT ACTIONS:'), report.indexOf('RECOMMENDED NEXT STEPS:'))
      .split('\n')
      .filter((line) => line.startsWith('  ['));

    const checked = checklist.filter((line) => line.startsWith('  [x] '));
    const applied = (incident?.applied ?? []).filter((entry) => entry.result === 'applied');
    expect(applied.map((entry) => entry.action)).toEqual(expected);
    expect(checked).toEqual(applied.map((entry) => `  [x] ${DONE[entry.action as keyof typeof DONE](entry.target)}`));
    for (const line of checklist.filter((entry) => entry.startsWith('  [ ] '))) expect(line).toMatch(/ - \S/);
    // Every planned item and every action not planned is accounted for: 5 items, 1 not planned (no
    // VPC endpoint); a leaked long-term key has no role sessions to list.
    expect(checklist).toHaveLength(6);
  });

  it('a failed action is an unchecked line that names the error', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.faults = [{ call: 's3:PutBucketPolicy', error: 'AccessDenied', times: 10 }];
    });
    const report = (await run(input)).incidents[0]?.reportMarkdown ?? '';

    expect(report).toMatch(
      /^ {2}\[ \] Bucket policy of customer-records denies the principal - failed: AwsAccessDenied/m,
    );
  });
});
