/**
 * Source addresses as `aws:SourceIp` blocks, collapsed so a flood stays a short list: once more
 * than `threshold` addresses share one IPv4 /24 or IPv6 /64, that block replaces them. Fewer stay
 * as single-address blocks (/32, /128), so one stray caller never widens the Deny to its
 * neighbours. Nothing is ever wider than a /24 or a /64:
 * - an address that does not parse is dropped (never turned into a block, never written as text
 *   the policy would reject);
 * - a block given as such (`203.0.113.0/25`) is kept only when it is no wider than /24 (IPv4) or
 *   /64 (IPv6), with its host bits cleared; a wider one (`0.0.0.0/0`, `10.0.0.0/8`) is dropped;
 * - an IPv4-mapped IPv6 address (`::ffff:198.51.100.7`) is the IPv4 address AWS sees.
 * Output is sorted and unique.
 */
export const DEFAULT_CIDR_COLLAPSE_THRESHOLD = 8;

export function collapseSourceIps(ips: readonly string[], threshold = DEFAULT_CIDR_COLLAPSE_THRESHOLD): string[] {
  return collapse(ips, threshold).blocks.map((block) => block.cidr);
}

/** What a Deny on source addresses will list, and what it had to leave out. */
export interface SourceIpBlocks {
  /** The blocks, widest coverage first (a collapsed /24 or /64 before single addresses), then by text. */
  readonly blocks: string[];
  /** Distinct valid addresses given (a block given as such counts once). */
  readonly addresses: number;
  /** Distinct valid addresses (or given blocks) whose block did not fit in `budgetBytes`. */
  readonly omitted: number;
  /** Entries that are no address, or a block wider than /24 or /64: dropped, never widened. */
  readonly invalid: string[];
  /**
   * Private, loopback, link-local and shared (CGNAT) addresses: left out. Such a caller reaches S3
   * only through a VPC endpoint, where a request carries no `aws:SourceIp`, so a Deny naming them
   * would deny nothing while the incident said it was contained.
   */
  readonly nonPublic: string[];
  /**
   * Addresses of the IANA special-purpose registries that no public caller can have (documentation,
   * benchmarking, multicast, reserved, "this network"): left out. A request from one never reaches
   * S3 from the internet, so such an address in a signal is crafted or a placeholder, and a Deny
   * naming it would deny nothing. Each with the name of its range.
   */
  readonly specialPurpose: SpecialAddress[];
}

/** An address of a special-purpose range, as its one-address (or given) block, and the range's name. */
export interface SpecialAddress {
  readonly cidr: string;
  readonly range: string;
}

/**
 * Upper bound of the JSON the address list of one Deny may take (`"203.0.113.0/24",` a block):
 * with the statement around it, the Deny stays under 9 KB of the bucket policy's 20 KB, however
 * many addresses a flood brings. The blocks covering the most addresses go in first.
 */
export const SOURCE_IP_BUDGET_BYTES = 8 * 1024;

/** `collapseSourceIps` with its limits: invalid entries reported, the list cut to `budgetBytes`. */
export function sourceIpBlocks(
  ips: readonly string[],
  options: { threshold?: number; budgetBytes?: number } = {},
): SourceIpBlocks {
  const { blocks, addresses, invalid, nonPublic, specialPurpose } = collapse(
    ips,
    options.threshold ?? DEFAULT_CIDR_COLLAPSE_THRESHOLD,
  );
  const budget = options.budgetBytes ?? SOURCE_IP_BUDGET_BYTES;
  const ranked = [...blocks].sort((a, b) => b.members - a.members || (a.cidr < b.cidr ? -1 : 1));
  const kept: string[] = [];
  let used = 0;
  let omitted = 0;
  for (const block of ranked) {
    const cost = block.cidr.length + 3; // quotes and a comma
    if (used + cost > budget) {
      omitted += block.members;
      continue;
    }
    used += cost;
    kept.push(block.cidr);
  }
  return { blocks: kept, addresses, omitted, invalid, nonPublic, specialPurpose };
}

/**
 * The addresses of `ips` a Deny listing `blocks` would not cover, as one-address blocks (sorted,
 * unique): those that would enter a Deny (valid, public, not special-purpose) and lie in none of
 * the blocks. What an incident learned after its Deny was approved.
 */
export function uncoveredAddresses(ips: readonly string[], blocks: readonly string[]): string[] {
  const parsed = blocks.flatMap((block) => {
    const [address = '', prefix = ''] = block.split('/');
    const bits = bitsOf(address);
    return bits ? [{ ...bits, prefix: Number(prefix) }] : [];
  });
  const { blocks: wanted } = collapse(ips, Number.POSITIVE_INFINITY);
  return wanted
    .map((block) => block.cidr)
    .filter((single) => {
      const [address = ''] = single.split('/');
      const bits = bitsOf(address);
      return (
        bits !== undefined &&
        !parsed.some(
          (block) =>
            block.width === bits.width &&
            block.prefix <= (bits.width === 8 ? 32 : 128) &&
            within(bits.parts, block.parts, block.prefix, bits.width),
        )
      );
    });
}

/** An address as its parts (IPv4 octets, or IPv6 groups) and the width of a part. */
function bitsOf(address: string): { parts: number[]; width: 8 | 16 } | undefined {
  const v4 = ipv4(address);
  if (v4) return { parts: v4, width: 8 };
  const v6 = ipv6(address);
  return v6 ? { parts: v6, width: 16 } : undefined;
}

interface Block {
  readonly cidr: string;
  /** How many distinct given addresses it covers. */
  readonly members: number;
}

function collapse(ips: readonly string[], threshold: number) {
  const wide = new Map<string, Set<string>>();
  const given = new Set<string>();
  const invalid: string[] = [];
  const nonPublic = new Set<string>();
  const special = new Map<string, string>();
  /** Whether the block is left out (special-purpose or private), and notes it if so. */
  const leftOut = (cidr: string): boolean => {
    const range = specialRange(cidr);
    if (range) special.set(cidr, range);
    else if (isNonPublic(cidr)) nonPublic.add(cidr);
    return range !== undefined || nonPublic.has(cidr);
  };
  for (const raw of ips) {
    const text = raw.trim();
    if (text.includes('/')) {
      const block = parseBlock(text);
      if (block && leftOut(block)) continue;
      if (block) given.add(block);
      else invalid.push(raw);
      continue;
    }
    const address = parseAddress(text);
    if (!address) {
      invalid.push(raw);
      continue;
    }
    if (leftOut(address.single)) continue;
    const members = wide.get(address.wide) ?? new Set<string>();
    members.add(address.single);
    wide.set(address.wide, members);
  }
  const blocks = new Map<string, number>();
  for (const cidr of given) blocks.set(cidr, 1);
  let addresses = given.size;
  for (const [cidr, members] of wide) {
    addresses += members.size;
    if (members.size > threshold) blocks.set(cidr, members.size);
    else for (const single of members) if (!blocks.has(single)) blocks.set(single, 1);
  }
  const sorted = [...blocks].sort(([a], [b]) => (a < b ? -1 : 1)).map(([cidr, members]) => ({ cidr, members }));
  const specialPurpose = [...special].sort(([a], [b]) => (a < b ? -1 : 1)).map(([cidr, range]) => ({ cidr, range }));
  return { blocks: sorted as Block[], addresses, invalid, nonPublic: [...nonPublic].sort(), specialPurpose };
}

/** An address as a one-address block, and the /24 or /64 holding it; undefined if it is none. */
function parseAddress(text: string): { single: string; wide: string } | undefined {
  const v4 = ipv4(text);
  if (v4) return { single: `${v4.join('.')}/32`, wide: `${v4.slice(0, 3).join('.')}.0/24` };
  const v6 = ipv6(text);
  if (!v6) return undefined;
  const mapped = mappedIpv4(v6);
  if (mapped) return { single: `${mapped.join('.')}/32`, wide: `${mapped.slice(0, 3).join('.')}.0/24` };
  const groups = v6.map((group) => group.toString(16));
  return { single: `${groups.join(':')}/128`, wide: `${groups.slice(0, 4).join(':')}::/64` };
}

/**
 * IPv4 10/8, 172.16/12, 192.168/16, 100.64/10, 127/8, 169.254/16; IPv6 fc00::/7, fe80::/10 and
 * `::1`. `cidr` is a block as `parseAddress`/`parseBlock` write it (a /24 or narrower, a /64 or
 * narrower), so its first address decides.
 */
function isNonPublic(cidr: string): boolean {
  return nonPublicRange(cidr) !== undefined;
}

/** The name of the private, shared, loopback or link-local range holding `cidr` (as `isNonPublic` reads it). */
function nonPublicRange(cidr: string): string | undefined {
  const [address = ''] = cidr.split('/');
  const v4 = ipv4(address);
  if (v4) {
    const [a = 0, b = 0] = v4;
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private (RFC 1918)';
    if (a === 100 && b >= 64 && b <= 127) return 'shared address space (RFC 6598)';
    if (a === 127) return 'loopback (RFC 1122)';
    return a === 169 && b === 254 ? 'link-local (RFC 3927)' : undefined;
  }
  const v6 = ipv6(address);
  if (!v6) return undefined;
  const first = v6[0] ?? 0;
  if ((first & 0xfe00) === 0xfc00) return 'unique local (RFC 4193)';
  if ((first & 0xffc0) === 0xfe80) return 'link-local (RFC 4291)';
  return v6.slice(0, 7).every((group) => group === 0) && v6[7] === 1 ? 'loopback (RFC 4291)' : undefined;
}

/** A range of the special-purpose registries: its first address, prefix length and name. */
type Range = readonly [start: readonly number[], prefix: number, name: string];

/**
 * Ranges of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its successors)
 * that are not globally reachable, beside the private, shared, loopback and link-local ones
 * (`isNonPublic`), and the multicast and deprecated site-local ranges, which are never a caller's
 * source. IPv4-mapped IPv6 addresses are judged by their IPv4 address before this.
 */
const SPECIAL_V4: readonly Range[] = [
  [[0, 0, 0, 0], 8, '"this network" (RFC 791)'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments (RFC 6890)'],
  [[192, 0, 2, 0], 24, 'documentation TEST-NET-1 (RFC 5737)'],
  [[192, 88, 99, 0], 24, 'deprecated 6to4 relay anycast (RFC 7526)'],
  [[198, 18, 0, 0], 15, 'benchmarking (RFC 2544)'],
  [[198, 51, 100, 0], 24, 'documentation TEST-NET-2 (RFC 5737)'],
  [[203, 0, 113, 0], 24, 'documentation TEST-NET-3 (RFC 5737)'],
  [[224, 0, 0, 0], 4, 'multicast (RFC 5771)'],
  [[255, 255, 255, 255], 32, 'limited broadcast (RFC 919)'],
  [[240, 0, 0, 0], 4, 'reserved (RFC 1112)'],
];

const SPECIAL_V6: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified address (RFC 4291)'],
  [[0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, 'local-use IPv4/IPv6 translation (RFC 8215)'],
  [[0x100, 0, 0, 0, 0, 0, 0, 0], 64, 'discard-only (RFC 6666)'],
  [[0x2001, 2, 0, 0, 0, 0, 0, 0], 48, 'benchmarking (RFC 5180)'],
  [[0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, 'deprecated ORCHID (RFC 4843)'],
  [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, 'documentation (RFC 3849)'],
  [[0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, 'documentation (RFC 9637)'],
  [[0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, 'SRv6 SIDs (RFC 9602)'],
  [[0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, 'deprecated site-local (RFC 3879)'],
  [[0xff00, 0, 0, 0, 0, 0, 0, 0], 8, 'multicast (RFC 4291)'],
];

/** Whether the first `prefix` bits of two addresses (as `bits`-bit parts) are equal. */
function within(address: readonly number[], start: readonly number[], prefix: number, bits: number): boolean {
  for (let index = 0; index < start.length; index += 1) {
    const take = Math.min(bits, Math.max(0, prefix - index * bits));
    if (take === 0) return true;
    const mask = ((1 << bits) - 1) ^ ((1 << (bits - take)) - 1);
    if (((address[index] ?? 0) & mask) !== ((start[index] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * The name of the special-purpose range holding `cidr` (a block as `parseAddress`/`parseBlock`
 * write it, no wider than any range here, so its first address decides); undefined for any other.
 */
export function specialRange(cidr: string): string | undefined {
  const [address = ''] = cidr.split('/');
  const v4 = ipv4(address);
  if (v4) return SPECIAL_V4.find(([start, prefix]) => within(v4, start, prefix, 8))?.[2];
  const v6 = ipv6(address);
  if (!v6) return undefined;
  const listed = SPECIAL_V6.find(([start, prefix]) => within(v6, start, prefix, 16))?.[2];
  if (listed) return listed;
  // Every globally reachable unicast address is allocated from 2000::/3, but for NAT64's
  // well-known prefix (RFC 6052); the rest of the space is reserved or unassigned, and the private,
  // link-local and loopback addresses in it are `isNonPublic`'s.
  const global = ((v6[0] ?? 0) & 0xe000) === 0x2000 || within(v6, NAT64_WELL_KNOWN, 96, 16);
  return global || isNonPublic(cidr) ? undefined : 'outside global unicast 2000::/3 (IANA IPv6 Address Space)';
}

/** NAT64's well-known prefix 64:ff9b::/96 (RFC 6052): outside 2000::/3, globally reachable. */
const NAT64_WELL_KNOWN = [0x64, 0xff9b, 0, 0, 0, 0, 0, 0] as const;

/** A given block no wider than /24 (IPv4) or /64 (IPv6), host bits cleared; undefined otherwise. */
function parseBlock(text: string): string | undefined {
  const [address = '', prefixText = '', ...rest] = text.split('/');
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const v4 = ipv4(address);
  if (v4) {
    if (prefix < 24 || prefix > 32) return undefined;
    const value = v4.reduce((sum, octet) => sum * 256 + octet, 0);
    const masked = prefix === 32 ? value : value - (value % 2 ** (32 - prefix));
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256);
    return `${octets.join('.')}/${prefix}`;
  }
  const v6 = ipv6(address);
  if (!v6 || mappedIpv4(v6) || prefix < 64 || prefix > 128) return undefined;
  const masked = v6.map((group, index) => {
    const bits = Math.min(16, Math.max(0, prefix - index * 16));
    return bits === 16 ? group : group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${prefix}`;
}

/** Four decimal octets without leading zeros (`010` is octal to some parsers: refused). */
function ipv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.some((octet) => octet > 255) ? undefined : octets;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail allowed); undefined if it is none. */
function ipv6(text: string): number[] | undefined {
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    const v4 = ipv4(body.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    const before = body.slice(0, lastColon + 1);
    body = before.endsWith('::') ? before : before.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (half: string | undefined) => (half ? half.split(':') : []);
  const head = split(halves[0]);
  const rest = split(halves[1]);
  if ([...head, ...rest].some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const zeros = Array<number>(8 - given).fill(0);
  const parse = (groups: string[]) => groups.map((group) => Number.parseInt(group, 16));
  return halves.length === 1 ? [...parse(head), ...tail] : [...parse(head), ...zeros, ...parse(rest), ...tail];
}

/** `::ffff:a.b.c.d` (IPv4-mapped): the IPv4 address it stands for. */
function mappedIpv4(groups: readonly number[]): number[] | undefined {
  if (groups.slice(0, 5).some((group) => group !== 0) || groups[5] !== 0xffff) return undefined;
  const [high = 0, low = 0] = groups.slice(6);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

/**
 * Why a Deny on source addresses would leave `ip` out, or undefined when it would list it: the
 * name of its private, shared, loopback or link-local range (a request through a VPC endpoint
 * carries no `aws:SourceIp`), of its special-purpose range, or that it is no address a Deny can
 * name. An IPv4-mapped IPv6 address is judged by its IPv4 address, as AWS sees it.
 */
export function leftOutRange(ip: string): string | undefined {
  const text = ip.trim();
  const single = text.includes('/') ? parseBlock(text) : parseAddress(text)?.single;
  if (!single) return 'not an address a Deny can list';
  return specialRange(single) ?? nonPublicRange(single);
}

/**
 * A test of which of `blocks` (as a Deny on `aws:SourceIp` lists them, parsed once) holds an
 * address: the first such block, or undefined when none does or the address is one a Deny leaves
 * out (`leftOutRange`). A block that does not parse holds nothing.
 */
export function coveringBlock(blocks: readonly string[]): (ip: string) => string | undefined {
  const parsed = blocks.flatMap((block) => {
    const [start = '', prefix = '', ...rest] = block.split('/');
    const bits = bitsOf(start);
    const length = Number(prefix);
    const valid = bits && rest.length === 0 && /^\d{1,3}$/.test(prefix) && length <= (bits.width === 8 ? 32 : 128);
    return valid ? [{ block, bits, length }] : [];
  });
  return (ip) => {
    if (leftOutRange(ip) !== undefined) return undefined;
    const bits = bitsOf(parseAddress(ip.trim())?.single.split('/')[0] ?? '');
    if (!bits) return undefined;
    return parsed.find(
      (entry) => entry.bits.width === bits.width && within(bits.parts, entry.bits.parts, entry.length, bits.width),
    )?.block;
  };
}
