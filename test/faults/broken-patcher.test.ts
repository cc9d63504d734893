import { describe, expect, it, vi } from 'vitest';
import type * as Patch from '../../handlers/shared/policy/patch.js';
import { assertNoPolicyLost, faultsFor, MATRIX, policyLosses, runCase } from './matrix.js';

vi.mock('../../local/account.js', async (original) =>
  (await import('./tap.js')).tapAccounts(await original<typeof import('../../local/account.js')>()),
);

/**
 * A deliberately broken patcher: it merges as the real one does, then drops the first statement
 * that is not ours from what it writes. Its own re-read only looks for our Sids, so the action
 * still reports `applied`: only the matrix's "no policy is lost" check can see the loss.
 */
vi.mock('../../handlers/shared/policy/patch.js', async (original) => {
  const real = await original<typeof Patch>();
  const patchPolicy: typeof real.patchPolicy = (slot, statements, protectedArns, backup) => {
    const ours = new Set(statements.map((statement) => statement.Sid));
    const write = (text: string) => {
      const document = JSON.parse(text) as { Statement: { Sid?: string }[] };
      const victim = document.Statement.findIndex((statement) => !ours.has(statement.Sid));
      if (victim !== -1) document.Statement.splice(victim, 1);
      return slot.write(JSON.stringify(document));
    };
    return real.patchPolicy({ ...slot, write }, statements, protectedArns, backup);
  };
  return { ...real, patchPolicy };
});

describe('the fault matrix catches a patcher that drops an existing statement', () => {
  it.each([
    ['s3:PutBucketPolicy', /bucketPolicy customer-records: statement DenyInsecureTransport lost/],
    ['ec2:ModifyVpcEndpoint', /vpcEndpointPolicy vpce-0a1b2c3d4e5f60718: statement AllowAll lost/],
  ])('%s, throttled twice: the work "completes", and "no policy is lost" fails', async (call, loss) => {
    const role = MATRIX[call];
    const fault = faultsFor(call).find((candidate) => candidate.kind === 'throttled');
    if (!role || !fault) throw new Error(`${call} is not in the matrix`);

    const run = await runCase(role.base, call, fault);

    // Everything else the matrix checks still passes: contained, the backup is the prior document...
    expect(run.first.status).toBe('contained');
    expect(run.rerun.status).toBe('contained');
    // ...but the statement is gone, after the fault and after the re-run (which finds ours in place).
    expect(() => assertNoPolicyLost(run.before, run.afterFault, run.undo)).toThrow(loss);
    expect(() => assertNoPolicyLost(run.before, run.final, run.undo)).toThrow(loss);
    expect(policyLosses(run.before, run.final, run.undo).some((problem) => /backup/.test(problem))).toBe(false);
  });
});
