/**
 * EventBridge event-pattern matching, as the EventBridge user guide documents it ("Creating event
 * patterns", "Content filtering", "Comparison operators"):
 * - every field of the pattern must match (AND); the matchers of one field are alternatives (OR);
 * - a field whose event value is an array matches when any element matches;
 * - a field absent from the event matches only `{"exists": false}`;
 * - a nested pattern object matches a nested event object (or any object of an event array);
 * - `$or` matches when any of its sub-patterns does.
 * Leaf matchers: exact values (string, number, boolean, null), `prefix`, `suffix` (both also with
 * `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or
 * `prefix`/`suffix`/`equals-ignore-case`/`wildcard`), `numeric`, `exists` and `cidr` (IPv4, IPv6).
 * A pattern using anything else throws `InvalidEventPattern`: an unknown operator never matches
 * silently. Patterns may be written as the CDK writes them (`detailType` for `detail-type`).
 */
export class InvalidEventPattern extends Error {
  override readonly name = 'InvalidEventPattern';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The CDK's camelCase keys of the envelope, as EventBridge spells them. */
const CDK_KEYS: Record<string, string> = { detailType: 'detail-type' };

/** True when `event` matches `pattern`. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern))
    throw new InvalidEventPattern(`a pattern must be a JSON object, got ${JSON.stringify(pattern)}`);
  const top = Object.fromEntries(Object.entries(pattern).map(([key, value]) => [CDK_KEYS[key] ?? key, value]));
  return matchesObject(top, event, '');
}

function matchesObject(pattern: Json, event: unknown, path: string): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2 || !expected.every(isObject)) {
        throw new InvalidEventPattern(`${path}$or must list at least two patterns`);
      }
      return expected.some((alternative) => matchesObject(alternative, event, path));
    }
    const present = isObject(event) && Object.hasOwn(event, key);
    const actual = present ? (event as Json)[key] : undefined;
    if (Array.isArray(expected)) return expected.some((matcher) => matchesLeaf(matcher, present, actual, path + key));
    if (isObject(expected)) {
      if (!present) return false;
      const candidates = Array.isArray(actual) ? actual : [actual];
      return candidates.some(
        (candidate) => isObject(candidate) && matchesObject(expected, candidate, `${path}${key}.`),
      );
    }
    throw new InvalidEventPattern(`${path}${key}: a pattern field must be an array of matchers or an object`);
  });
}

function matchesLeaf(matcher: unknown, present: boolean, actual: unknown, path: string): boolean {
  if (!isObject(matcher)) {
    if (!present) return false;
    return valuesOf(actual).some((value) => value === matcher);
  }
  const keys = Object.keys(matcher);
  const operator = keys[0];
  if (operator === undefined || keys.length > 1) {
    throw new InvalidEventPattern(`${path}: a matcher has exactly one operator, got ${JSON.stringify(matcher)}`);
  }
  const argument = matcher[operator];
  if (operator === 'exists') {
    if (typeof argument !== 'boolean') throw new InvalidEventPattern(`${path}: exists takes true or false`);
    // Exists matches leaf values only, not intermediate objects.
    return argument ? present && !isObject(actual) : !present;
  }
  if (!present) return false;
  const values = valuesOf(actual);
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard': {
      const test = stringTest(operator, argument, path);
      return values.some((value) => typeof value === 'string' && test(value));
    }
    case 'anything-but': {
      const excluded = exclusion(argument, path);
      return values.some((value) => !excluded(value));
    }
    case 'numeric': {
      const test = numericTest(argument, path);
      return values.some((value) => typeof value === 'number' && test(value));
    }
    case 'cidr': {
      const test = cidrTest(argument, path);
      return values.some((value) => typeof value === 'string' && test(value));
    }
    default:
      throw new InvalidEventPattern(`${path}: unsupported operator "${operator}"`);
  }
}

const valuesOf = (actual: unknown): unknown[] => (Array.isArray(actual) ? actual : [actual]);

function stringTest(operator: string, argument: unknown, path: string): (value: string) => boolean {
  if (operator === 'wildcard') {
    if (typeof argument !== 'string') throw new InvalidEventPattern(`${path}: wildcard takes a string`);
    return wildcard(argument);
  }
  if (operator === 'equals-ignore-case') {
    if (typeof argument !== 'string') throw new InvalidEventPattern(`${path}: equals-ignore-case takes a string`);
    return (value) => value.toLowerCase() === argument.toLowerCase();
  }
  let text = argument;
  let fold = false;
  if (isObject(argument) && Object.keys(argument).length === 1 && 'equals-ignore-case' in argument) {
    text = argument['equals-ignore-case'];
    fold = true;
  }
  if (typeof text !== 'string') throw new InvalidEventPattern(`${path}: ${operator} takes a string`);
  const wanted = fold ? text.toLowerCase() : text;
  return (value) => {
    const seen = fold ? value.toLowerCase() : value;
    return operator === 'prefix' ? seen.startsWith(wanted) : seen.endsWith(wanted);
  };
}

/** `*` is any run of characters; `\*` a literal star, `\\` a literal backslash. */
function wildcard(pattern: string): (value: string) => boolean {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '\\' && (pattern[index + 1] === '*' || pattern[index + 1] === '\\')) {
      source += `\\${pattern[index + 1]}`;
      index += 1;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

/** What `anything-but` excludes: true for an excluded value. */
function exclusion(argument: unknown, path: string): (value: unknown) => boolean {
  if (isObject(argument)) {
    const [operator, ...more] = Object.keys(argument);
    if (!operator || more.length > 0) throw new InvalidEventPattern(`${path}: anything-but takes one operator`);
    const inner = argument[operator];
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(operator)) {
      throw new InvalidEventPattern(`${path}: unsupported anything-but operator "${operator}"`);
    }
    const tests = (Array.isArray(inner) ? inner : [inner]).map((item) => stringTest(operator, item, path));
    return (value) => typeof value === 'string' && tests.some((test) => test(value));
  }
  const list = Array.isArray(argument) ? argument : [argument];
  if (list.some((item) => typeof item !== 'string' && typeof item !== 'number')) {
    throw new InvalidEventPattern(`${path}: anything-but takes strings or numbers`);
  }
  return (value) => list.includes(value);
}

const COMPARE: Record<string, (left: number, right: number) => boolean> = {
  '<': (left, right) => left < right,
  '<=': (left, right) => left <= right,
  '=': (left, right) => left === right,
  '>=': (left, right) => left >= right,
  '>': (left, right) => left > right,
};

function numericTest(argument: unknown, path: string): (value: number) => boolean {
  if (!Array.isArray(argument) || argument.length === 0 || argument.length % 2 !== 0 || argument.length > 4) {
    throw new InvalidEventPattern(`${path}: numeric takes one or two [operator, number] pairs`);
  }
  const checks: ((value: number) => boolean)[] = [];
  for (let index = 0; index < argument.length; index += 2) {
    const compare = COMPARE[String(argument[index])];
    const bound = argument[index + 1];
    if (!compare || typeof bound !== 'number') {
      throw new InvalidEventPattern(`${path}: numeric pair ${JSON.stringify(argument.slice(index, index + 2))}`);
    }
    checks.push((value) => compare(value, bound));
  }
  return (value) => checks.every((check) => check(value));
}

function cidrTest(argument: unknown, path: string): (value: string) => boolean {
  const [address, bits] = typeof argument === 'string' ? argument.split('/') : [];
  const network = address === undefined ? undefined : ipToBigInt(address);
  const width = network?.width;
  const prefix = Number(bits);
  if (!network || width === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > width) {
    throw new InvalidEventPattern(`${path}: cidr takes an IPv4 or IPv6 block such as 10.0.0.0/24`);
  }
  const shift = BigInt(width - prefix);
  return (value) => {
    const ip = ipToBigInt(value);
    return ip !== undefined && ip.width === width && ip.value >> shift === network.value >> shift;
  };
}

/** An IPv4 or IPv6 address as a number and its width in bits; undefined for anything else. */
export function ipToBigInt(text: string): { value: bigint; width: 32 | 128 } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    return { value: octets.reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n), width: 32 };
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (all.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return { value: all.reduce((sum, group) => (sum << 16n) + BigInt(Number.parseInt(group, 16)), 0n), width: 128 };
}
