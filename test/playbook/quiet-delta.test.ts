import { describe, expect, it } from 'vitest';
import { random } from '../../examples/src/records.js';
import { simulate } from '../../local/simulate.js';
import { anonymousGet, FLOOD_BUCKET, type FloodPolicy as Policy } from '../support/detections.js';
import { variant } from '../support/simulate.js';

const BUCKET = FLOOD_BUCKET;

describe('an anonymous flood contained by a /24, then more signals', () => {
  it('an address inside the /24 and a private one fold in without a round; an address outside it gets one', async () => {
    const next = random(33);
    const flood = Array.from({ length: 9 }, (_, n) => anonymousGet(`185.220.101.${10 + n}`, n, next));
    const inside = anonymousGet('185.220.101.200', 3600, next);
    const private10 = anonymousGet('10.20.30.40', 5400, next);
    const outside = anonymousGet('91.240.118.200', 7200, next);
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [...flood, inside, private10, outside];
    });

    const result = await simulate(input, { approve: { kind: 'all' } });

    const entries = result.incidents;
    const [quietInside, quietPrivate, asked] = entries.slice(9);
    expect(entries.map((entry) => entry.status)).toEqual(['contained', ...Array(11).fill('linked')]);
    for (const quiet of [quietInside, quietPrivate]) {
      expect(quiet?.states).not.toContain('Plan Containment');
      expect(quiet?.states).not.toContain('Request Approval');
    }
    expect(asked?.states).toContain('Request Approval');
    const said = (entry: typeof quietInside) => (entry?.slackMessages ?? []).map((message) => message.text).join('\n');
    expect(said(quietInside)).toMatch(/185\.220\.101\.200 \(in 185\.220\.101\.0\/24\)/);
    expect(said(quietPrivate)).toMatch(/10\.20\.30\.40 \(private \(RFC 1918\)\)/);
    const policy = result.account.bucketPolicies[BUCKET] as Policy;
    const bySource = policy.Statement.filter((statement) => statement.Sid?.endsWith('DenySourceIp'));
    expect(bySource).toHaveLength(1);
    expect(bySource[0]?.Condition?.IpAddress?.['aws:SourceIp']).toEqual(['185.220.101.0/24', '91.240.118.200/32']);
  }, 180_000);
});
