import { createHash } from 'node:crypto';
import { DecisionRejected, describeError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { ChatPort, Clock, RollbackStarterPort } from '../shared/ports.js';
import { mention, rollbackStartedMessage } from '../shared/render/slack-blocks.js';
import type { IncidentStore, RollbackRequestRecord } from '../shared/store/types.js';
import { checkVoter } from './decision.js';

export { createUndoRequest } from '../shared/undo-request.js';

/**
 * The rollback execution's name: the incident id and a digest of the nonce (≤ 80 characters of
 * `[A-Za-z0-9-]`), so every retry of one request names the same execution and cannot start a
 * second one, while a new request for the same incident can.
 */
export function rollbackExecutionName(incidentId: string, nonce: string): string {
  const digest = createHash('sha256').update(nonce).digest('hex').slice(0, 16);
  return `undo-${incidentId}-${digest}`.slice(0, 80);
}

export interface UndoPorts {
  readonly store: IncidentStore;
  readonly rollback: RollbackStarterPort;
  readonly chat: ChatPort;
  readonly clock: Clock;
}

export type UndoResult =
  | { readonly state: 'started'; readonly executionArn: string; readonly decidedBy: readonly string[] }
  | { readonly state: 'vote-recorded'; readonly votes: number; readonly needed: number }
  | { readonly state: 'start-failed'; readonly error: string };

/**
 * Applies one click on an Undo button: the approver checks of the plan (`checkVoter`), the vote
 * cast with a conditional write (so a double click, a retry or a replay counts once; the
 * two-person rule when the request needs two), then `StartExecution` of the rollback state
 * machine with `{ incidentId, reactivateKeys: false }` under `rollbackExecutionName`, a timeline
 * event and a thread reply naming who started it. When StartExecution fails after the decision,
 * the failure is recorded and the next approver click retries under the same name; once an
 * execution is recorded, clicks change nothing. `groupsOf` resolves the user's approver groups
 * (it may call Slack). Throws DecisionRejected.
 */
export async function undo(
  request: { nonce: string; userId: string; groupsOf: (approvers: readonly string[]) => Promise<string[]> },
  ports: UndoPorts,
): Promise<UndoResult> {
  const current = await ports.store.getRollbackRequest(request.nonce);
  if (!current) {
    throw new DecisionRejected('unknown-request', 'This undo request is unknown or has been removed.');
  }
  const now = ports.clock.now();
  const retry = current.status === 'decided' && current.startError !== undefined && !current.execution;
  if (current.status === 'decided' && !retry) {
    throw new DecisionRejected(
      'already-decided',
      current.execution
        ? `The rollback already started (${current.execution.startedAt}, by ${mentions(current.decidedBy ?? [])}).`
        : 'This undo request has already been used.',
    );
  }
  const groups = await request.groupsOf(current.approvers);
  if (retry) {
    // Decided, but the rollback did not start: any approver may retry (the name makes it once only).
    checkVoter({ ...current, status: 'pending', votes: [] }, request.userId, now, groups);
    return start(current, request.userId, ports);
  }
  checkVoter(current, request.userId, now, groups);
  const vote = await ports.store.castRollbackVote({
    nonce: request.nonce,
    userId: request.userId,
    now: now.toISOString(),
  });
  if (vote.state === 'vote-recorded') {
    await ports.store.addEvent(current.incidentId, {
      at: now.toISOString(),
      kind: 'rollback-vote',
      text: `Rollback requested by ${request.userId}; the two-person rule needs one more approver`,
    });
    return { state: 'vote-recorded', votes: vote.request.votes.length, needed: current.requiredVotes };
  }
  return start(vote.request, request.userId, ports);
}

async function start(request: RollbackRequestRecord, userId: string, ports: UndoPorts): Promise<UndoResult> {
  const executionName = rollbackExecutionName(request.incidentId, request.nonce);
  const decidedBy = request.decidedBy ?? [userId];
  let executionArn: string;
  try {
    ({ executionArn } = await ports.rollback.startRollback({
      incidentId: request.incidentId,
      executionName,
      reactivateKeys: false,
    }));
  } catch (error) {
    const { error: name, cause } = describeError(error);
    log.error('rollback did not start', { incidentId: request.incidentId, error: name });
    await ports.store.recordRollbackStart(request.nonce, { startError: `${name}: ${cause}`.slice(0, 500) });
    await ports.store.addEvent(request.incidentId, {
      at: ports.clock.now().toISOString(),
      kind: 'rollback-start-failed',
      text: `Rollback approved by ${decidedBy.join(' and ')} but did not start: ${name}`,
    });
    return { state: 'start-failed', error: name };
  }
  const at = ports.clock.now().toISOString();
  await ports.store.recordRollbackStart(request.nonce, {
    execution: { name: executionName, arn: executionArn, startedAt: at },
  });
  await ports.store.addEvent(request.incidentId, {
    at,
    kind: 'rollback-started',
    text: `Rollback started by ${decidedBy.join(' and ')} (execution ${executionName})`,
    data: { executionName, startedBy: decidedBy },
  });
  const record = await ports.store.getIncident(request.incidentId);
  if (record?.slack) {
    try {
      await ports.chat.post({
        channel: record.slack.channel,
        threadTs: record.slack.ts,
        message: rollbackStartedMessage({ incidentId: request.incidentId, startedBy: decidedBy }),
      });
    } catch (error) {
      // The rollback runs either way; the timeline has the event.
      log.warn('rollback thread reply failed', { incidentId: request.incidentId, error: describeError(error).error });
    }
  }
  return { state: 'started', executionArn, decidedBy };
}

function mentions(userIds: readonly string[]): string {
  return userIds.map(mention).join(' and ') || 'an approver';
}
