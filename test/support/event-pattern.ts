/**
 * EventBridge event-pattern matching for the subset of the pattern language our rules use: exact
 * values, `prefix`, `anything-but` (a value, a list, or a prefix), `exists`, and `$or`. Semantics as
 * documented: every field of the pattern must match; a leaf array matches when any of its items
 * matches the event's value (or any element of an event array); a field absent from the event
 * matches only `{"exists": false}`. Anything else in a pattern throws, so a test cannot pass on an
 * operator this matcher does not understand.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error(`a pattern must be an object, got ${JSON.stringify(pattern)}`);
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected)) throw new Error('$or must be an array of patterns');
      return expected.some((alternative) => matchesPattern(alternative, event));
    }
    const present = isObject(event) && key in event;
    const actual = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return expected.some((matcher) => matchesLeaf(matcher, present, actual));
    if (isObject(expected)) return present && isObject(actual) && matchesPattern(expected, actual);
    throw new Error(`pattern field ${key} must be an array or an object`);
  });
}

function matchesLeaf(matcher: unknown, present: boolean, actual: unknown): boolean {
  if (isObject(matcher)) {
    const [operator, ...more] = Object.keys(matcher);
    if (!operator || more.length > 0) throw new Error(`unsupported matcher ${JSON.stringify(matcher)}`);
    const argument = matcher[operator];
    if (operator === 'exists') return present === argument;
    if (!present || actual === null) return false;
    const values = Array.isArray(actual) ? actual : [actual];
    switch (operator) {
      case 'prefix':
        return values.some((value) => typeof value === 'string' && value.startsWith(String(argument)));
      case 'anything-but':
        return values.some((value) => !anythingBut(argument, value));
      default:
        throw new Error(`unsupported operator ${operator}`);
    }
  }
  if (!present) return false;
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((value) => value === matcher);
}

/** True when `value` is one of the excluded values. */
function anythingBut(argument: unknown, value: unknown): boolean {
  if (Array.isArray(argument)) return argument.includes(value);
  if (isObject(argument) && 'prefix' in argument) {
    return typeof value === 'string' && value.startsWith(String(argument.prefix));
  }
  if (isObject(argument)) throw new Error(`unsupported anything-but ${JSON.stringify(argument)}`);
  return value === argument;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
