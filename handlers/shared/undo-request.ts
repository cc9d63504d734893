import { systemClock, systemRandom } from './clock.js';
import type { Clock, RandomSource } from './ports.js';
import type { IncidentStore } from './store/types.js';

/**
 * Creates the rollback request behind an Undo button and returns its nonce, the only thing the
 * button may carry (`undoButton(nonce)` in render/slack-views.ts). The report task calls this once per report
 * summary, with the playbook's approvers and two-person setting and the time after which the
 * button stops working.
 */
export async function createUndoRequest(
  store: IncidentStore,
  args: {
    incidentId: string;
    approvers: readonly string[];
    requiredVotes: 1 | 2;
    expiresAt: string;
    /** Slack user id of the compromised principal's owner, when known: never their own approver. */
    subjectUserId?: string;
  },
  deps: { random?: RandomSource; clock?: Clock } = {},
): Promise<string> {
  if (args.approvers.length === 0) throw new RangeError('createUndoRequest: name at least one approver');
  if (!Number.isFinite(Date.parse(args.expiresAt))) {
    throw new RangeError(
      `createUndoRequest: expiresAt must be an ISO-8601 time, got ${JSON.stringify(args.expiresAt)}`,
    );
  }
  const nonce = (deps.random ?? systemRandom).token();
  await store.putRollbackRequest({
    nonce,
    incidentId: args.incidentId,
    approvers: [...args.approvers],
    requiredVotes: args.requiredVotes,
    expiresAt: new Date(Date.parse(args.expiresAt)).toISOString(),
    createdAt: (deps.clock ?? systemClock).now().toISOString(),
    status: 'pending',
    votes: [],
    subjectUserId: args.subjectUserId,
  });
  return nonce;
}
