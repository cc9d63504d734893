import { StoreConflict } from '../errors.js';
import { approvalKey, approvalTtl, stripKeys } from './dynamodb-items.js';
import type { DynamoTable } from './dynamodb-table.js';
import { checkVote, planVote, VOTE_ATTEMPTS, type VoteArgs } from './dynamodb-votes.js';
import type { ApprovalRecord, ApprovalWithdrawal, IncidentStore, VoteResult, WithdrawOutcome } from './types.js';

type ApprovalMethods = 'putApproval' | 'getApproval' | 'supersedeApproval' | 'withdrawApproval' | 'castVote';

/** The approval requests of `DynamoIncidentStore` (`APPROVAL#<nonce>`) and the votes cast on them. */
export class DynamoApprovals implements Pick<IncidentStore, ApprovalMethods> {
  constructor(private readonly table: DynamoTable) {}

  /** Stores a new approval request, kept until a week after it expires. Throws StoreConflict if the nonce is taken. */
  async putApproval(record: ApprovalRecord): Promise<void> {
    const created = await this.table.putIfAbsent({
      ...record,
      ...approvalKey(record.nonce),
      ttl: approvalTtl(record.expiresAt),
    });
    if (!created) throw new StoreConflict(`approval nonce ${record.nonce} is already in use`);
  }

  async getApproval(nonce: string): Promise<ApprovalRecord | undefined> {
    const item = await this.table.get(approvalKey(nonce));
    return item && stripKeys<ApprovalRecord>(item);
  }

  async supersedeApproval(nonce: string): Promise<void> {
    await this.table.update(approvalKey(nonce), {
      UpdateExpression: 'SET #status = :superseded',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':superseded': 'superseded', ':pending': 'pending' },
    });
  }

  /** One update conditioned on `status = pending`: the same guard every vote carries, so only one of them lands. */
  async withdrawApproval(nonce: string, withdrawal: ApprovalWithdrawal): Promise<WithdrawOutcome> {
    const written = (
      await this.table.update(approvalKey(nonce), {
        UpdateExpression: 'SET #status = :withdrawn, withdrawn = :withdrawal',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':withdrawn': 'withdrawn',
          ':pending': 'pending',
          ':withdrawal': { ...withdrawal },
        },
        ReturnValues: 'ALL_NEW',
      })
    )?.Attributes;
    return written
      ? { outcome: 'withdrawn', approval: stripKeys<ApprovalRecord>(written) }
      : { outcome: 'not-pending', approval: await this.getApproval(nonce) };
  }

  async withdrawVote({ previous, approval }: { previous: ApprovalRecord; approval: ApprovalRecord }): Promise<boolean> {
    const decidedBy = approval.decidedBy ?? [];
    const written = await this.table.putIf({
      Item: { ...previous, ...approvalKey(previous.nonce), ttl: approvalTtl(previous.expiresAt) },
      ConditionExpression: `#status = :decided AND #decidedAt = :decidedAt AND size(#decidedBy) = :count${decidedBy
        .map((_, index) => ` AND contains(#decidedBy, :by${index})`)
        .join('')}`,
      ExpressionAttributeNames: { '#status': 'status', '#decidedAt': 'decidedAt', '#decidedBy': 'decidedBy' },
      ExpressionAttributeValues: {
        ':decided': 'decided',
        ':decidedAt': approval.decidedAt ?? '',
        ':count': decidedBy.length,
        ...Object.fromEntries(decidedBy.map((userId, index) => [`:by${index}`, userId])),
      },
    });
    return written !== undefined;
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
      const result = await this.table.update(approvalKey(args.nonce), { ...plan.update, ReturnValues: 'ALL_NEW' });
      if (result?.Attributes) {
        const updated = stripKeys<ApprovalRecord>(result.Attributes);
        const previous = approval as ApprovalRecord;
        if (plan.state !== 'no-overlap') return { state: plan.state, approval: updated, previous };
        const { voter, selected } = plan.cleared;
        return { state: 'no-overlap', approval: updated, previous, firstVoter: voter, firstSelected: selected };
      }
      approval = await this.getApproval(args.nonce);
      if (attempt === VOTE_ATTEMPTS) {
        checkVote(approval, args);
        throw new StoreConflict(`vote on approval ${args.nonce} kept losing to concurrent writes`);
      }
    }
  }
}
