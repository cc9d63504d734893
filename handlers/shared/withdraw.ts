import type { Closure } from './lifecycle.js';
import { resolutionLabel } from './render/closure.js';
import type { IncidentRecord, IncidentStore } from './store/types.js';

/** What closing an incident did to its approval request. */
export type ApprovalOnClose =
  /** No request was pending (none asked, already denied, expired or withdrawn): nothing to do. */
  | { readonly state: 'none' }
  /**
   * The pending request is withdrawn: no click can decide it. `taskToken` is what the waiting
   * execution is ended with (SendTaskFailure `ApprovalWithdrawn`).
   */
  | { readonly state: 'withdrawn'; readonly nonce: string; readonly taskToken: string }
  /** A click approved it first: containment runs to the end, and the closing says so. */
  | { readonly state: 'already-approved'; readonly decidedBy: readonly string[]; readonly decidedAt?: string };

/** The error the state machine catches on Request Approval when a closing withdrew the request. */
export const APPROVAL_WITHDRAWN = 'ApprovalWithdrawn';

/**
 * The one sentence that says a closing withdrew the request: the SendTaskFailure `cause` (what the
 * report shows as the reason nothing was contained) and the timeline entry. Plain text.
 */
export function withdrawnCause(closure: Closure): string {
  return `approval request withdrawn: incident closed by ${closure.by} (${resolutionLabel(closure.resolution)}) at ${closure.at} before a decision`;
}

/** What closing did to the approval request, in one plain-text sentence (empty when nothing). */
export function approvalOnCloseText(approval: ApprovalOnClose): string {
  if (approval.state === 'withdrawn') return 'Approval request withdrawn: nothing will be contained.';
  if (approval.state === 'none') return '';
  return `Containment was already approved (by ${approval.decidedBy.join(' and ')}${approval.decidedAt ? ` at ${approval.decidedAt}` : ''}): it runs to the end.`;
}

/** Statuses in which an approved request's containment has not finished yet. */
const CONTAINING: ReadonlySet<IncidentRecord['status']> = new Set(['awaiting_approval', 'containing']);

/**
 * Withdraws the incident's pending approval request as part of closing it (DESIGN §4, §6), and
 * records on the timeline what became of it. The request is marked withdrawn with a conditional
 * write on the same `status = pending` guard every vote carries, so of a click and the closing
 * racing on it exactly one wins:
 *
 * - the closing wins: 'withdrawn' (the caller ends the waiting execution and updates the message);
 * - a click approved first while containment has not finished: 'already-approved', the approved
 *   actions run to the end.
 *
 * The request read with the closing is the current one: a re-ping that replaces it reads the
 * incident after writing its new request and, finding it closed, withdraws that request itself
 * (request-approval), so a request is never left pending on a closed incident.
 */
export async function withdrawPendingApproval(
  record: IncidentRecord,
  closure: Closure,
  store: IncidentStore,
): Promise<ApprovalOnClose> {
  const nonce = record.approval?.nonce;
  if (nonce === undefined) return { state: 'none' };
  const result = await store.withdrawApproval(nonce, {
    at: closure.at,
    by: closure.by,
    resolution: closure.resolution,
  });
  const { approval } = result;
  let answer: ApprovalOnClose = { state: 'none' };
  if (result.outcome === 'withdrawn') {
    answer = { state: 'withdrawn', nonce, taskToken: result.approval.taskToken };
  } else if (approval?.status === 'decided' && approval.outcome === 'approved' && CONTAINING.has(record.status)) {
    answer = {
      state: 'already-approved',
      decidedBy: approval.decidedBy ?? [],
      ...(approval.decidedAt ? { decidedAt: approval.decidedAt } : {}),
    };
  }
  if (answer.state !== 'none') {
    await store.addEvent(record.incidentId, {
      at: closure.at,
      kind: answer.state === 'withdrawn' ? 'approval-withdrawn' : 'closed-while-containing',
      text: answer.state === 'withdrawn' ? withdrawnCause(closure) : approvalOnCloseText(answer),
    });
  }
  return answer;
}
