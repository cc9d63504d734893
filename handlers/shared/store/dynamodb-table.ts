import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { call, guarded, type ItemKey, incidentPk, stripKeys } from './dynamodb-items.js';

/**
 * What the table sends its operations through: a DynamoDB client's configuration and middleware
 * stack (a plain client, or a document client made from one, which shares both).
 */
export type TableClient = Pick<DynamoDBClient, 'middlewareStack' | 'config'>;

/** One item of the incident table, as the document client reads and writes it. */
export type Item = Record<string, NativeAttributeValue>;

/** A conditional PutItem without its table. */
export type PutRequest = Omit<PutCommandInput, 'TableName'>;

/** An UpdateItem without its table and key. */
export type UpdateRequest = Omit<UpdateCommandInput, 'TableName' | 'Key'>;

/** What a write answers: the item as it was or is, as `ReturnValues` asked. */
export interface WriteOutput {
  readonly Attributes?: Item;
}

/** Undefined attributes are dropped, as `createDocumentClient` does: optional fields are simply absent. */
const MARSHALL = { removeUndefinedValues: true } as const;

const toAttributes = (values: Item | undefined): Record<string, AttributeValue> | undefined =>
  values === undefined ? undefined : marshall(values, MARSHALL);

const fromAttributes = (attributes: Record<string, AttributeValue> | undefined): Item | undefined =>
  attributes === undefined ? undefined : unmarshall(attributes);

type Operation = GetItemCommand | PutItemCommand | UpdateItemCommand | QueryCommand | ScanCommand;

/** An operation's resolved middleware: what `Command.resolveMiddleware` answers. */
type Handler = (command: Operation) => Promise<{ output: object }>;

/**
 * The incident table the parts of `DynamoIncidentStore` share: one document client and table
 * name, and the few request shapes they send. Failures surface as the named errors of `call`;
 * the conditional requests (`putIfAbsent`, `putIf`, `update`) answer false or undefined when
 * their condition does not hold. Reads are strongly consistent, but for the one of an index
 * (`queryIndex`), which cannot be.
 *
 * Items are marshalled here, as the document client does, and each DynamoDB operation goes
 * through the client's configuration and middleware stack with its
 * middleware resolved once, on its first request, as the SDK's `cacheMiddleware` does: the
 * document client's own commands resolve it again on every request and cannot share it.
 */
export class DynamoTable {
  private readonly handlers = new Map<unknown, Handler>();

  constructor(
    private readonly client: TableClient,
    private readonly tableName: string,
  ) {}

  /** Sends one operation through the client's stack, resolved once per operation (as `Client.send` does with `cacheMiddleware`). */
  private async send<O extends object>(command: Operation): Promise<O> {
    let handler = this.handlers.get(command.constructor);
    if (!handler) {
      handler = command.resolveMiddleware(
        this.client.middlewareStack as never,
        this.client.config,
        undefined,
      ) as unknown as Handler;
      this.handlers.set(command.constructor, handler);
    }
    return (await handler(command)).output as O;
  }

  async put(item: Item): Promise<void> {
    await call('PutItem', () =>
      this.send<PutItemCommandOutput>(
        new PutItemCommand({ TableName: this.tableName, Item: marshall(item, MARSHALL) }),
      ),
    );
  }

  /** Writes the item unless one with its key exists: true when written. */
  async putIfAbsent(item: Item): Promise<boolean> {
    const written = await guarded('PutItem', () =>
      this.send<PutItemCommandOutput>(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, MARSHALL),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return written !== undefined;
  }

  /** A conditional PutItem: undefined when its condition did not hold. */
  async putIf(request: PutRequest): Promise<WriteOutput | undefined> {
    const { Item: item, ExpressionAttributeValues: values, ...rest } = request;
    const output = await guarded('PutItem', () =>
      this.send<PutItemCommandOutput>(
        new PutItemCommand({
          ...rest,
          TableName: this.tableName,
          Item: toAttributes(item),
          ExpressionAttributeValues: toAttributes(values),
        }),
      ),
    );
    return output && { Attributes: fromAttributes(output.Attributes) };
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    const result = await call('GetItem', () =>
      this.send<GetItemCommandOutput>(
        new GetItemCommand({ TableName: this.tableName, Key: marshall(key, MARSHALL), ConsistentRead: true }),
      ),
    );
    return fromAttributes(result.Item);
  }

  /** A conditional UpdateItem on one key: undefined when its condition did not hold. */
  async update(key: ItemKey, request: UpdateRequest): Promise<WriteOutput | undefined> {
    const { ExpressionAttributeValues: values, ...rest } = request;
    const output = await guarded('UpdateItem', () =>
      this.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          ...rest,
          TableName: this.tableName,
          Key: marshall(key, MARSHALL),
          ExpressionAttributeValues: toAttributes(values),
        }),
      ),
    );
    return output && { Attributes: fromAttributes(output.Attributes) };
  }

  /** Every item of one incident's partition whose sort key starts with `prefix`, all pages, keys stripped. */
  async query<T>(incidentId: string, prefix: string): Promise<T[]> {
    const items = await this.all('Query', (start) =>
      this.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: marshall({ ':pk': incidentPk(incidentId), ':prefix': prefix }, MARSHALL),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
    return items.map((item) => stripKeys<T>(item));
  }

  /**
   * Every item of a global secondary index whose partition key `name` is `value`, all pages, as the
   * index projects them (keys kept). Eventually consistent: an index cannot be read consistently.
   */
  queryIndex(index: string, name: string, value: string): Promise<Item[]> {
    return this.all('Query', (start) =>
      this.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': name },
          ExpressionAttributeValues: marshall({ ':value': value }, MARSHALL),
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /** A filtered, strongly consistent Scan of the whole table, all pages, keys kept. */
  scan(filter: {
    FilterExpression: string;
    ProjectionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
  }): Promise<Item[]> {
    const { ExpressionAttributeValues: values, ...rest } = filter;
    return this.all('Scan', (start) =>
      this.send<ScanCommandOutput>(
        new ScanCommand({
          ...rest,
          TableName: this.tableName,
          ExpressionAttributeValues: toAttributes(values),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /** The items of every page of a Query or Scan. */
  private async all(
    operation: string,
    page: (start: Record<string, AttributeValue> | undefined) => Promise<QueryCommandOutput | ScanCommandOutput>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const from = start;
      const { Items, LastEvaluatedKey } = await call(operation, () => page(from));
      items.push(...(Items ?? []).map((item) => unmarshall(item)));
      start = LastEvaluatedKey;
    } while (start);
    return items;
  }
}
