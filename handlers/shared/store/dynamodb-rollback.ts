import { StoreConflict } from '../errors.js';
import { approvalTtl, rollbackKey, stripKeys } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import { checkVote, planVote, VOTE_ATTEMPTS, type VoteArgs } from './dynamodb-votes.js';
import type { IncidentStore, RollbackRequestRecord, RollbackVoteResult } from './types.js';

type RollbackMethods = 'putRollbackRequest' | 'getRollbackRequest' | 'castRollbackVote' | 'recordRollbackStart';

/**
 * The rollback (Undo) requests of `DynamoIncidentStore` (`ROLLBACK#<nonce>`): the votes cast on
 * them, and what starting the rollback did once one is decided.
 */
export class DynamoRollbackRequests implements Pick<IncidentStore, RollbackMethods> {
  constructor(private readonly table: DynamoTable) {}

  /** Stores a new rollback request, kept until a week after it expires. Throws StoreConflict if the nonce is taken. */
  async putRollbackRequest(record: RollbackRequestRecord): Promise<void> {
    const created = await this.table.putIfAbsent({
      ...record,
      ...rollbackKey(record.nonce),
      ttl: approvalTtl(record.expiresAt),
    });
    if (!created) throw new StoreConflict(`rollback nonce ${record.nonce} is already in use`);
  }

  async getRollbackRequest(nonce: string): Promise<RollbackRequestRecord | undefined> {
    const item = await this.table.get(rollbackKey(nonce));
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
      if (plan.state === 'no-overlap') throw new RangeError('a rollback vote carries no selection to compare');
      const result = await this.table.update(key, { ...plan.update, ReturnValues: 'ALL_NEW' });
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
    await this.table.update(rollbackKey(nonce), update);
  }
}
