import { describe, expect, it } from 'vitest';
import { collapseSourceIps, SOURCE_IP_BUDGET_BYTES, sourceIpBlocks } from '../../handlers/shared/cidr.js';
import { byteSize, parsePolicy, serializePolicy } from '../../handlers/shared/policy/document.js';
import { mergeStatements } from '../../handlers/shared/policy/merge.js';
import { bucketDenyStatement } from '../../handlers/shared/policy/statements.js';
import { scenario } from '../support/fixtures.js';

const v6 = (index: number) => `2a0b:f4c2:4a2b:17::${index.toString(16)}`;
const BUCKET_POLICY_LIMIT = 20 * 1024;
const EXEMPT = ['arn:aws:iam::123456789012:role/IncidentResponder'];

const deny = (sourceIps: string[]) =>
  bucketDenyStatement({
    sid: 'IR20260304abcdefabcdefDenySourceIp',
    bucket: 'customer-records',
    partition: 'aws',
    sourceIps,
    exemptArns: EXEMPT,
  });

/** The seed scenario's policy of customer-records (three statements of its own) with our Deny merged. */
function mergedSize(sourceIps: string[]): number {
  const bucket = scenario('compromised-iam-user-key').s3.buckets.find((entry) => entry.name === 'customer-records');
  const current = parsePolicy(JSON.stringify(bucket?.policy), 'customer-records');
  return byteSize(serializePolicy(mergeStatements(current, [deny(sourceIps)]).document));
}

describe('collapsing source addresses into CIDR blocks', () => {
  it('keeps a few addresses as single-address blocks, so neighbours are not denied', () => {
    const blocks = collapseSourceIps(['185.220.101.9', '185.220.101.10', '2a0b:f4c2::1'], 2);

    expect(blocks).toEqual(['185.220.101.10/32', '185.220.101.9/32', '2a0b:f4c2:0:0:0:0:0:1/128']);
  });

  it('replaces the addresses by their /24 once more than the threshold share it', () => {
    const ips = Array.from({ length: 5 }, (_, index) => `45.155.205.${index + 1}`);

    expect(collapseSourceIps(ips, 4)).toEqual(['45.155.205.0/24']);
    expect(collapseSourceIps(ips, 5)).toHaveLength(5);
  });

  it('replaces IPv6 addresses by their /64 whatever their spelling', () => {
    const ips = Array.from({ length: 9 }, (_, index) => v6(index + 1));
    ips.push('2A0B:F4C2:4A2B:0017:0000:0000:0000:00ff');

    expect(collapseSourceIps(ips, 8)).toEqual(['2a0b:f4c2:4a2b:17::/64']);
  });

  it('keeps given blocks no wider than /24 or /64, host bits cleared, and drops duplicates', () => {
    expect(
      collapseSourceIps([
        '185.220.101.77/25',
        '185.220.101.0/25',
        '91.240.118.1',
        '91.240.118.1',
        '2a0b:f4c2:1:2:3::/64',
      ]),
    ).toEqual(['185.220.101.0/25', '2a0b:f4c2:1:2:0:0:0:0/64', '91.240.118.1/32']);
  });

  it('a block wider than /24 or /64 never enters the Deny, however it is spelled', () => {
    const crafted = [
      '0.0.0.0/0',
      '10.0.0.0/8',
      '198.51.0.0/16',
      '185.220.101.0/23',
      '::/0',
      '2a0b:f4c2::/32',
      '2a0b:f4c2::/63',
    ];

    const result = sourceIpBlocks([...crafted, '91.240.118.1']);

    expect(result.blocks).toEqual(['91.240.118.1/32']);
    expect(result.invalid).toEqual(crafted);
  });

  it('an entry that is no address is dropped and reported, never turned into a block the policy would reject', () => {
    const crafted = [
      'not-an-ip',
      '1.2.3.256',
      '01.2.3.4',
      '1.2.3',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      'fe80::1%eth0',
      '185.220.101.9/33',
      '185.220.101.9/24/1',
      '185.220.101.9/',
      '"185.220.101.9"',
      '',
    ];

    const result = sourceIpBlocks([...crafted, '45.155.205.23']);

    expect(result.blocks).toEqual(['45.155.205.23/32']);
    expect(result.invalid).toEqual(crafted);
  });

  it('an IPv4-mapped IPv6 address is the IPv4 address AWS sees, and collapses with its /24', () => {
    const ips = ['::ffff:45.155.205.7', ...Array.from({ length: 8 }, (_, index) => `45.155.205.${index + 10}`)];

    expect(collapseSourceIps(['::ffff:45.155.205.7'])).toEqual(['45.155.205.7/32']);
    expect(collapseSourceIps(ips, 8)).toEqual(['45.155.205.0/24']);
  });

  it('many addresses each in its own /24 or /64 are never widened beyond them', () => {
    const ips = Array.from({ length: 300 }, (_, index) => `100.64.${index % 250}.${Math.floor(index / 250) + 1}`);

    const blocks = collapseSourceIps(ips, 8);

    expect(blocks.every((block) => block.endsWith('/32'))).toBe(true);
  });

  it('a flood of 200 addresses of one /64 is one block in one Deny', () => {
    const ips = Array.from({ length: 200 }, (_, index) => v6(index + 1));

    const blocks = collapseSourceIps(ips);

    expect(blocks).toEqual(['2a0b:f4c2:4a2b:17::/64']);
    expect(JSON.stringify(deny(blocks)).length).toBeLessThan(1024);
  });

  it('a flood of 20,000 IPv4 addresses over 80 /24s stays far under the 20 KB bucket policy limit', () => {
    const ips = Array.from({ length: 20_000 }, (_, index) => `203.0.${index % 80}.${index % 250}`);

    const blocks = collapseSourceIps(ips);

    expect(blocks).toHaveLength(80);
    expect(JSON.stringify(deny(blocks)).length).toBeLessThan(BUCKET_POLICY_LIMIT / 4);
  });
});

describe('the address list of one Deny, within its budget', () => {
  it('5,000 IPv4 and 5,000 IPv6 addresses, each alone in its /24 or /64: the policy stays under 20 KB and the rest is counted', () => {
    const ips = [
      ...Array.from({ length: 5000 }, (_, index) => `11.${Math.floor(index / 250)}.${index % 250}.7`),
      ...Array.from({ length: 5000 }, (_, index) => `2a0b:f4c2:${index.toString(16)}:ffff:1234:5678:9abc:def0`),
    ];

    const result = sourceIpBlocks(ips);

    expect(result.addresses).toBe(10_000);
    expect(JSON.stringify(result.blocks).length).toBeLessThanOrEqual(SOURCE_IP_BUDGET_BYTES);
    expect(result.omitted).toBe(10_000 - result.blocks.length);
    expect(mergedSize(result.blocks)).toBeLessThan(BUCKET_POLICY_LIMIT);
  });

  it('the blocks covering the most addresses go in first', () => {
    const flood = Array.from({ length: 3000 }, (_, index) => `2a0b:f4c2:${index % 600}::${index + 1}`);
    const busy = Array.from({ length: 40 }, (_, index) => `185.220.101.${index + 1}`);

    const result = sourceIpBlocks([...flood, ...busy], { threshold: 8 });

    expect(result.blocks[0]).toBe('185.220.101.0/24');
    expect(result.omitted).toBeGreaterThan(0);
    expect(mergedSize(result.blocks)).toBeLessThan(BUCKET_POLICY_LIMIT);
  });

  it('thousands of addresses over 40 /24s and 100 /64s all fit once collapsed', () => {
    const ips = [
      ...Array.from({ length: 4000 }, (_, index) => `101.${64 + (index % 40)}.${index % 5}.${index % 250}`),
      ...Array.from({ length: 4000 }, (_, index) => `2a0b:f4c2:${index % 100}:1::${(index + 1).toString(16)}`),
    ];

    const result = sourceIpBlocks(ips);

    expect(result.omitted).toBe(0);
    expect(result.blocks).toHaveLength(140);
    expect(mergedSize(result.blocks)).toBeLessThan(BUCKET_POLICY_LIMIT);
  });
});

describe('private source addresses', () => {
  it('are never listed: a request through a VPC endpoint carries no aws:SourceIp', () => {
    const result = sourceIpBlocks([
      '10.0.3.17',
      '172.31.40.2',
      '192.168.1.9',
      '100.64.0.5',
      '169.254.169.254',
      '::ffff:10.9.8.7',
      'fd12:3456:789a:1::5',
      'fe80::1',
      '10.20.30.0/24',
      '45.155.205.23',
    ]);

    expect(result.blocks).toEqual(['45.155.205.23/32']);
    expect(result.nonPublic).toEqual([
      '10.0.3.17/32',
      '10.20.30.0/24',
      '10.9.8.7/32',
      '100.64.0.5/32',
      '169.254.169.254/32',
      '172.31.40.2/32',
      '192.168.1.9/32',
      'fd12:3456:789a:1:0:0:0:5/128',
      'fe80:0:0:0:0:0:0:1/128',
    ]);
  });

  it('many private addresses of one /24 never collapse into a block of the Deny', () => {
    const ips = Array.from({ length: 50 }, (_, index) => `10.1.2.${index + 1}`);

    expect(sourceIpBlocks(ips, { threshold: 8 }).blocks).toEqual([]);
  });

  it('public neighbours of the private ranges stay in the Deny', () => {
    const result = sourceIpBlocks(['172.32.0.1', '172.15.255.1', '100.128.0.1', '11.0.0.1', '192.169.0.1']);

    expect(result.nonPublic).toEqual([]);
    expect(result.blocks).toHaveLength(5);
  });
});

describe('special-purpose source addresses', () => {
  // One address of each range of the IANA special-purpose registries no public caller can have.
  const special = [
    ['0.1.2.3', '0.1.2.3/32', '"this network"'],
    ['192.0.0.8', '192.0.0.8/32', 'IETF protocol assignments'],
    ['192.0.2.10', '192.0.2.10/32', 'documentation TEST-NET-1'],
    ['198.18.4.5', '198.18.4.5/32', 'benchmarking'],
    ['198.19.255.1', '198.19.255.1/32', 'benchmarking'],
    ['198.51.100.23', '198.51.100.23/32', 'documentation TEST-NET-2'],
    ['203.0.113.7', '203.0.113.7/32', 'documentation TEST-NET-3'],
    ['224.0.0.251', '224.0.0.251/32', 'multicast'],
    ['239.255.255.250', '239.255.255.250/32', 'multicast'],
    ['240.0.0.1', '240.0.0.1/32', 'reserved'],
    ['255.255.255.255', '255.255.255.255/32', 'limited broadcast'],
    ['::', '0:0:0:0:0:0:0:0/128', 'unspecified'],
    ['100::7', '100:0:0:0:0:0:0:7/128', 'discard-only'],
    ['2001:2::9', '2001:2:0:0:0:0:0:9/128', 'benchmarking'],
    ['2001:db8:4a2b:17::1', '2001:db8:4a2b:17:0:0:0:1/128', 'documentation'],
    ['3fff:0fff::1', '3fff:fff:0:0:0:0:0:1/128', 'documentation'],
    ['ff02::fb', 'ff02:0:0:0:0:0:0:fb/128', 'multicast'],
    ['::ffff:203.0.113.9', '203.0.113.9/32', 'documentation TEST-NET-3'],
  ] as const;

  it('are never listed, each named with the range it belongs to', () => {
    const result = sourceIpBlocks([...special.map(([ip]) => ip), '185.220.101.9']);

    expect(result.blocks).toEqual(['185.220.101.9/32']);
    expect(result.nonPublic).toEqual([]);
    const byBlock = new Map(result.specialPurpose.map(({ cidr, range }) => [cidr, range]));
    for (const [, cidr, range] of special) expect(byBlock.get(cidr)).toContain(range);
    expect(result.specialPurpose).toHaveLength(special.length);
  });

  it('IPv6 addresses outside the global unicast space are never listed, whatever their number', () => {
    const outside = [
      '::1:0:0:5',
      '::8.8.8.8',
      '4000::1',
      'e000::1',
      ...Array.from({ length: 12 }, (_, i) => `::1:0:0:${i + 10}`),
    ];

    const result = sourceIpBlocks([...outside, '64:ff9b::808:808', 'fd12:3456::1', '2a0b:f4c2::1'], { threshold: 8 });

    expect(result.blocks).toEqual(['2a0b:f4c2:0:0:0:0:0:1/128', '64:ff9b:0:0:0:0:808:808/128']);
    expect(result.nonPublic).toEqual(['fd12:3456:0:0:0:0:0:1/128']);
    expect(result.specialPurpose).toHaveLength(outside.length);
    for (const { range } of result.specialPurpose) expect(range).toContain('2000::/3');
  });

  it('a flood from a documentation range never collapses into a block of the Deny', () => {
    const ips = Array.from({ length: 50 }, (_, index) => `203.0.113.${index + 1}`);

    const result = sourceIpBlocks([...ips, '203.0.113.0/25'], { threshold: 8 });

    expect(result.blocks).toEqual([]);
    expect(result.specialPurpose.map(({ cidr }) => cidr)).toContain('203.0.113.0/25');
  });

  it('public neighbours of the special-purpose ranges stay in the Deny', () => {
    const neighbours = [
      '1.0.0.1',
      '192.0.1.255',
      '192.0.3.1',
      '198.17.255.1',
      '198.20.0.1',
      '198.51.99.1',
      '198.51.101.1',
      '203.0.112.1',
      '203.0.114.1',
      '223.255.255.1',
      '2001:1::1',
      '2001:3::1',
      '2001:db9::1',
      '3ffe:ffff::1',
      '3fff:1000::1',
      '2a0b:f4c2::1',
    ];

    const result = sourceIpBlocks(neighbours);

    expect(result.specialPurpose).toEqual([]);
    expect(result.blocks).toHaveLength(neighbours.length);
  });
});
