import { task } from '../shared/define-task.js';
import { ApprovalExpired, ApprovalWithdrawn, IncidentNotFound } from '../shared/errors.js';
import type { Closure } from '../shared/lifecycle.js';
import { lastSignalAt } from '../shared/lifecycle.js';
import { ownerSlackUserId } from '../shared/owner.js';
import type { ChatPort, Clock, RandomSource } from '../shared/ports.js';
import { approvalMessage } from '../shared/render/approval-message.js';
import { shareDataEvidence } from '../shared/render/evidence-message.js';
import { withSignals } from '../shared/render/signals.js';
import { reminderMessage } from '../shared/render/slack-blocks.js';
import { type IncidentStore, signalCount } from '../shared/store/types.js';
import { withdrawnCause } from '../shared/withdraw.js';
import { RequestApprovalInput } from './schema.js';

/**
 * Puts the plan to the approvers (DESIGN §6). The task token goes into the store under a fresh
 * nonce; only the nonce goes to Slack. Invoked again on every heartbeat timeout: it supersedes the
 * previous nonce, refreshes the message and re-pings the thread, carrying over the votes already
 * cast in that approval (a two-person rule's first vote is not lost to the re-ping), and once the
 * overall deadline has passed fails with `ApprovalExpired` so the timeout policy decides.
 */
export const requestApproval = task({
  name: 'requestApproval',
  input: RequestApprovalInput,
  async run(
    input,
    ports: { store: IncidentStore; chat: ChatPort; clock: Clock; random: RandomSource },
  ): Promise<{ nonce: string; round: number }> {
    const { incidentId, settings, plan } = input;
    const record = await ports.store.getIncident(incidentId);
    if (!record) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    // A closed incident asks nothing: a re-ping after the closing (whose SendTaskFailure did not
    // reach this task) ends the wait the same way, and any request still pending is withdrawn.
    if (record.closure) {
      if (record.approval) await withdrawLeftover(ports.store, record.approval.nonce, record.closure);
      throw new ApprovalWithdrawn(withdrawnCause(record.closure));
    }
    const now = ports.clock.now();
    // The approval is keyed by execution attempt (`<execution name>#<redrive count>`). A heartbeat
    // re-entry of the same attempt keeps its deadline and counts rounds. A redrive (Step Functions
    // restarts the failed step with the same input and RedriveCount + 1, possibly days later) or a
    // re-run (another execution) is another attempt: it supersedes the old request and asks afresh
    // with a new deadline, instead of finding the old deadline passed and failing with
    // ApprovalExpired on every redrive. Without the attempt (older callers) the stored request is
    // the current one.
    const attempt = input.executionName === undefined ? undefined : `${input.executionName}#${input.redriveCount ?? 0}`;
    const current = record.approval?.attempt === attempt ? record.approval : undefined;
    const deadline =
      current?.deadline ?? new Date(now.getTime() + settings.approvalTimeoutSeconds * 1000).toISOString();
    if (now.getTime() >= Date.parse(deadline)) {
      if (record.approval) await ports.store.supersedeApproval(record.approval.nonce);
      throw new ApprovalExpired(`no decision on incident ${incidentId} by ${deadline}`);
    }
    if (record.approval) await ports.store.supersedeApproval(record.approval.nonce);
    const carried = current ? await votesToCarry(ports.store, current.nonce) : undefined;
    const round = (current?.round ?? 0) + 1;
    const nonce = ports.random.token();
    const actions = [...new Set(plan.items.map((item) => item.action))];
    // The signals line is refreshed in place while the request is pending (register-incident).
    const message = withSignals(
      approvalMessage({
        ...input,
        nonce,
        deadline,
        now: now.toISOString(),
        dataEventsTable: settings.dataEventsTable !== false,
      }),
      {
        count: signalCount(record),
        lastSeen: lastSignalAt(record),
      },
    );
    await ports.store.putApproval({
      nonce,
      incidentId,
      taskToken: input.taskToken,
      approvers: settings.approvers,
      requiredVotes: settings.twoPersonRule ? 2 : 1,
      planItemIds: actions,
      expiresAt: deadline,
      status: 'pending',
      votes: carried?.votes ?? [],
      ...(carried?.selected ? { selected: carried.selected } : {}),
      subjectUserId: ownerSlackUserId(input.enrichment),
      message,
    });
    const asked = await ports.store.updateIncident(incidentId, {
      status: 'awaiting_approval',
      plan: { items: plan.items, recommendations: plan.recommendations, notPlanned: plan.notPlanned },
      approval: { nonce, deadline, round, attempt },
      updatedAt: now.toISOString(),
    });
    // Closed while this request was being written: the closing withdrew the one it read, so this
    // one is withdrawn here, before anyone sees it.
    if (asked.closure) {
      await withdrawLeftover(ports.store, nonce, asked.closure);
      throw new ApprovalWithdrawn(withdrawnCause(asked.closure));
    }
    if (record.slack) {
      await ports.chat.update({ ref: record.slack, message });
      await ports.chat.post({
        channel: record.slack.channel,
        threadTs: record.slack.ts,
        message: reminderMessage({ approvers: settings.approvers, deadline, now: now.toISOString() }),
      });
    } else {
      const slack = await ports.chat.post({ channel: settings.slackChannel, message });
      // If the data-event evidence came first, it is waiting for this thread.
      await shareDataEvidence(ports.chat, await ports.store.updateIncident(incidentId, { slack }));
    }
    await ports.store.addEvent(incidentId, {
      at: now.toISOString(),
      kind: round === 1 ? 'approval-requested' : 'approval-reminder',
      text:
        round === 1
          ? `Approval requested in Slack (${plan.items.length} action${plan.items.length === 1 ? '' : 's'} proposed)`
          : `Approval still pending: approvers re-pinged (round ${round})`,
    });
    return { nonce, round };
  },
});

/**
 * The votes a re-ping carries over (a new round of the same approval): under the two-person rule
 * the first approver's vote, and what it selected, stay cast, so the second approver completes the
 * approval on the refreshed message. Read after the old request was superseded, so no vote can
 * land on it in between; a request that was decided meanwhile carries nothing.
 */
async function votesToCarry(
  store: IncidentStore,
  nonce: string,
): Promise<{ votes: string[]; selected?: string[] } | undefined> {
  const previous = await store.getApproval(nonce);
  if (previous?.status !== 'superseded' || previous.votes.length === 0) return undefined;
  return { votes: previous.votes, ...(previous.selected ? { selected: previous.selected } : {}) };
}

/** Withdraws a request a closing could not reach (it was superseded or written meanwhile). */
async function withdrawLeftover(store: IncidentStore, nonce: string, closure: Closure): Promise<void> {
  await store.withdrawApproval(nonce, { at: closure.at, by: closure.by, resolution: closure.resolution });
}
