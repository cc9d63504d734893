/**
 * DynamoDB's item size limit: an UpdateItem or PutItem that would make an item larger is refused
 * with ValidationException ("Item size has exceeded the maximum allowed size").
 */
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The size DynamoDB counts for a value as the store writes it (`marshall` with
 * `removeUndefinedValues`), following the published rules ("DynamoDB item sizes and formats"):
 * a string is its UTF-8 bytes; a number one byte per two significant digits plus one (plus one
 * when negative); a boolean or null one byte; a set the sum of its members;
 * a list or map 3 bytes, plus one byte per element, plus each element (a map's element with its
 * name). An undefined value is not written and counts nothing.
 */
export function valueSize(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberSize(value);
  if (value instanceof Set) return [...value].reduce((sum: number, member) => sum + valueSize(member), 0);
  if (Array.isArray(value)) return value.reduce((sum: number, element) => sum + 1 + valueSize(element), 3);
  return Object.entries(value as object).reduce(
    (sum, [name, element]) => (element === undefined ? sum : sum + 1 + utf8(name) + valueSize(element)),
    3,
  );
}

/** The size of a whole item: each attribute's name and value (`pk`, `sk` and `ttl` included when present). */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + utf8(name) + valueSize(value)),
    0,
  );
}

/** Significant digits: leading and trailing zeros are not stored. */
function numberSize(value: number): number {
  const digits = Math.abs(value).toExponential().split('e')[0]?.replace('.', '').replace(/0+$/, '') ?? '';
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1 + (value < 0 ? 1 : 0);
}
