import { describe, expect, it } from 'vitest';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { planBucketDeny } from '../support/deny-plan.js';
import { readJson } from '../support/fixtures.js';

const INCIDENT_ID = '20260223-c4e6a8b0d2f4';

/** A real-shaped finding's incident, its caller made anonymous from `sourceIps`. */
function anonymousIncident(sourceIps: string[]): Incident {
  const { incident } = normalizeFinding(readJson('test/fixtures/guardduty/cross-account-caller-event.json'));
  if (!incident) throw new Error('no incident');
  return { ...incident, principal: { type: 'Anonymous' }, sourceIps };
}

const plan = (incident: Incident) => planBucketDeny(incident, INCIDENT_ID);

describe('an anonymous caller behind private addresses', () => {
  it('is denied by its public addresses only, and the plan says the private ones were left out and why', async () => {
    const result = await plan(anonymousIncident(['45.155.205.23', '10.0.3.17']));

    const deny = result.items.find((item) => item.action === 'denyBucketAccess') as
      | { statements: { Condition?: { IpAddress?: Record<string, string[]> } }[]; summary: string }
      | undefined;
    expect(deny?.statements[0]?.Condition?.IpAddress?.['aws:SourceIp']).toEqual(['45.155.205.23/32']);
    expect(deny?.summary).toMatch(/1 private address\(es\) left out: .*VPC endpoint/);
  });

  it('with only private addresses gets no Deny that would deny nothing, and the reason names the addresses', async () => {
    const result = await plan(anonymousIncident(['10.0.3.17', '172.31.40.2']));

    expect(result.items.filter((item) => item.action === 'denyBucketAccess')).toEqual([]);
    expect(result.notPlanned).toContainEqual(
      expect.objectContaining({
        action: 'denyBucketAccess',
        reason: expect.stringMatching(/only source addresses are private \(10\.0\.3\.17\/32, 172\.31\.40\.2\/32\)/),
      }),
    );
  });

  it('is denied by its public addresses only, and the plan names each special-purpose address left out and why', async () => {
    const result = await plan(anonymousIncident(['185.220.101.9', '198.51.100.23', '233.252.0.1', '2001:db8::7']));

    const deny = result.items.find((item) => item.action === 'denyBucketAccess') as
      | { statements: { Condition?: { IpAddress?: Record<string, string[]> } }[]; summary: string }
      | undefined;
    expect(deny?.statements[0]?.Condition?.IpAddress?.['aws:SourceIp']).toEqual(['185.220.101.9/32']);
    expect(deny?.summary).toMatch(/3 special-purpose address\(es\) left out: /);
    expect(deny?.summary).toContain('198.51.100.23/32 (documentation TEST-NET-2 (RFC 5737))');
    expect(deny?.summary).toContain('233.252.0.1/32 (multicast (RFC 5771))');
    expect(deny?.summary).toContain('2001:db8:0:0:0:0:0:7/128 (documentation (RFC 3849))');
    expect(deny?.summary).toMatch(/IANA special-purpose registry/);
    expect(deny?.summary.length).toBeLessThanOrEqual(1000);
  });

  it('with only special-purpose addresses gets no Deny, and the reason names the addresses and their ranges', async () => {
    const result = await plan(anonymousIncident(['203.0.113.7', '198.18.0.9']));

    expect(result.items.filter((item) => item.action === 'denyBucketAccess')).toEqual([]);
    expect(result.notPlanned).toContainEqual(
      expect.objectContaining({
        action: 'denyBucketAccess',
        reason: expect.stringMatching(
          /only source addresses are of special-purpose ranges \(198\.18\.0\.9\/32 \(benchmarking .*\), 203\.0\.113\.7\/32 \(documentation TEST-NET-3 .*\)\): no request from the internet/,
        ),
      }),
    );
  });
});
