import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { PlanItem } from '../../handlers/shared/schemas/plan.js';
import type { IncidentResult } from '../../local/simulate.js';
import { ROOT } from '../support/fixtures.js';
import {
  type Base,
  brokenPromises,
  evidenceSources,
  expected,
  faultsFor,
  MATRIX,
  OUTSIDE_MATRIX,
  policyLosses,
  recordCalls,
  runCase,
  SOURCES,
  section,
} from './matrix.js';

vi.mock('../../local/account.js', async (original) =>
  (await import('./tap.js')).tapAccounts(await original<typeof import('../../local/account.js')>()),
);

/** Every `service:Operation` named in the in-memory account's source (`local/account.ts` and `local/account/`). */
function accountCalls(): Set<string> {
  const folder = join(ROOT, 'local/account');
  const files = [
    join(ROOT, 'local/account.ts'),
    ...(existsSync(folder) ? readdirSync(folder) : [])
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(folder, file)),
  ];
  const calls = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/'([a-z0-9]+:[A-Z][A-Za-z]+)'/g)].map((match) => match[1] as string),
  );
  return new Set(calls);
}

describe('the fault matrix covers every AWS call', () => {
  it('the matrix lists exactly the calls the seed runs make (re-run included), each with the scenario that makes it', async () => {
    const recorded: Record<Base, Set<string>> = {
      user: await recordCalls('user'),
      role: await recordCalls('role'),
      endpoint: await recordCalls('endpoint'),
    };

    const all = new Set(Object.values(recorded).flatMap((calls) => [...calls]));
    expect([...all].sort()).toEqual(Object.keys(MATRIX).sort());
    for (const [call, role] of Object.entries(MATRIX)) expect(recorded[role.base], call).toContain(call);
    // The assumed-role and endpoint scenarios stand in only for calls the user seed does not make.
    for (const [call, role] of Object.entries(MATRIX)) {
      if (role.base !== 'user') expect(recorded.user.has(call), call).toBe(false);
    }
  });

  it('every call the in-memory account can make is in the matrix or named outside it with a reason', () => {
    const calls = accountCalls();

    expect(calls.size).toBeGreaterThan(20);
    const unaccounted = [...calls].filter((call) => !(call in MATRIX) && !(call in OUTSIDE_MATRIX));
    expect(unaccounted).toEqual([]);
    for (const call of Object.keys(OUTSIDE_MATRIX)) expect(calls, call).toContain(call);
  });
});

/** What became of a plan item: `done` (applied or already), `failed: <error>`, or another result. */
function outcome(incident: IncidentResult, item: PlanItem): string {
  const entry = incident.applied.find((result) => result.action === item.action && result.target === item.target);
  if (entry?.result === 'applied' || entry?.result === 'already') return 'done';
  return entry?.result === 'failed' ? `failed: ${entry.error}` : (entry?.result ?? 'not attempted');
}

const ALL_OK = Object.fromEntries(Object.values(SOURCES).map((source) => [source, 'ok']));
const statuses = (report: string) =>
  Object.fromEntries(Object.entries(evidenceSources(report)).map(([source, entry]) => [source, entry.status]));

/**
 * One local run per call and fault (about 0.3 s each): the incident during the fault, then a
 * console re-run once it has cleared. Sequential on purpose: every run has its own dynalite, clock,
 * account and tap, so `describe.concurrent` is safe, but the runs are CPU-bound in one worker and
 * it is not faster.
 */
describe.each(Object.entries(MATRIX))('%s', (call, role) => {
  it.each(faultsFor(call))('$kind ($code ×$times)', async (fault) => {
    const want = expected(role, fault);

    const run = await runCase(role.base, call, fault);

    const { first, rerun } = run;
    // The fault happened, at this call only.
    expect(run.tap.fired.length).toBeGreaterThan(0);
    expect(new Set(run.tap.fired)).toEqual(new Set([call]));
    // The incident's status is the honest one.
    expect(first.status).toBe(want.status);
    if (want.status === 'failed') {
      // The report could not be written: the execution fails naming the call, and nothing claims otherwise.
      expect(first.error).toBe(fault.mapped);
      expect(first.reason).toContain(`${call} failed: ${fault.code}`);
      expect(first.reportMarkdown).toBe('');
    } else {
      const report = first.reportMarkdown;
      // EVIDENCE SOURCES: the degraded source says so and why; every other one is ok.
      const sources = { ...ALL_OK, ...(want.source && { [want.source.name]: want.source.status }) };
      expect(statuses(report)).toEqual(sources);
      if (want.source && want.source.status !== 'ok') {
        expect(evidenceSources(report)[want.source.name]?.reason).toContain(`${call} failed: ${fault.code}`);
      }
      // CONTAINMENT ACTIONS: [x] for each item that took effect, [ ] naming the error for each failed one.
      // An action can have several items (the finding's key and keys the attacker created): the fault
      // fails those whose calls it hit, at least one; the others of that action are done.
      const outcomes = first.plan.map((item) => outcome(first, item));
      const failedItems = outcomes.filter((result) => result.startsWith('failed'));
      first.plan.forEach((item, index) => {
        const expectedOutcomes =
          item.action === want.failedAction
            ? ['done', `failed: ${fault.mapped}`]
            : item.action === want.skippedAction
              ? ['skipped']
              : ['done'];
        expect(expectedOutcomes, `${item.action} ${item.target}`).toContain(outcomes[index]);
      });
      expect(failedItems.length > 0).toBe(Boolean(want.failedAction));
      const checklist = section(report, 'CONTAINMENT ACTIONS:');
      expect(checklist.filter((line) => line.startsWith('[x]'))).toHaveLength(
        outcomes.filter((result) => result === 'done').length,
      );
      const failed = checklist.filter((line) => / - failed: /.test(line));
      expect(failed).toHaveLength(failedItems.length);
      for (const line of failed) {
        expect(line).toMatch(/^\[ \] /);
        expect(line).toContain(`failed: ${fault.mapped}`);
        expect(line).toContain(`${call} failed: ${fault.code}`);
      }
    }
    // What the run reports done is in effect in the account it left.
    expect(await brokenPromises(role.base, run.scenario, first, run.afterFault)).toEqual([]);
    // No policy is lost, after the fault and after the re-run; the backups are the prior documents.
    expect(policyLosses(run.before, run.afterFault, run.undo)).toEqual([]);
    expect(policyLosses(run.before, run.final, run.undo)).toEqual([]);
    // Once the fault has cleared, a re-run completes the work, and its report is whole.
    expect(rerun.status).toBe('contained');
    expect(rerun.plan.length).toBeGreaterThan(0);
    expect(rerun.plan.map((item) => [item.action, outcome(rerun, item)])).toEqual(
      rerun.plan.map((item) => [item.action, 'done']),
    );
    expect(statuses(rerun.reportMarkdown)).toEqual(ALL_OK);
    expect(await brokenPromises(role.base, run.scenario, rerun, run.final)).toEqual([]);
  });
});
