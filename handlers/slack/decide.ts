import { DecisionRejected, IncidentNotFound, TaskTokenStale } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { ChatPort, Clock, TaskCallbackPort } from '../shared/ports.js';
import { mrkdwn } from '../shared/render/escape.js';
import { decidedMessage, mention } from '../shared/render/slack-blocks.js';
import type { Decision } from '../shared/schemas/plan.js';
import { WITHDRAWN_REQUEST } from '../shared/store/dynamodb-votes.js';
import type { ApprovalRecord, IncidentStore } from '../shared/store/types.js';
import { checkDecision, type DecisionRequest } from './decision.js';

export interface DecidePorts {
  readonly store: IncidentStore;
  readonly callbacks: TaskCallbackPort;
  readonly chat: ChatPort;
  readonly clock: Clock;
}

export type DecideResult =
  | { readonly state: 'decided'; readonly decision: Decision }
  | { readonly state: 'vote-recorded'; readonly votes: number; readonly needed: number }
  | {
      readonly state: 'no-overlap';
      /** The approver whose earlier vote was cleared, and what each of the two selected. */
      readonly firstVoter: string;
      readonly firstSelected: readonly string[];
      readonly selected: readonly string[];
    };

/** What the approver whose vote was withdrawn is told (ephemeral). */
export const REFRESHED_REQUEST =
  'Step Functions no longer waits on this approval request (the reminder replaced it, or the run ended), so your vote was withdrawn and nothing was decided. Vote again on the refreshed approval message.';

/** What both approvers are told (ephemeral) when their selections have no action in common. */
export function noCommonActionText(result: Extract<DecideResult, { state: 'no-overlap' }>, userId: string): string {
  const listed = (actions: readonly string[]) => mrkdwn(actions.join(', ')) || 'nothing';
  return `No action was approved by both approvers (${mention(result.firstVoter)} selected ${listed(result.firstSelected)}; ${mention(userId)} selected ${listed(result.selected)}), so nothing was decided and both votes were cleared. The request stays open: agree on at least one action and approve again, or deny.`;
}

/**
 * Applies one approver's click: checks it (a request withdrawn by closing its incident, or one whose
 * incident is closed, answers that it was closed and sends nothing), casts the vote with a conditional write (so a double
 * click, a retry or a replay counts once), and when decided reports to the waiting execution —
 * `SendTaskSuccess` with exactly the selected actions, or `SendTaskFailure` `ApprovalDenied` —
 * then rewrites the message to show who decided what and when. Throws `DecisionRejected`.
 *
 * - Two approvers whose selections have no action in common decide nothing: both votes are
 *   cleared, the request stays open, and the result says so ('no-overlap') for both to be told.
 * - When Step Functions refuses the decision because it no longer waits on the token (the
 *   heartbeat re-ping replaced the request, or the run ended: `TaskTokenStale`), the vote is
 *   withdrawn (the request is put back as it was before it), the old request is marked superseded
 *   if a newer one exists, and the click is rejected with 'request-refreshed'.
 */
export async function decide(
  request: DecisionRequest & { nonce: string; via: 'slack' | 'local'; groupsOfUser?: string[] },
  ports: DecidePorts,
): Promise<DecideResult> {
  const now = ports.clock.now();
  const approval = await ports.store.getApproval(request.nonce);
  if (!approval) {
    throw new DecisionRejected('unknown-request', 'This approval request is unknown or has been removed.');
  }
  // A closed incident's request answers that it was closed, whatever became of it, and sends nothing.
  const record = await ports.store.getIncident(approval.incidentId);
  if (!record) throw new IncidentNotFound(`incident ${approval.incidentId} is not in the store`);
  if (record.closure) throw new DecisionRejected('withdrawn', WITHDRAWN_REQUEST);
  const { selected } = checkDecision(approval, request, now, request.groupsOfUser);
  const vote = await ports.store.castVote({
    nonce: request.nonce,
    userId: request.userId,
    outcome: request.outcome,
    now: now.toISOString(),
    selected,
    reason: request.reason,
  });
  if (vote.state === 'no-overlap') {
    await ports.store.addEvent(approval.incidentId, {
      at: now.toISOString(),
      kind: 'approval-vote',
      text: `No action approved by both ${vote.firstVoter} (${vote.firstSelected.join(', ')}) and ${request.userId} (${selected.join(', ')}): nothing decided, both votes cleared`,
    });
    return { state: 'no-overlap', firstVoter: vote.firstVoter, firstSelected: vote.firstSelected, selected };
  }
  if (vote.state === 'vote-recorded') {
    await ports.store.addEvent(approval.incidentId, {
      at: now.toISOString(),
      kind: 'approval-vote',
      text: `First approval by ${request.userId}; the two-person rule needs one more approver`,
    });
    return { state: 'vote-recorded', votes: vote.approval.votes.length, needed: approval.requiredVotes };
  }
  const chosen = new Set(vote.approval.selected ?? []);
  const decision: Decision = {
    outcome: vote.approval.outcome === 'approved' ? 'approved' : 'denied',
    via: request.via,
    decidedBy: vote.approval.decidedBy ?? [request.userId],
    decidedAt: now.toISOString(),
    reason: request.reason,
    approvedPlan:
      vote.approval.outcome === 'approved' ? (record.plan?.items ?? []).filter((item) => chosen.has(item.action)) : [],
  };
  try {
    if (decision.outcome === 'approved') {
      await ports.callbacks.sendTaskSuccess({ taskToken: approval.taskToken, output: decision });
    } else {
      const cause = `denied by ${decision.decidedBy.join(', ')}${request.reason ? `: ${request.reason}` : ''}`;
      await ports.callbacks.sendTaskFailure({ taskToken: approval.taskToken, error: 'ApprovalDenied', cause });
    }
  } catch (error) {
    if (!(error instanceof TaskTokenStale)) throw error;
    await withdraw(vote, request.userId, error, ports);
    throw new DecisionRejected('request-refreshed', REFRESHED_REQUEST);
  }
  await ports.store.updateIncident(approval.incidentId, {
    decision,
    status: decision.outcome === 'approved' ? 'containing' : 'denied',
    updatedAt: now.toISOString(),
  });
  const actions = [...new Set(decision.approvedPlan.map((item) => item.action))];
  await ports.store.addEvent(approval.incidentId, {
    at: now.toISOString(),
    kind: decision.outcome,
    text:
      decision.outcome === 'approved'
        ? `Approved by ${decision.decidedBy.join(' and ')}: ${actions.join(', ')}`
        : `Denied by ${decision.decidedBy.join(' and ')}${request.reason ? `: ${request.reason}` : ''}`,
  });
  if (record.slack) {
    const title = `${record.incident.findingType} · incident ${record.incidentId}`;
    await ports.chat.update({
      ref: record.slack,
      message: decidedMessage({ incidentId: record.incidentId, decision, title }),
    });
  }
  return { state: 'decided', decision };
}

/**
 * Puts the request back as it was before a vote Step Functions refused, and supersedes it when the
 * incident already has a newer request (a re-ping that ran while the vote was in flight found it
 * decided and left it); an older one is superseded by the re-ping itself.
 */
async function withdraw(
  vote: { previous: ApprovalRecord; approval: ApprovalRecord },
  userId: string,
  error: TaskTokenStale,
  ports: DecidePorts,
): Promise<void> {
  const { nonce, incidentId } = vote.previous;
  const withdrawn = await ports.store.withdrawVote(vote);
  const current = (await ports.store.getIncident(incidentId))?.approval?.nonce;
  if (withdrawn && current !== undefined && current !== nonce) await ports.store.supersedeApproval(nonce);
  log.warn('vote withdrawn: the task no longer waits on its token', { code: error.code, withdrawn });
  await ports.store.addEvent(incidentId, {
    at: ports.clock.now().toISOString(),
    kind: 'approval-vote',
    text: `Vote by ${userId} withdrawn: Step Functions answered ${error.code} (the request had been refreshed or the run had ended)`,
  });
}
