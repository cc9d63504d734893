/**
 * Source addresses as `aws:SourceIp` blocks, collapsed so a flood of any size stays a short list:
 * once more than `threshold` addresses share one IPv4 /24 or IPv6 /64, that block replaces them.
 * Fewer stay as single-address blocks (/32, /128), so one stray caller never widens the Deny to
 * its neighbours. Blocks already given (`203.0.113.0/24`) are kept. Output is sorted and unique.
 */
export const DEFAULT_CIDR_COLLAPSE_THRESHOLD = 8;

export function collapseSourceIps(ips: readonly string[], threshold = DEFAULT_CIDR_COLLAPSE_THRESHOLD): string[] {
  const blocks = new Map<string, Set<string>>();
  const kept = new Set<string>();
  for (const raw of ips) {
    const ip = raw.trim();
    if (ip.includes('/')) {
      kept.add(ip);
      continue;
    }
    const block = blockOf(ip);
    if (!block) {
      kept.add(ip.includes(':') ? `${ip}/128` : `${ip}/32`);
      continue;
    }
    const members = blocks.get(block.cidr) ?? new Set<string>();
    members.add(block.single);
    blocks.set(block.cidr, members);
  }
  for (const [cidr, members] of blocks) {
    if (members.size > threshold) kept.add(cidr);
    else for (const single of members) kept.add(single);
  }
  return [...kept].sort();
}

/** The /24 (IPv4) or /64 (IPv6) holding an address, and the address as a one-address block. */
function blockOf(ip: string): { cidr: string; single: string } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    return { cidr: `${octets.slice(0, 3).join('.')}.0/24`, single: `${octets.join('.')}/32` };
  }
  const groups = expandIpv6(ip);
  if (!groups) return undefined;
  return { cidr: `${groups.slice(0, 4).join(':')}::/64`, single: `${groups.join(':')}/128` };
}

/** The eight groups of an IPv6 address, lower case without leading zeros; undefined if it is none. */
function expandIpv6(ip: string): string[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(ip) || !ip.includes(':')) return undefined;
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
