import { describe, expect, it } from 'vitest';
import { asSignal } from '../../handlers/register-incident/delta.js';
import type { Incident, Principal } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { planBucketDeny } from '../support/deny-plan.js';
import { guardDutyEvent } from '../support/fixtures.js';

const INCIDENT_ID = '20260223-c4e6a8b0d2f4';
const OUTSIDE = '444455556666';

/** A role session of another account of which GuardDuty gave only the account and the key. */
const accountOnly: Principal = { type: 'AssumedRole', accessKeyId: 'ASIAEXAMPLEOUTSIDE01', accountId: OUTSIDE };
const addresses = { type: 'Anonymous' } as const;

function seedIncident(): Incident {
  const { incident } = normalizeFinding(guardDutyEvent());
  if (!incident) throw new Error('no incident');
  return incident;
}

async function deny(incident: Incident) {
  const plan = await planBucketDeny(incident, INCIDENT_ID);
  const item = plan.items.find((candidate) => candidate.action === 'denyBucketAccess') as
    | { statements: { Sid: string; Condition?: Record<string, Record<string, unknown>> }[] }
    | undefined;
  return item?.statements ?? [];
}

describe('the bucket Deny of an incident holding several kinds of caller', () => {
  it('a principal known only by its outside account is denied by account beside the one named by ARN', async () => {
    const incident = seedIncident();

    const statements = await deny({ ...incident, principals: [incident.principal, accountOnly] });

    expect(statements.map((statement) => statement.Sid)).toEqual([
      `IR${INCIDENT_ID.replace('-', '')}DenyPrincipal`,
      `IR${INCIDENT_ID.replace('-', '')}DenyAccount`,
    ]);
    expect(JSON.stringify(statements[1]?.Condition)).toContain(OUTSIDE);
    expect(JSON.stringify(statements[0]?.Condition)).not.toContain(OUTSIDE);
  });

  it('an incident opened on the account-only caller keeps its Deny by account when a principal with an ARN joins', async () => {
    const incident = seedIncident();

    const statements = await deny({
      ...incident,
      principal: accountOnly,
      principals: [accountOnly, incident.principal],
    });

    expect(statements.map((statement) => statement.Sid.replace(/^IR\w{20}/, ''))).toEqual([
      'DenyPrincipal',
      'DenyAccount',
    ]);
  });

  it('an identified principal’s own source address is never put in the Deny for anonymous callers', async () => {
    const incident = seedIncident();
    const anonymousIps = ['91.240.118.99'];

    const statements = await deny({
      ...incident,
      principals: [incident.principal, addresses],
      sourceIps: [...incident.sourceIps, ...anonymousIps],
      anonymousSourceIps: anonymousIps,
    });

    const bySource = statements.find((statement) => statement.Sid.endsWith('DenySourceIp'));
    expect(bySource?.Condition?.IpAddress).toEqual({ 'aws:SourceIp': ['91.240.118.99/32'] });
  });

  it('one signal naming an identified principal and anonymous callers still gets a Deny by address', async () => {
    const incident = seedIncident();

    const statements = await deny(
      asSignal({ ...incident, principals: [incident.principal, addresses], sourceIps: ['91.240.118.99'] }),
    );

    const bySource = statements.find((statement) => statement.Sid.endsWith('DenySourceIp'));
    expect(bySource?.Condition?.IpAddress).toEqual({ 'aws:SourceIp': ['91.240.118.99/32'] });
  });

  it('addresses a signal claims as anonymous callers’ are ignored: only registration sets them', () => {
    const incident = seedIncident();

    const signal = asSignal({ ...incident, anonymousSourceIps: ['185.220.101.0'] });

    expect(signal.anonymousSourceIps).toBeUndefined();
  });
});
