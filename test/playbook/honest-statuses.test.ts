import { describe, expect, it } from 'vitest';
import { run, variant } from '../support/simulate.js';

const firstEventOnly = (s: { events: unknown[] }) => {
  s.events = s.events.slice(0, 1);
};

describe('an action the service will not let us take is skipped, not a containment failure', () => {
  it('AccessDenied on the Macie job: skipped with the reason, and the incident is contained', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      firstEventOnly(s);
      s.faults = [{ call: 'macie2:CreateClassificationJob', error: 'AccessDeniedException', times: 5 }];
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.status).toBe('contained');
    expect(incident?.applied.find((entry) => entry.action === 'startMacieJob')).toMatchObject({
      result: 'skipped',
      detail: expect.stringMatching(/AccessDenied/),
    });
    expect(result.account.macieJobs).toEqual([]);
    expect(result.account.accessKeys.AKIA3EXAMPLEJNE7WXYZ).toBe('Inactive');
  });

  it('Macie refusing enrichment too: the job is not planned, and the report says why', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      firstEventOnly(s);
      s.faults = [{ call: 'macie2:*', error: 'AccessDeniedException', times: 100 }];
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.status).toBe('contained');
    expect(incident?.plan.map((item) => item.action)).toEqual([
      'deactivateAccessKey',
      'deactivateAccessKey',
      'revokeUserSessions',
      'denyBucketAccess',
    ]);
    expect(incident?.reportMarkdown).toMatch(/Macie is not available/);
  });

  it('Macie off: the job is not planned and nothing reads partially contained', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      firstEventOnly(s);
      (s.macie as { enabled: boolean }).enabled = false;
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.status).toBe('contained');
    expect(incident?.plan.map((item) => item.action)).not.toContain('startMacieJob');
  });

  it('another Macie error on the job still makes the incident partially contained', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      firstEventOnly(s);
      s.faults = [{ call: 'macie2:CreateClassificationJob', error: 'ValidationException', times: 5 }];
    });

    const result = await run(input);

    expect(result.incidents[0]?.status).toBe('partially_contained');
  });
});
