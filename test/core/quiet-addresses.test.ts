import { describe, expect, it } from 'vitest';
import { coveringBlock, leftOutRange, sourceIpBlocks } from '../../handlers/shared/cidr.js';

describe('which source addresses a Deny by address leaves out', () => {
  it('names the range of private, shared, loopback, link-local and unique local addresses, an IPv4-mapped one by its IPv4 address', () => {
    const addresses = [
      '10.1.2.3',
      '100.100.1.1',
      '127.0.0.1',
      '169.254.169.254',
      'fd00::5',
      'fe80::1',
      '::ffff:192.168.4.4',
    ];

    const ranges = addresses.map(leftOutRange);

    expect(ranges).toEqual([
      'private (RFC 1918)',
      'shared address space (RFC 6598)',
      'loopback (RFC 1122)',
      'link-local (RFC 3927)',
      'unique local (RFC 4193)',
      'link-local (RFC 4291)',
      'private (RFC 1918)',
    ]);
  });

  it('agrees with the plan: what it leaves out is exactly what the plan leaves out of the Deny', () => {
    const addresses = [
      '10.1.2.3',
      '172.31.255.1',
      '172.32.0.1',
      '192.0.2.9',
      '198.19.0.1',
      '198.20.0.1',
      '224.0.0.251',
      '2001:db8::1',
      '2606:4700::1111',
      '64:ff9b::c000:221',
      '::ffff:8.8.8.8',
      '45.155.205.23',
    ];

    const leftOut = addresses.filter((address) => leftOutRange(address) !== undefined);
    const planned = sourceIpBlocks(addresses);

    expect(planned.blocks.map((block) => block.split('/')[0])).toEqual(
      expect.arrayContaining([
        '172.32.0.1',
        '198.20.0.1',
        '2606:4700:0:0:0:0:0:1111',
        '64:ff9b:0:0:0:0:c000:221',
        '8.8.8.8',
        '45.155.205.23',
      ]),
    );
    expect(planned.blocks).toHaveLength(addresses.length - leftOut.length);
    expect(leftOut).toEqual(['10.1.2.3', '172.31.255.1', '192.0.2.9', '198.19.0.1', '224.0.0.251', '2001:db8::1']);
  });
});

describe('which block of a Deny by address holds an address', () => {
  it('finds the /24 or /64 holding it, and nothing outside every block', () => {
    const cover = coveringBlock(['185.220.101.0/24', '45.155.205.23/32', '2a0b:f4c2:4a2b:17::/64']);

    const found = [
      '185.220.101.200',
      '45.155.205.23',
      '45.155.205.24',
      '2a0b:f4c2:4a2b:17::99',
      '2a0b:f4c2:4a2b:18::1',
    ].map(cover);

    expect(found).toEqual(['185.220.101.0/24', '45.155.205.23/32', undefined, '2a0b:f4c2:4a2b:17::/64', undefined]);
  });

  it('reads a block without a prefix, or with one past the address width, as holding nothing', () => {
    const cover = coveringBlock(['185.220.101.7', '185.220.101.0/33', '185.220.101.0/x']);

    expect(cover('185.220.101.7')).toBeUndefined();
  });
});
