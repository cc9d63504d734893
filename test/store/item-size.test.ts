import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemSize, MAX_ITEM_BYTES, valueSize } from '../../handlers/shared/store/item-size.js';
import { dynaliteStore } from '../support/ports.js';

let doc: Awaited<ReturnType<typeof dynaliteStore>>['doc'];
let stop: () => Promise<void>;
const TABLE = 'item-size-rules';

beforeAll(async () => {
  ({ doc, stop } = await dynaliteStore(TABLE));
});
afterAll(async () => stop());

describe('an item size counted as DynamoDB counts it', () => {
  it('counts strings in UTF-8 bytes, numbers by significant digits, lists and maps with their overhead', () => {
    expect(valueSize('ab')).toBe(2);
    expect(valueSize('é€')).toBe(5);
    expect(valueSize(12_345)).toBe(4);
    expect(valueSize(1000)).toBe(2);
    expect(valueSize(-0.5)).toBe(3);
    expect(valueSize(true)).toBe(1);
    expect(valueSize([])).toBe(3);
    expect(valueSize(['ab', 'c'])).toBe(3 + 1 + 2 + 1 + 1);
    expect(valueSize({ ip: '10.0.0.1', gone: undefined })).toBe(3 + 1 + 2 + 8);
    expect(valueSize(new Set(['a', 'bc']))).toBe(3);
    expect(itemSize({ pk: 'INCIDENT#1', n: 7 })).toBe(2 + 10 + 1 + 2);
  });

  it('an item of exactly the limit is written and one byte more is refused', async () => {
    const item = (pad: number) => ({
      pk: 'INCIDENT#20261205-000000000000',
      sk: 'META',
      list: ['x'.repeat(1000), { nested: 'y'.repeat(pad) }],
      count: 42,
    });
    const base = itemSize(item(0));
    const exact = item(MAX_ITEM_BYTES - base);
    expect(itemSize(exact)).toBe(MAX_ITEM_BYTES);

    await doc.send(new PutCommand({ TableName: TABLE, Item: exact }));
    const over = doc.send(new PutCommand({ TableName: TABLE, Item: item(MAX_ITEM_BYTES - base + 1) }));

    await expect(over).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
