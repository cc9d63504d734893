import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { IncidentNotFound, StoreConflict } from '../errors.js';
import type { Incident } from '../schemas/incident.js';
import type { ActionResult } from '../schemas/plan.js';
import {
  approvalKey,
  approvalTtl,
  call,
  findingKey,
  guarded,
  type ItemKey,
  incidentKey,
  incidentPk,
  stripKeys,
} from './dynamodb-items.js';
import { checkVote, planVote, type VoteArgs } from './dynamodb-votes.js';
import type {
  ApprovalRecord,
  ClaimResult,
  IncidentRecord,
  IncidentStore,
  TimelineEvent,
  UndoEntry,
  VoteResult,
} from './types.js';

type Item = Record<string, NativeAttributeValue>;
type IncidentPatch = Partial<Omit<IncidentRecord, 'incidentId' | 'createdAt' | 'incident'>> & { incident?: Incident };

const VOTE_ATTEMPTS = 3;

/**
 * A document client for `DynamoIncidentStore`: undefined attributes are dropped, so optional
 * record fields are simply absent from the item.
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The incident store on one DynamoDB table (DESIGN §4, key layout in types.ts). Every write that
 * could race is conditional, so retries, redeliveries and concurrent clicks change nothing twice.
 * Reads are strongly consistent. Unexpected SDK errors surface as the named errors of `mapAwsError`.
 * Expects a client from `createDocumentClient`.
 */
export class DynamoIncidentStore implements IncidentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claimFinding(args: {
    findingId: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
  }): Promise<ClaimResult> {
    const key = findingKey(args.findingId);
    const claim = {
      ...key,
      incidentId: args.incidentId,
      executionName: args.executionName,
      firstCount: args.count,
      lastCount: args.count,
      createdAt: args.now,
    };
    if (await this.putIfAbsent(claim)) return { outcome: 'new', incidentId: args.incidentId };
    const existing = await this.get(key);
    if (!existing) throw new StoreConflict(`finding ${args.findingId} was claimed and then removed; try again`);
    const incidentId = String(existing.incidentId);
    if (existing.executionName === args.executionName) return { outcome: 'retry', incidentId };
    const raised = await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #lastCount = :count',
          ConditionExpression: '#lastCount < :count',
          ExpressionAttributeNames: { '#lastCount': 'lastCount' },
          ExpressionAttributeValues: { ':count': args.count },
          ReturnValues: 'UPDATED_OLD',
        }),
      ),
    );
    const previousCount = Number(raised?.Attributes?.lastCount ?? existing.lastCount);
    return { outcome: 'duplicate', incidentId, previousCount };
  }

  async createIncident(record: IncidentRecord): Promise<void> {
    await this.putIfAbsent({ ...record, ...incidentKey(record.incidentId) });
  }

  async getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    const item = await this.get(incidentKey(incidentId));
    return item && stripKeys<IncidentRecord>(item);
  }

  async updateIncident(incidentId: string, patch: IncidentPatch): Promise<IncidentRecord> {
    const fields = Object.entries(patch).filter(([, value]) => value !== undefined);
    const key = incidentKey(incidentId);
    const notFound = () => new IncidentNotFound(`incident ${incidentId} is not in the store`);
    if (fields.length === 0) {
      const item = await this.get(key);
      if (!item) throw notFound();
      return stripKeys<IncidentRecord>(item);
    }
    const names: Record<string, string> = {};
    const values: Item = {};
    const sets = fields.map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    const updated = await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!updated?.Attributes) throw notFound();
    return stripKeys<IncidentRecord>(updated.Attributes);
  }

  async addEvent(incidentId: string, event: TimelineEvent): Promise<void> {
    const sk = `EVENT#${event.at}#${randomBytes(4).toString('hex')}`;
    await this.put({ ...event, pk: incidentPk(incidentId), sk });
  }

  async listEvents(incidentId: string): Promise<TimelineEvent[]> {
    return this.query<TimelineEvent>(incidentId, 'EVENT#');
  }

  async saveUndo(incidentId: string, entry: UndoEntry): Promise<'saved' | 'exists'> {
    const saved = await this.putIfAbsent({
      ...entry,
      pk: incidentPk(incidentId),
      sk: `UNDO#${entry.kind}#${entry.target}`,
    });
    return saved ? 'saved' : 'exists';
  }

  async listUndo(incidentId: string): Promise<UndoEntry[]> {
    return this.query<UndoEntry>(incidentId, 'UNDO#');
  }

  async recordAction(incidentId: string, result: ActionResult): Promise<void> {
    await this.put({ ...result, pk: incidentPk(incidentId), sk: `ACTION#${result.action}#${result.target}` });
  }

  async listActions(incidentId: string): Promise<ActionResult[]> {
    return this.query<ActionResult>(incidentId, 'ACTION#');
  }

  /** Stores a new approval request, kept until a week after it expires. Throws StoreConflict if the nonce is taken. */
  async putApproval(record: ApprovalRecord): Promise<void> {
    const created = await this.putIfAbsent({
      ...record,
      ...approvalKey(record.nonce),
      ttl: approvalTtl(record.expiresAt),
    });
    if (!created) throw new StoreConflict(`approval nonce ${record.nonce} is already in use`);
  }

  async getApproval(nonce: string): Promise<ApprovalRecord | undefined> {
    const item = await this.get(approvalKey(nonce));
    return item && stripKeys<ApprovalRecord>(item);
  }

  async supersedeApproval(nonce: string): Promise<void> {
    await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(nonce),
          UpdateExpression: 'SET #status = :superseded',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':superseded': 'superseded', ':pending': 'pending' },
        }),
      ),
    );
  }

  /**
   * Reads the approval, then casts the vote with one update conditioned on the state it was
   * planned on. When the condition fails, another vote landed first: the approval is read again
   * and the vote is either rejected with the precise reason or, when it still counts (a second
   * approver racing the first), cast on the new state. `expiresAt` is compared as an ISO-8601 UTC
   * string, as `Date#toISOString` writes it.
   */
  async castVote(args: VoteArgs): Promise<VoteResult> {
    let approval = await this.getApproval(args.nonce);
    for (let attempt = 1; ; attempt += 1) {
      const plan = planVote(approval, args);
      const result = await guarded('UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: approvalKey(args.nonce),
            ...plan.update,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (result?.Attributes) return { state: plan.state, approval: stripKeys<ApprovalRecord>(result.Attributes) };
      approval = await this.getApproval(args.nonce);
      if (attempt === VOTE_ATTEMPTS) {
        checkVote(approval, args);
        throw new StoreConflict(`vote on approval ${args.nonce} kept losing to concurrent writes`);
      }
    }
  }

  private async put(item: Item): Promise<void> {
    await call('PutItem', () => this.doc.send(new PutCommand({ TableName: this.tableName, Item: item })));
  }

  private async putIfAbsent(item: Item): Promise<boolean> {
    const written = await guarded('PutItem', () =>
      this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    return written !== undefined;
  }

  private async get(key: ItemKey): Promise<Item | undefined> {
    const result = await call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return result.Item;
  }

  private async query<T>(incidentId: string, prefix: string): Promise<T[]> {
    const items: T[] = [];
    let start: Item | undefined;
    do {
      const exclusiveStartKey = start;
      const page = await call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        ),
      );
      items.push(...(page.Items ?? []).map((item) => stripKeys<T>(item)));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
