import { describe, expect, it } from 'vitest';
import { planCommand } from '../../cli/commands/plan.js';

async function plan(...args: string[]): Promise<string[]> {
  const printed: string[] = [];
  await planCommand(args, (text) => printed.push(text));
  return printed;
}

describe('responder plan (dry run)', () => {
  it('prints each event plan with exact statements, Sids and sizes as JSON', async () => {
    const [printed] = await plan('--scenario', 'examples/compromised-iam-user-key.json', '--json');

    const { events } = JSON.parse(printed ?? '{}') as {
      events: { event: number; status: string; plan: Record<string, unknown>[] }[];
    };
    expect(events.map((event) => [event.event, event.status])).toEqual([
      [1, 'planned'],
      [2, 'linked'],
    ]);
    const deny = events[0]?.plan.find((item) => item.action === 'denyBucketAccess') as {
      statements: { Sid: string; Condition: Record<string, Record<string, string[]>> }[];
      sizeBefore: number;
      sizeAfter: number;
      limit: number;
    };
    expect(deny.statements.map((statement) => statement.Sid)).toEqual(['IR2026022316e8db698d27DenyPrincipal']);
    expect(deny.statements[0]?.Condition.ArnEquals?.['aws:PrincipalArn']).toEqual([
      'arn:aws:iam::123456789012:user/engineering/developer-jane',
    ]);
    expect(deny.sizeAfter).toBeGreaterThan(deny.sizeBefore);
    expect(deny.limit).toBe(20480);
  });

  it('prints the statements and sizes as text without --json', async () => {
    const printed = (await plan('--scenario', 'examples/compromised-iam-user-key.json')).join('\n');

    expect(printed).toMatch(/^Event 1: 5 action\(s\) would be put to the approvers/m);
    expect(printed).toMatch(/policy size \d+ -> \d+ of 20480/);
    expect(printed).toContain('+ IR2026022316e8db698d27DenyPrincipal');
    expect(printed).toMatch(/^Event 2: linked/m);
  });

  it('refuses a missing --scenario with the usage line', async () => {
    await expect(plan('--json')).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/^usage: responder plan/),
    });
  });
});
