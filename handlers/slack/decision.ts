import { DecisionRejected } from '../shared/errors.js';
import { WITHDRAWN_REQUEST } from '../shared/store/dynamodb-votes.js';
import type { ApprovalRecord } from '../shared/store/types.js';

export interface DecisionRequest {
  readonly userId: string;
  readonly outcome: 'approved' | 'denied';
  /** Action ids ticked in the message (approve only). */
  readonly selected?: readonly string[];
  readonly reason?: string;
}

/** The fields of an approval or a rollback request that say who may vote on it, and until when. */
export type VoterRecord = Pick<ApprovalRecord, 'status' | 'expiresAt' | 'approvers' | 'votes' | 'subjectUserId'>;

/** Whether a Slack id names a user group (`S…`) rather than a user (`U…`/`W…`). */
export const isUserGroupId = (id: string): boolean => /^S[A-Z0-9]{2,20}$/.test(id);

/**
 * The checks every vote shares (DESIGN §6), on an approval or a rollback request: it is pending and
 * not expired, the user is an approver (directly or through a user group they belong to), is not
 * the compromised principal's owner, and has not voted already. Throws DecisionRejected.
 */
export function checkVoter(record: VoterRecord, userId: string, now: Date, groupsOfUser: readonly string[] = []): void {
  if (record.status === 'withdrawn') throw new DecisionRejected('withdrawn', WITHDRAWN_REQUEST);
  if (record.status !== 'pending') {
    throw new DecisionRejected('already-decided', 'This request has already been decided or replaced.');
  }
  if (now.getTime() >= Date.parse(record.expiresAt)) {
    throw new DecisionRejected('expired', `This request expired at ${record.expiresAt}.`);
  }
  const allowed =
    record.approvers.includes(userId) ||
    groupsOfUser.some((group) => isUserGroupId(group) && record.approvers.includes(group));
  if (!allowed) throw new DecisionRejected('not-an-approver', 'You are not on the approvers list for this responder.');
  if (record.subjectUserId && record.subjectUserId === userId) {
    throw new DecisionRejected(
      'approver-is-subject',
      'You own the compromised principal, so someone else must decide.',
    );
  }
  if (record.votes.includes(userId)) {
    throw new DecisionRejected('same-approver-twice', 'You already approved; the two-person rule needs someone else.');
  }
}

/**
 * Whether a click may decide (DESIGN §6), before the conditional write that makes it count once:
 * the checks of `checkVoter`, and an approval selects at least one planned action. Returns the
 * selection to apply.
 */
export function checkDecision(
  approval: ApprovalRecord,
  request: DecisionRequest,
  now: Date,
  groupsOfUser: readonly string[] = [],
): { selected: string[] } {
  checkVoter(approval, request.userId, now, groupsOfUser);
  if (request.outcome === 'denied') return { selected: [] };
  const planned = new Set(approval.planItemIds);
  const selected = [...new Set(request.selected ?? [])].filter((action) => planned.has(action));
  if (selected.length === 0) {
    throw new DecisionRejected('nothing-selected', 'Select at least one action to approve, or deny.');
  }
  return { selected };
}
