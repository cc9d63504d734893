import { DecisionRejected, IncidentNotFound } from '../shared/errors.js';
import type { ChatPort, Clock, TaskCallbackPort } from '../shared/ports.js';
import type { Decision } from '../shared/schemas/plan.js';
import type { IncidentStore } from '../shared/store/types.js';
import { decidedMessage } from './blocks.js';
import { checkDecision, type DecisionRequest } from './decision.js';

export interface DecidePorts {
  readonly store: IncidentStore;
  readonly callbacks: TaskCallbackPort;
  readonly chat: ChatPort;
  readonly clock: Clock;
}

export type DecideResult =
  | { readonly state: 'decided'; readonly decision: Decision }
  | { readonly state: 'vote-recorded'; readonly votes: number; readonly needed: number };

/**
 * Applies one approver's click: checks it, casts the vote with a conditional write (so a double
 * click, a retry or a replay counts once), and when decided reports to the waiting execution —
 * `SendTaskSuccess` with exactly the selected actions, or `SendTaskFailure` `ApprovalDenied` —
 * then rewrites the message to show who decided what and when. Throws `DecisionRejected`.
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
  const { selected } = checkDecision(approval, request, now, request.groupsOfUser);
  const vote = await ports.store.castVote({
    nonce: request.nonce,
    userId: request.userId,
    outcome: request.outcome,
    now: now.toISOString(),
    selected,
    reason: request.reason,
  });
  if (vote.state === 'vote-recorded') {
    await ports.store.addEvent(approval.incidentId, {
      at: now.toISOString(),
      kind: 'approval-vote',
      text: `First approval by ${request.userId}; the two-person rule needs one more approver`,
    });
    return { state: 'vote-recorded', votes: vote.approval.votes.length, needed: approval.requiredVotes };
  }
  const record = await ports.store.getIncident(approval.incidentId);
  if (!record) throw new IncidentNotFound(`incident ${approval.incidentId} is not in the store`);
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
  if (decision.outcome === 'approved') {
    await ports.callbacks.sendTaskSuccess({ taskToken: approval.taskToken, output: decision });
  } else {
    const cause = `denied by ${decision.decidedBy.join(', ')}${request.reason ? `: ${request.reason}` : ''}`;
    await ports.callbacks.sendTaskFailure({ taskToken: approval.taskToken, error: 'ApprovalDenied', cause });
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
