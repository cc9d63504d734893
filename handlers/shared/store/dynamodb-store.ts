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
  correlationKey,
  correlationTtl,
  findingKey,
  guarded,
  type ItemKey,
  incidentKey,
  incidentPk,
  rollbackKey,
  stripKeys,
} from './dynamodb-items.js';
import { checkVote, planVote, type VoteArgs } from './dynamodb-votes.js';
import type {
  ApprovalRecord,
  ClaimResult,
  CorrelationResult,
  IncidentRecord,
  IncidentStore,
  RollbackRequestRecord,
  RollbackVoteResult,
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
    const linkedTo = typeof existing.linkedTo === 'string' ? existing.linkedTo : undefined;
    if (existing.executionName === args.executionName) {
      return linkedTo ? { outcome: 'retry', incidentId, linkedTo } : { outcome: 'retry', incidentId };
    }
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
    return { outcome: 'duplicate', incidentId: linkedTo ?? incidentId, previousCount };
  }

  async takeOverFinding(args: {
    findingId: string;
    from: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
    claimedBefore: string;
  }): Promise<boolean> {
    const updated = await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: findingKey(args.findingId),
          UpdateExpression:
            'SET #incidentId = :incidentId, #executionName = :executionName, #lastCount = :count, #createdAt = :now REMOVE #linkedTo',
          ConditionExpression:
            '#incidentId = :from AND #createdAt < :claimedBefore AND attribute_not_exists(#linkedTo)',
          ExpressionAttributeNames: {
            '#incidentId': 'incidentId',
            '#executionName': 'executionName',
            '#lastCount': 'lastCount',
            '#createdAt': 'createdAt',
            '#linkedTo': 'linkedTo',
          },
          ExpressionAttributeValues: {
            ':incidentId': args.incidentId,
            ':executionName': args.executionName,
            ':count': args.count,
            ':now': args.now,
            ':from': args.from,
            ':claimedBefore': args.claimedBefore,
          },
        }),
      ),
    );
    return updated !== undefined;
  }

  async linkFinding(args: { findingId: string; incidentId: string }): Promise<void> {
    await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: findingKey(args.findingId),
          UpdateExpression: 'SET #linkedTo = :incidentId',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#linkedTo': 'linkedTo' },
          ExpressionAttributeValues: { ':incidentId': args.incidentId },
        }),
      ),
    );
  }

  /**
   * One conditional put (`attribute_not_exists(pk) OR incidentId = :mine OR expiresAt <= :now`,
   * ISO-8601 UTC strings compare in time order). When it does not hold, the holder is read back;
   * if the claim vanished in between (its TTL), the put is tried once more.
   */
  async claimCorrelation(args: {
    key: string;
    incidentId: string;
    expiresAt: string;
    now: string;
  }): Promise<CorrelationResult> {
    const key = correlationKey(args.key);
    for (let attempt = 1; ; attempt += 1) {
      const put = await guarded('PutItem', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...key,
              incidentId: args.incidentId,
              claimedAt: args.now,
              expiresAt: args.expiresAt,
              ttl: correlationTtl(args.expiresAt),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #incidentId = :mine OR #expiresAt <= :now',
            ExpressionAttributeNames: { '#incidentId': 'incidentId', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':mine': args.incidentId, ':now': args.now },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      if (put) {
        // The put replaced the item: the holder before (or, on a retry, what the first claim
        // recorded as the holder before) is written back as previousIncidentId.
        const old = put.Attributes;
        const before = old?.incidentId === args.incidentId ? old?.previousIncidentId : old?.incidentId;
        if (typeof before !== 'string') return { outcome: 'claimed' };
        await this.setPrevious(key, args.incidentId, before);
        return { outcome: 'claimed', previousIncidentId: before };
      }
      const holder = await this.get(key);
      if (holder) {
        return {
          outcome: 'held',
          incidentId: String(holder.incidentId),
          claimedAt: String(holder.claimedAt),
          expiresAt: String(holder.expiresAt),
        };
      }
      if (attempt === 2) throw new StoreConflict(`correlation ${args.key} keeps changing; try again`);
    }
  }

  async handOverCorrelation(args: {
    key: string;
    from: string;
    to: string;
    expiresAt: string;
    now: string;
    previousIncidentId?: string;
  }): Promise<boolean> {
    const previous = args.previousIncidentId ? ', #previous = :previous' : '';
    const updated = await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: correlationKey(args.key),
          UpdateExpression: `SET #incidentId = :to, #claimedAt = :now, #expiresAt = :expiresAt, #ttl = :ttl${previous}`,
          ConditionExpression: '#incidentId = :from',
          ExpressionAttributeNames: {
            '#incidentId': 'incidentId',
            '#claimedAt': 'claimedAt',
            '#expiresAt': 'expiresAt',
            '#ttl': 'ttl',
            ...(args.previousIncidentId ? { '#previous': 'previousIncidentId' } : {}),
          },
          ExpressionAttributeValues: {
            ':to': args.to,
            ':from': args.from,
            ':now': args.now,
            ':expiresAt': args.expiresAt,
            ':ttl': correlationTtl(args.expiresAt),
            ...(args.previousIncidentId ? { ':previous': args.previousIncidentId } : {}),
          },
        }),
      ),
    );
    return updated !== undefined;
  }

  async extendCorrelation(args: { key: string; incidentId: string; expiresAt: string }): Promise<void> {
    await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: correlationKey(args.key),
          UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl',
          ConditionExpression: '#incidentId = :incidentId AND #expiresAt < :expiresAt',
          ExpressionAttributeNames: { '#incidentId': 'incidentId', '#expiresAt': 'expiresAt', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':incidentId': args.incidentId,
            ':expiresAt': args.expiresAt,
            ':ttl': correlationTtl(args.expiresAt),
          },
        }),
      ),
    );
  }

  async appendFindingId(incidentId: string, findingId: string, now: string): Promise<IncidentRecord> {
    const key = incidentKey(incidentId);
    const updated = await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #findingIds = list_append(#findingIds, :one), #updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(#findingIds, :findingId)',
          ExpressionAttributeNames: { '#findingIds': 'findingIds', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':one': [findingId], ':findingId': findingId, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (updated?.Attributes) return stripKeys<IncidentRecord>(updated.Attributes);
    const item = await this.get(key);
    if (!item) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    return stripKeys<IncidentRecord>(item);
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

  /** Stores a new rollback request, kept until a week after it expires. Throws StoreConflict if the nonce is taken. */
  async putRollbackRequest(record: RollbackRequestRecord): Promise<void> {
    const created = await this.putIfAbsent({
      ...record,
      ...rollbackKey(record.nonce),
      ttl: approvalTtl(record.expiresAt),
    });
    if (!created) throw new StoreConflict(`rollback nonce ${record.nonce} is already in use`);
  }

  async getRollbackRequest(nonce: string): Promise<RollbackRequestRecord | undefined> {
    const item = await this.get(rollbackKey(nonce));
    return item && stripKeys<RollbackRequestRecord>(item);
  }

  /**
   * Casts an approving vote on a rollback request with the same conditional updates as `castVote`
   * (planned by `planVote` on the request as read, re-read and re-planned when a concurrent vote
   * lands first), so a double click, a retry or a replay counts once.
   */
  async castRollbackVote(args: { nonce: string; userId: string; now: string }): Promise<RollbackVoteResult> {
    const vote: VoteArgs = { nonce: args.nonce, userId: args.userId, outcome: 'approved', now: args.now };
    const key = rollbackKey(args.nonce);
    let request = await this.getRollbackRequest(args.nonce);
    for (let attempt = 1; ; attempt += 1) {
      const plan = planVote(request, vote);
      const result = await guarded('UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({ TableName: this.tableName, Key: key, ...plan.update, ReturnValues: 'ALL_NEW' }),
        ),
      );
      if (result?.Attributes) {
        return { state: plan.state, request: stripKeys<RollbackRequestRecord>(result.Attributes) };
      }
      request = await this.getRollbackRequest(args.nonce);
      if (attempt === VOTE_ATTEMPTS) {
        checkVote(request, vote);
        throw new StoreConflict(`vote on rollback request ${args.nonce} kept losing to concurrent writes`);
      }
    }
  }

  async recordRollbackStart(
    nonce: string,
    result: { execution: NonNullable<RollbackRequestRecord['execution']> } | { startError: string },
  ): Promise<void> {
    const update =
      'execution' in result
        ? {
            UpdateExpression: 'SET #execution = :execution REMOVE #startError',
            ConditionExpression: '#status = :decided',
            ExpressionAttributeNames: { '#execution': 'execution', '#startError': 'startError', '#status': 'status' },
            ExpressionAttributeValues: { ':execution': result.execution, ':decided': 'decided' },
          }
        : {
            UpdateExpression: 'SET #startError = :startError',
            ConditionExpression: '#status = :decided AND attribute_not_exists(#execution)',
            ExpressionAttributeNames: { '#execution': 'execution', '#startError': 'startError', '#status': 'status' },
            ExpressionAttributeValues: { ':startError': result.startError, ':decided': 'decided' },
          };
    await guarded('UpdateItem', () =>
      this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: rollbackKey(nonce), ...update })),
    );
  }

  /** Records on a claim which incident held the key before (kept across retries of the claimer). */
  private async setPrevious(key: ItemKey, incidentId: string, previous: string): Promise<void> {
    await guarded('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #previous = :previous',
          ConditionExpression: '#incidentId = :mine',
          ExpressionAttributeNames: { '#previous': 'previousIncidentId', '#incidentId': 'incidentId' },
          ExpressionAttributeValues: { ':previous': previous, ':mine': incidentId },
        }),
      ),
    );
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
