import type { NativeAttributeValue, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DecisionRejected } from '../errors.js';
import type { VotableRecord } from './types.js';

/** One approver's click, as `IncidentStore.castVote` receives it. */
export interface VoteArgs {
  readonly nonce: string;
  readonly userId: string;
  readonly outcome: 'approved' | 'denied';
  readonly now: string;
  readonly selected?: string[];
  readonly reason?: string;
}

/** What a click on a withdrawn request is told: nothing was sent. */
export const WITHDRAWN_REQUEST = 'Withdrawn: the incident was closed. Nothing was sent.';

/** How many times a vote is planned and cast before it gives up on concurrent writes (StoreConflict). */
export const VOTE_ATTEMPTS = 3;

type Update = Pick<
  UpdateCommandInput,
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/**
 * The conditional update that casts a vote, and the state it reaches when its condition holds;
 * for 'no-overlap', the first vote the update clears and what it selected.
 */
export type VotePlan =
  | { readonly state: 'decided' | 'vote-recorded'; readonly update: Update }
  | {
      readonly state: 'no-overlap';
      readonly cleared: { readonly voter: string; readonly selected: string[] };
      readonly update: Update;
    };

/**
 * Throws the DecisionRejected that the approval as read calls for: 'unknown-request', 'already-decided',
 * 'expired' (`now` at or after `expiresAt`) or 'same-approver-twice' (an approval vote by someone who
 * already voted). Returns the approval when the vote may be cast.
 */
export function checkVote<T extends VotableRecord>(approval: T | undefined, args: VoteArgs): T {
  if (!approval) {
    throw new DecisionRejected('unknown-request', 'This approval request is unknown or has been removed.');
  }
  if (approval.status === 'withdrawn') {
    throw new DecisionRejected('withdrawn', WITHDRAWN_REQUEST);
  }
  if (approval.status !== 'pending') {
    throw new DecisionRejected('already-decided', 'This request has already been decided or replaced.');
  }
  if (isoMillis(args.now) >= Date.parse(approval.expiresAt)) {
    throw new DecisionRejected('expired', `This request expired at ${approval.expiresAt}.`);
  }
  if (args.outcome === 'approved' && approval.requiredVotes === 2 && approval.votes.includes(args.userId)) {
    throw new DecisionRejected('same-approver-twice', 'You already approved; the two-person rule needs someone else.');
  }
  return approval;
}

/**
 * Plans the single conditional update that casts this vote on the approval as read. Each update is
 * guarded by `status = pending AND expiresAt > now` plus the vote count it was planned on, so a
 * concurrent vote makes it fail instead of counting twice. A second approval that carries a
 * selection with nothing in common with the first one's decides nothing: it clears the first
 * vote (and records none), so both approvers can vote again. Throws like `checkVote`.
 */
export function planVote(approval: VotableRecord | undefined, args: VoteArgs): VotePlan {
  const current = checkVote(approval, args);
  const guard = {
    expression: '#status = :pending AND #expiresAt > :now',
    names: { '#status': 'status', '#expiresAt': 'expiresAt' },
    values: { ':pending': 'pending', ':now': new Date(isoMillis(args.now)).toISOString() },
  };
  const decided = { status: 'decided', decidedAt: args.now, reason: args.reason };
  if (args.outcome === 'denied' || current.requiredVotes === 1) {
    const selected = args.outcome === 'approved' ? distinct(args.selected ?? []) : undefined;
    const set = setClause({ ...decided, outcome: args.outcome, decidedBy: [args.userId], selected });
    return { state: 'decided', update: expression(set, guard) };
  }
  const [first] = current.votes;
  if (first === undefined) {
    const set = setClause({ votes: [args.userId], selected: distinct(args.selected ?? []) });
    return {
      state: 'vote-recorded',
      update: expression(set, {
        expression: `${guard.expression} AND size(#votes) = :none`,
        names: guard.names,
        values: { ...guard.values, ':none': 0 },
      }),
    };
  }
  const mine = new Set(args.selected ?? []);
  const selected = distinct(current.selected ?? []).filter((action) => mine.has(action));
  const second = {
    expression: `${guard.expression} AND size(#votes) = :one AND contains(#votes, :first) AND NOT contains(#votes, :user)`,
    names: { ...guard.names, '#votes': 'votes' },
    values: { ...guard.values, ':one': 1, ':first': first, ':user': args.userId },
  };
  // A rollback vote carries no selection; an approval always selects at least one action.
  if (args.selected !== undefined && selected.length === 0) {
    return {
      state: 'no-overlap',
      cleared: { voter: first, selected: distinct(current.selected ?? []) },
      update: expression(setClause({ votes: [], selected: [] }), second),
    };
  }
  const set = setClause({ ...decided, outcome: 'approved', decidedBy: [first, args.userId], selected });
  return {
    state: 'decided',
    update: expression(
      { ...set, parts: [...set.parts, '#votes = list_append(#votes, :me)'] },
      { ...second, values: { ...second.values, ':me': [args.userId] } },
    ),
  };
}

interface SetClause {
  readonly parts: string[];
  readonly names: Record<string, string>;
  readonly values: Record<string, NativeAttributeValue>;
}

function setClause(fields: Record<string, NativeAttributeValue>): SetClause {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, NativeAttributeValue> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  }
  return { parts, names, values };
}

function expression(
  set: SetClause,
  condition: { expression: string; names: Record<string, string>; values: Record<string, NativeAttributeValue> },
): Update {
  return {
    UpdateExpression: `SET ${set.parts.join(', ')}`,
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: { ...set.names, ...condition.names },
    ExpressionAttributeValues: { ...set.values, ...condition.values },
  };
}

function isoMillis(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new RangeError(`castVote: now must be an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
