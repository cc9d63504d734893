import { DecisionRejected } from '../shared/errors.js';
import type { ApprovalRecord } from '../shared/store/types.js';

export interface DecisionRequest {
  readonly userId: string;
  readonly outcome: 'approved' | 'denied';
  /** Action ids ticked in the message (approve only). */
  readonly selected?: readonly string[];
  readonly reason?: string;
}

/**
 * Whether a click may decide (DESIGN §6), before the conditional write that makes it count once:
 * the request is pending and not expired, the user is an approver (directly or through a user
 * group they belong to), is not the compromised principal's owner, has not voted already, and an
 * approval selects at least one planned action. Returns the selection to apply.
 */
export function checkDecision(
  approval: ApprovalRecord,
  request: DecisionRequest,
  now: Date,
  groupsOfUser: readonly string[] = [],
): { selected: string[] } {
  if (approval.status !== 'pending') {
    throw new DecisionRejected('already-decided', 'This request has already been decided or replaced.');
  }
  if (now.getTime() >= Date.parse(approval.expiresAt)) {
    throw new DecisionRejected('expired', `This request expired at ${approval.expiresAt}.`);
  }
  const allowed =
    approval.approvers.includes(request.userId) || groupsOfUser.some((group) => approval.approvers.includes(group));
  if (!allowed) throw new DecisionRejected('not-an-approver', 'You are not on the approvers list for this responder.');
  if (approval.subjectUserId && approval.subjectUserId === request.userId) {
    throw new DecisionRejected(
      'approver-is-subject',
      'You own the compromised principal, so someone else must decide.',
    );
  }
  if (approval.votes.includes(request.userId)) {
    throw new DecisionRejected('same-approver-twice', 'You already approved; the two-person rule needs someone else.');
  }
  if (request.outcome === 'denied') return { selected: [] };
  const planned = new Set(approval.planItemIds);
  const selected = [...new Set(request.selected ?? [])].filter((action) => planned.has(action));
  if (selected.length === 0) {
    throw new DecisionRejected('nothing-selected', 'Select at least one action to approve, or deny.');
  }
  return { selected };
}
