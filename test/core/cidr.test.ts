import { describe, expect, it } from 'vitest';
import { collapseSourceIps } from '../../handlers/shared/cidr.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';

const v6 = (index: number) => `2001:db8:4a2b:17::${index.toString(16)}`;
const BUCKET_POLICY_LIMIT = 20 * 1024;

describe('collapsing source addresses into CIDR blocks', () => {
  it('keeps a few addresses as single-address blocks, so neighbours are not denied', () => {
    const blocks = collapseSourceIps(['203.0.113.9', '203.0.113.10', '2001:db8::1'], 2);

    expect(blocks).toEqual(['2001:db8:0:0:0:0:0:1/128', '203.0.113.10/32', '203.0.113.9/32']);
  });

  it('replaces the addresses by their /24 once more than the threshold share it', () => {
    const ips = Array.from({ length: 5 }, (_, index) => `198.51.100.${index + 1}`);

    expect(collapseSourceIps(ips, 4)).toEqual(['198.51.100.0/24']);
    expect(collapseSourceIps(ips, 5)).toHaveLength(5);
  });

  it('replaces IPv6 addresses by their /64 whatever their spelling', () => {
    const ips = Array.from({ length: 9 }, (_, index) => v6(index + 1));
    ips.push('2001:0DB8:4A2B:0017:0000:0000:0000:00ff');

    expect(collapseSourceIps(ips, 8)).toEqual(['2001:db8:4a2b:17::/64']);
  });

  it('keeps given blocks and drops duplicates', () => {
    expect(collapseSourceIps(['10.0.0.0/8', '10.0.0.0/8', '192.0.2.1', '192.0.2.1'])).toEqual([
      '10.0.0.0/8',
      '192.0.2.1/32',
    ]);
  });

  it('a flood of 200 addresses of one /64 is one block in one Deny', () => {
    const ips = Array.from({ length: 200 }, (_, index) => v6(index + 1));

    const blocks = collapseSourceIps(ips);
    const statement = bucketDenyStatement({
      sid: 'IR20260304abcdefabcdefDenySourceIp',
      bucket: 'public-assets',
      partition: 'aws',
      sourceIps: blocks,
      exemptArns: ['arn:aws:iam::123456789012:role/IncidentResponder'],
    });

    expect(blocks).toEqual(['2001:db8:4a2b:17::/64']);
    expect(JSON.stringify(statement).length).toBeLessThan(1024);
  });

  it('a flood of 20,000 IPv4 addresses over 80 /24s stays far under the 20 KB bucket policy limit', () => {
    const ips = Array.from({ length: 20_000 }, (_, index) => `100.64.${index % 80}.${index % 250}`);

    const blocks = collapseSourceIps(ips);
    const statement = bucketDenyStatement({
      sid: 'IR20260304abcdefabcdefDenySourceIp',
      bucket: 'public-assets',
      partition: 'aws',
      sourceIps: blocks,
      exemptArns: ['arn:aws:iam::123456789012:role/IncidentResponder'],
    });

    expect(blocks).toHaveLength(80);
    expect(JSON.stringify(statement).length).toBeLessThan(BUCKET_POLICY_LIMIT / 4);
  });
});
