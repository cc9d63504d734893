import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DecisionRejected, IncidentNotFound, mapAwsError } from '../errors.js';
import type { ActionResult } from '../schemas/plan.js';
import type {
  ApprovalRecord,
  ClaimResult,
  IncidentRecord,
  IncidentStore,
  TimelineEvent,
  UndoEntry,
  VoteResult,
} from './types.js';

/** A document client that drops undefined attributes (optional fields are simply absent). */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

const strip = <T>(item: Record<string, unknown> | undefined): T | undefined => {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = item;
  return rest as T;
};

const incidentKey = (id: string) => ({ pk: `INCIDENT#${id}`, sk: 'META' });
const findingKey = (id: string) => ({ pk: `FINDING#${id}`, sk: 'FINDING' });
const approvalKey = (nonce: string) => ({ pk: `APPROVAL#${nonce}`, sk: 'APPROVAL' });
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const WEEK = 7 * 24 * 3600;

/** The incident store on DynamoDB (DESIGN §4); every racing write is conditional. */
export class DynamoIncidentStore implements IncidentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw mapAwsError(`dynamodb:${operation}`, error);
    }
  }

  private async put(item: Record<string, unknown>, condition?: string): Promise<boolean> {
    try {
      await this.call('PutItem', () =>
        this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: condition })),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const result = await this.call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return result.Item;
  }

  private async query(pk: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async claimFinding(args: {
    findingId: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
  }): Promise<ClaimResult> {
    const claimed = await this.put(
      {
        ...findingKey(args.findingId),
        incidentId: args.incidentId,
        executionName: args.executionName,
        firstCount: args.count,
        lastCount: args.count,
        createdAt: args.now,
      },
      'attribute_not_exists(pk)',
    );
    if (claimed) return { outcome: 'new', incidentId: args.incidentId };
    const existing = await this.get(findingKey(args.findingId));
    const incidentId = String(existing?.incidentId);
    if (existing?.executionName === args.executionName) return { outcome: 'retry', incidentId };
    const previousCount = Number(existing?.lastCount ?? 0);
    try {
      await this.call('UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: findingKey(args.findingId),
            UpdateExpression: 'SET lastCount = :count, updatedAt = :now',
            ConditionExpression: 'lastCount < :count',
            ExpressionAttributeValues: { ':count': args.count, ':now': args.now },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return { outcome: 'duplicate', incidentId, previousCount };
  }

  async createIncident(record: IncidentRecord): Promise<void> {
    await this.put({ ...incidentKey(record.incidentId), ...record }, 'attribute_not_exists(pk)');
  }

  async getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    return strip<IncidentRecord>(await this.get(incidentKey(incidentId)));
  }

  async updateIncident(incidentId: string, patch: Record<string, unknown>): Promise<void> {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = entries.map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    try {
      await this.call('UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
      throw error;
    }
  }

  async addEvent(incidentId: string, event: TimelineEvent): Promise<void> {
    await this.put({
      pk: `INCIDENT#${incidentId}`,
      sk: `EVENT#${event.at}#${randomBytes(4).toString('hex')}`,
      ...event,
    });
  }

  async listEvents(incidentId: string): Promise<TimelineEvent[]> {
    return (await this.query(`INCIDENT#${incidentId}`, 'EVENT#')).map(
      (item) => strip<TimelineEvent>(item) as TimelineEvent,
    );
  }

  async saveUndo(incidentId: string, entry: UndoEntry): Promise<'saved' | 'exists'> {
    const saved = await this.put(
      { pk: `INCIDENT#${incidentId}`, sk: `UNDO#${entry.kind}#${entry.target}`, ...entry },
      'attribute_not_exists(pk)',
    );
    return saved ? 'saved' : 'exists';
  }

  async listUndo(incidentId: string): Promise<UndoEntry[]> {
    return (await this.query(`INCIDENT#${incidentId}`, 'UNDO#')).map((item) => strip<UndoEntry>(item) as UndoEntry);
  }

  async recordAction(incidentId: string, result: ActionResult): Promise<void> {
    await this.put({ pk: `INCIDENT#${incidentId}`, sk: `ACTION#${result.action}#${result.target}`, ...result });
  }

  async listActions(incidentId: string): Promise<ActionResult[]> {
    return (await this.query(`INCIDENT#${incidentId}`, 'ACTION#')).map(
      (item) => strip<ActionResult>(item) as ActionResult,
    );
  }

  async putApproval(record: ApprovalRecord): Promise<void> {
    const created = await this.put(
      { ...approvalKey(record.nonce), ...record, ttl: epoch(record.expiresAt) + WEEK },
      'attribute_not_exists(pk)',
    );
    if (!created) throw new DecisionRejected('already-decided', 'an approval request with this nonce already exists');
  }

  async getApproval(nonce: string): Promise<ApprovalRecord | undefined> {
    return strip<ApprovalRecord>(await this.get(approvalKey(nonce)));
  }

  async supersedeApproval(nonce: string): Promise<void> {
    try {
      await this.call('UpdateItem', () =>
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
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async castVote(args: {
    nonce: string;
    userId: string;
    outcome: 'approved' | 'denied';
    now: string;
    selected?: string[];
    reason?: string;
  }): Promise<VoteResult> {
    const current = await this.getApproval(args.nonce);
    if (!current)
      throw new DecisionRejected('unknown-request', 'This approval request is unknown or has been removed.');
    const names = { '#status': 'status', '#votes': 'votes', '#expiresAt': 'expiresAt' };
    const base = { ':pending': 'pending', ':now': args.now, ':user': args.userId };
    const guard = '#status = :pending AND #expiresAt > :now';
    let update: UpdateCommand;
    let decided = true;
    if (args.outcome === 'denied' || current.requiredVotes === 1) {
      update = new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKey(args.nonce),
        UpdateExpression:
          'SET #status = :decided, outcome = :outcome, decidedBy = :by, decidedAt = :now, selected = :selected, #votes = list_append(#votes, :me)' +
          (args.reason ? ', reason = :reason' : ''),
        ConditionExpression: `${guard} AND NOT contains(#votes, :user)`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ...base,
          ':decided': 'decided',
          ':outcome': args.outcome,
          ':by': args.outcome === 'denied' ? [args.userId] : [...current.votes, args.userId],
          ':selected': args.outcome === 'denied' ? [] : (args.selected ?? []),
          ':me': [args.userId],
          ...(args.reason ? { ':reason': args.reason } : {}),
        },
        ReturnValues: 'ALL_NEW',
      });
    } else if (current.votes.length === 0) {
      decided = false;
      update = new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKey(args.nonce),
        UpdateExpression: 'SET #votes = :me, selected = :selected',
        ConditionExpression: `${guard} AND size(#votes) = :zero AND NOT contains(#votes, :user)`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...base, ':me': [args.userId], ':selected': args.selected ?? [], ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      });
    } else {
      const first = new Set(current.selected ?? []);
      const selected = (args.selected ?? []).filter((action) => first.has(action));
      update = new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKey(args.nonce),
        UpdateExpression:
          'SET #status = :decided, outcome = :outcome, decidedBy = :by, decidedAt = :now, selected = :selected, #votes = list_append(#votes, :me)',
        ConditionExpression: `${guard} AND size(#votes) = :one AND NOT contains(#votes, :user)`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ...base,
          ':decided': 'decided',
          ':outcome': 'approved',
          ':by': [...current.votes, args.userId],
          ':selected': selected,
          ':me': [args.userId],
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      });
    }
    try {
      const result = await this.call('UpdateItem', () => this.doc.send(update));
      const approval = strip<ApprovalRecord>(result.Attributes) as ApprovalRecord;
      return { state: decided ? 'decided' : 'vote-recorded', approval };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw this.rejection(await this.getApproval(args.nonce), args);
    }
  }

  private rejection(approval: ApprovalRecord | undefined, args: { userId: string; now: string }): DecisionRejected {
    if (!approval)
      return new DecisionRejected('unknown-request', 'This approval request is unknown or has been removed.');
    if (approval.status !== 'pending')
      return new DecisionRejected('already-decided', 'This request has already been decided or replaced.');
    if (approval.votes.includes(args.userId)) {
      return new DecisionRejected(
        'same-approver-twice',
        'You already approved; the two-person rule needs someone else.',
      );
    }
    if (Date.parse(approval.expiresAt) <= Date.parse(args.now))
      return new DecisionRejected('expired', `This request expired at ${approval.expiresAt}.`);
    return new DecisionRejected('already-decided', 'Another decision landed first.');
  }
}
