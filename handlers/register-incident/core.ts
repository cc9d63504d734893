import type { ReportRewriter } from '../shared/close.js';
import { task } from '../shared/define-task.js';
import { InvalidExecutionInput, StoreConflict } from '../shared/errors.js';
import { makeIncidentId } from '../shared/ids.js';
import { log } from '../shared/log.js';
import type { ChatPort, Clock, GuardDutyPort } from '../shared/ports.js';
import { mrkdwn } from '../shared/render/escape.js';
import { clip } from '../shared/schemas/display.js';
import {
  asExecutionInputError,
  type FindingReferenceInput,
  type ParsedExecutionInput,
  parseExecutionInput,
} from '../shared/schemas/execution-input.js';
import type { Incident, Normalized } from '../shared/schemas/incident.js';
import { normalizeFinding } from '../shared/schemas/normalize.js';
import type { ClaimResult, IncidentRecord, IncidentStore } from '../shared/store/types.js';
import { capNewIncident, previousIncident } from './cap.js';
import { ABANDONED_CLAIM_MS, correlate, correlationKeys } from './correlate.js';
import { actionsInEffect, asSignal, deltaOf, principalsOf, widened } from './delta.js';
import { foldInto, reopenedBefore, startDelta, tellThread, threadNote } from './fold.js';
import { refusedRequest, takeQueued } from './queue.js';
import {
  type RegisterIncidentInput,
  RegisterIncidentInput as RegisterIncidentInputSchema,
  type Registration,
} from './schema.js';

export type RegisterPorts = {
  store: IncidentStore;
  clock: Clock;
  guardduty: GuardDutyPort;
  chat: ChatPort;
  /** Rewrites a closed incident's report; without it (the deployment) the close function's sweep does. */
  reports?: ReportRewriter;
};

/**
 * Turns the execution input into an incident, once (DESIGN §4). The input is one of the accepted
 * forms (`execution-input.ts`); anything else fails the execution with `InvalidExecutionInput`
 * naming the field, and nothing is written. Then:
 * - a sample, archived or out-of-scope finding ends `ignored`;
 * - a finding id already claimed by another execution is `linked` to its incident (`FINDING#`):
 *   a higher count adds a timeline line and a thread message, a stale redelivery adds nothing, and
 *   nobody is asked to approve twice;
 * - a signal for the principal and bucket of an open incident within the correlation window is
 *   folded into it (`CORRELATION#`, whatever the source): `linked`, its finding id appended;
 * - otherwise a new incident opens, naming the earlier incident for the same principal and bucket;
 * - `{incidentId, rerun: true}` re-opens a registered incident for re-planning from the current
 *   state, passing on the actions that already took effect;
 * - `{incidentId, queued: true}` (the playbook after its report) asks for what signals queued while
 *   the incident's request was pending (`queue.ts`);
 * - a retry of this same execution gets its own incident (or link) back.
 */
export const registerIncident = task({
  name: 'registerIncident',
  input: RegisterIncidentInputSchema,
  async run(input, ports: RegisterPorts): Promise<Registration> {
    const normalized = await readSignal(input, ports);
    if ('rerun' in normalized) return rerun(normalized.rerun, input, ports);
    // From the playbook after a report (`deltaRound` set), or started by a person (from the console).
    if ('queued' in normalized)
      return takeQueued(normalized.queued, input.deltaRound ?? 0, ports, input.deltaRound !== undefined);
    if (normalized.status === 'ignored') {
      return { status: 'ignored', reason: normalized.reason, incident: normalized.incident, previouslyApplied: [] };
    }
    return register(asSignal(normalized.incident), input, ports);
  },
});

/**
 * Recognizes and normalizes the input. A signal rejected as invalid (only its type, ids or account
 * can make it so) is also said in the Slack channel, not only in an alarm: someone meant it to be
 * looked at. The execution still fails with the error.
 */
async function readSignal(
  input: RegisterIncidentInput,
  ports: RegisterPorts,
): Promise<Normalized | { rerun: string } | { queued: string }> {
  try {
    const parsed = parseExecutionInput(input.event);
    if (parsed.form === 'rerun') return { rerun: parsed.incidentId };
    if (parsed.form === 'queued') return { queued: parsed.incidentId };
    return await signalOf(parsed, input, ports);
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidExecutionInput') await tellRejected(error, input, ports);
    throw error;
  }
}

async function tellRejected(error: Error, input: RegisterIncidentInput, ports: RegisterPorts): Promise<void> {
  const problem = clip(error.message.split('; accepted inputs')[0] ?? error.message, 500);
  const text = `:warning: A signal was rejected and not responded to (execution ${mrkdwn(input.executionName)}): ${mrkdwn(problem)}`;
  try {
    await ports.chat.post({ channel: input.settings.slackChannel, message: { text } });
  } catch (failure) {
    log.warn('rejection message failed', { error: (failure as Error).name });
  }
}

/** The normalized signal of every form but a re-run. */
async function signalOf(
  parsed: Exclude<ParsedExecutionInput, { form: 'rerun' | 'queued' }>,
  input: RegisterIncidentInput,
  ports: RegisterPorts,
): Promise<Normalized> {
  const options = {
    findingTypes: input.settings.findingTypes,
    acceptSampleFindings: input.settings.acceptSampleFindings,
  };
  switch (parsed.form) {
    case 'detection':
      return { status: 'accepted', incident: parsed.incident };
    case 'finding-reference': {
      const finding = await fetchFinding(parsed, input.executionArn, ports.guardduty);
      return normalizeOrFail({ Findings: [finding] }, options);
    }
    default:
      return normalizeOrFail(parsed.raw, options);
  }
}

function normalizeOrFail(raw: unknown, options: Parameters<typeof normalizeFinding>[1]): Normalized {
  try {
    return normalizeFinding(raw, options);
  } catch (error) {
    throw asExecutionInputError(error);
  }
}

/**
 * `GetFindings` for a `{findingId, detectorId}` input, in the given account and Region, else the
 * state machine's (from the execution ARN). A finding the detector does not know fails the
 * execution with InvalidExecutionInput.
 */
async function fetchFinding(
  reference: FindingReferenceInput,
  executionArn: string | undefined,
  guardduty: GuardDutyPort,
): Promise<unknown> {
  const [, , , arnRegion, arnAccount] = (executionArn ?? '').split(':');
  const accountId = reference.accountId ?? arnAccount;
  const region = reference.region ?? arnRegion;
  if (!accountId) throw new InvalidExecutionInput('accountId', 'is required: the execution ARN is not known');
  const findings = await guardduty.getFindings({
    accountId,
    region: region || undefined,
    detectorId: reference.detectorId,
    findingIds: [reference.findingId],
  });
  const finding = findings.find((candidate) => {
    const record = (typeof candidate === 'object' && candidate !== null ? candidate : {}) as Record<string, unknown>;
    return (record.Id ?? record.id) === reference.findingId;
  });
  if (finding === undefined) {
    throw new InvalidExecutionInput(
      'findingId',
      `finding ${reference.findingId} not found in detector ${reference.detectorId} (account ${accountId}${region ? `, ${region}` : ''})`,
    );
  }
  return finding;
}

/** Claims the finding id, then the principal and bucket, and opens, links or folds. */
async function register(incident: Incident, input: RegisterIncidentInput, ports: RegisterPorts): Promise<Registration> {
  const now = ports.clock.now();
  const at = now.toISOString();
  const claimed = {
    findingId: incident.findingId,
    incidentId: makeIncidentId(incident.findingId, input.executionName, now),
    executionName: input.executionName,
    count: incident.count,
    now: at,
  };
  const claim = await ports.store.claimFinding({ ...claimed, sayFolded: true });
  if (claim.outcome === 'duplicate') {
    // A redelivery of a finding recorded on its incident (which so exists) needs nothing from it.
    if (claim.recorded && incident.count <= claim.previousCount) return alreadyRecorded(incident, claim);
    const claimedBefore = new Date(now.getTime() - ABANDONED_CLAIM_MS).toISOString();
    const abandoned = claim.claimedAt === undefined || claim.claimedAt < claimedBefore;
    if (claim.registering && !abandoned) throw stillRegistering(incident);
    const target = await ports.store.getIncident(claim.incidentId);
    if (target) {
      // Its own incident, created by a registration that did not get to record it on the claim.
      if (!claim.recorded)
        await ports.store.linkFinding({ findingId: incident.findingId, incidentId: target.incidentId });
      const context = { at, executionName: input.executionName, windowMinutes: input.settings.autoCloseAfterMinutes };
      return linkDuplicate(incident, claim, target, context, ports);
    }
    // The finding's first registration has not created (or folded) its incident yet: wait for it
    // (the state machine retries StoreConflict; the count is raised only once the incident is
    // known, so a higher one is still news then), unless it died long ago, then take its place.
    if (!abandoned || !(await ports.store.takeOverFinding({ ...claimed, from: claim.incidentId, claimedBefore }))) {
      throw stillRegistering(incident);
    }
    return open(claimed.incidentId, incident, input, now, ports);
  }
  if (claim.outcome === 'retry' && claim.linkedTo) {
    const target = await ports.store.getIncident(claim.linkedTo);
    const again = target && reopenedBefore(target, incident, input.executionName);
    if (again) return startDelta(again.record, again.delta, ports);
    return {
      status: 'linked',
      incidentId: claim.linkedTo,
      incident,
      reason: `folded into open incident ${claim.linkedTo} (same principal and bucket)`,
      previouslyApplied: [],
    };
  }
  const incidentId = claim.incidentId;
  const existing = claim.outcome === 'retry' ? await ports.store.getIncident(incidentId) : undefined;
  if (existing) {
    await ports.store.linkFinding({ findingId: incident.findingId, incidentId });
    return {
      status: 'open',
      incidentId,
      incident,
      previousIncidentId: existing.previousIncidentId,
      previouslyApplied: [],
    };
  }
  return open(incidentId, incident, input, now, ports);
}

function stillRegistering(incident: Incident): StoreConflict {
  return new StoreConflict(`finding ${incident.findingId} is still being registered by another execution; try again`);
}

/** The finding id is ours: correlate, then fold into an open incident or open this one. */
async function open(
  incidentId: string,
  incident: Incident,
  input: RegisterIncidentInput,
  now: Date,
  ports: RegisterPorts,
): Promise<Registration> {
  const at = now.toISOString();
  const correlation = await correlate(
    { keys: correlationKeys(incident), incidentId, now, windowMinutes: input.settings.autoCloseAfterMinutes },
    ports.store,
  );
  if (correlation.kind === 'fold') return foldInto(correlation.record, incident, at, input.executionName, ports);
  const previousIncidentId = correlation.previousIncidentId;
  const previous = previousIncidentId ? await previousIncident(previousIncidentId, input.settings, ports) : undefined;
  const capped = await capNewIncident({ incident, incidentId, now, settings: input.settings }, ports.store);
  if (capped) return foldInto(capped.record, incident, at, input.executionName, ports, capped.reason);
  await ports.store.createIncident({
    incidentId,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    executionName: input.executionName,
    incident,
    findingIds: [incident.findingId],
    previousIncidentId,
  });
  // Later deliveries of the finding are answered from its claim from now on.
  await ports.store.linkFinding({ findingId: incident.findingId, incidentId });
  await ports.store.addEvent(incidentId, {
    at,
    kind: 'registered',
    text: `Incident opened from ${incident.source === 'guardduty' ? 'GuardDuty' : 'detection'} ${incident.findingType}`,
  });
  if (previousIncidentId) {
    const closed = previous?.closure ? `, closed: ${previous.closure.resolution}` : '';
    await ports.store.addEvent(incidentId, {
      at,
      kind: 'follows',
      text: `Follows incident ${previousIncidentId}${previous ? ` (${previous.status}${closed})` : ''} for the same principal and bucket`,
      data: { previousIncidentId },
    });
  }
  return { status: 'open', incidentId, incident, previousIncidentId, previouslyApplied: [] };
}

/**
 * Another delivery of a finding id already registered. A higher count is new activity: a timeline
 * line and, when the incident has a Slack thread, a message there. GuardDuty updates a finding in
 * place, so the update may name more than its incident holds (an attack sequence grown by a bucket
 * or an actor, an anonymous caller's new address): that is folded in like another signal's (the
 * delta asked for, or taken into the pending request), before the count is raised so that a retry
 * still finds it news. A count not higher than the last one recorded is a redelivery or an older
 * update arriving late: nothing is added.
 */
async function linkDuplicate(
  incident: Incident,
  claim: Extract<ClaimResult, { outcome: 'duplicate' }>,
  record: IncidentRecord,
  { at, executionName, windowMinutes }: { at: string; executionName: string; windowMinutes: number },
  ports: RegisterPorts,
): Promise<Registration> {
  const { incidentId } = claim;
  const linked = (reason: string): Registration => ({
    status: 'linked',
    incidentId,
    incident,
    reason,
    previouslyApplied: [],
  });
  if (incident.count <= claim.previousCount) return alreadyRecorded(incident, claim);
  const text = `${incident.findingType} reported again (count ${claim.previousCount} → ${incident.count}); linked, no new approval`;
  // The line first, the count raised after it: a retry of a registration that failed in between
  // still finds its count higher and writes the line (never lost; at worst written twice).
  await ports.store.addEvent(incidentId, {
    at,
    kind: 'finding-updated',
    text,
    data: { findingId: incident.findingId, count: incident.count, updatedAt: incident.updatedAt },
  });
  if (!record.closure) await heardNow(record, at, windowMinutes, ports.store);
  // A retry of an update whose reopen was written finds its delta on the incident: foldInto asks it.
  if (!record.closure && (deltaOf(record, incident, at) || reopenedBefore(record, incident, executionName))) {
    const folded = await foldInto(record, incident, at, executionName, ports);
    await ports.store.raiseFindingCount({ findingId: incident.findingId, count: incident.count });
    return folded;
  }
  // Of two racing raises one wins; the other still says what it saw (its count is news to it).
  await ports.store.raiseFindingCount({ findingId: incident.findingId, count: incident.count });
  await tellThread(record, threadNote(record, text), ports);
  return linked(`finding ${incident.findingId} already belongs to incident ${incidentId}`);
}

/**
 * A finding's update is a signal like any other: GuardDuty reports ongoing activity by raising the
 * count of the same finding. Its incident heard of a signal now, so `autoCloseAfterMinutes` runs
 * from now (the incident stays open while the activity goes on) and so does its keys' window. An
 * update heard within a hundredth of the window (an hour at most) of the last one that moved every
 * key (or of the creation) needs nothing more: a burst of updates moves them once, not once each
 * (the close may come that much sooner, never later). A signal of another finding folded in since
 * does not count: it moved only its own keys (`correlate.ts`).
 */
async function heardNow(record: IncidentRecord, at: string, windowMinutes: number, store: IncidentStore) {
  const renewed = record.keysRenewedAt ?? record.createdAt;
  if (Date.parse(at) - Date.parse(renewed) < Math.min(windowMinutes * 600, 3_600_000)) return;
  await store.updateIncident(record.incidentId, { lastSignalAt: at, keysRenewedAt: at });
  const expiresAt = new Date(Date.parse(at) + windowMinutes * 60_000).toISOString();
  for (const key of correlationKeys(record.incident)) {
    await store.extendCorrelation({ key, incidentId: record.incidentId, expiresAt });
  }
}

/** A redelivery, or an older update arriving late: linked, nothing added. */
function alreadyRecorded(incident: Incident, claim: Extract<ClaimResult, { outcome: 'duplicate' }>): Registration {
  return {
    status: 'linked',
    incidentId: claim.incidentId,
    incident,
    reason: `finding ${incident.findingId} (count ${incident.count}) is already recorded on incident ${claim.incidentId}`,
    previouslyApplied: [],
  };
}

/**
 * `{incidentId, rerun: true}`: the stored incident goes through the flow again, re-planned from
 * the current state of the account. The actions that took effect in earlier runs and were not
 * rolled back since are passed on, so planning confirms them as `already` without asking again.
 */
async function rerun(incidentId: string, input: RegisterIncidentInput, ports: RegisterPorts): Promise<Registration> {
  const record = await ports.store.getIncident(incidentId);
  if (!record) throw new InvalidExecutionInput('incidentId', `incident ${incidentId} not found in the incident store`);
  const previouslyApplied = await actionsInEffect(record, ports.store);
  await ports.store.addEvent(incidentId, {
    at: ports.clock.now().toISOString(),
    kind: 'rerun',
    text: `Re-run requested (execution ${input.executionName}): re-planned from the current state; the incident was ${record.status}`,
    data: { executionName: input.executionName, previousStatus: record.status },
  });
  return {
    status: 'open',
    incidentId,
    // An anonymous flood is re-planned with the addresses folded in since its first signal.
    incident: widened(record),
    rerun: true,
    previousStatus: record.status,
    previousIncidentId: record.previousIncidentId,
    previouslyApplied,
    // Never decided by auto-contain: a principal folded in from another signal, or a plan refused before.
    ...(principalsOf(record.incident).some((principal) => principal.addedBy) || refusedRequest(record)
      ? { noAutoContain: true as const }
      : {}),
  };
}
