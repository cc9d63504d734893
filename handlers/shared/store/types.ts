import type { Closure } from '../lifecycle.js';
import type { ChatMessage, DataEventsSummary } from '../ports.js';
import type { Incident } from '../schemas/incident.js';
import type { ActionResult, Decision, Plan } from '../schemas/plan.js';
import type { Unavailable } from '../schemas/task-input.js';

/** What the data-event query found, or why there is nothing, and when it answered. */
export type DataEvidence = { readonly at: string } & (({ readonly status: 'ok' } & DataEventsSummary) | Unavailable);

/**
 * The incident store (DESIGN §4). One DynamoDB table, keys `pk`/`sk`:
 * - `INCIDENT#<id>` / `META`             the incident: status, plan, decision, Slack thread, report
 * - `INCIDENT#<id>` / `EVENT#<at>#<n>`   timeline entries (one item each: bursts never grow one item)
 * - `INCIDENT#<id>` / `UNDO#<kind>#<target>`  what was there before we changed it (first write wins)
 * - `INCIDENT#<id>` / `ACTION#<action>#<target>`  the latest result of each containment action
 * - `FINDING#<findingId>` / `FINDING`    conditional put: one incident per finding id (`linkedTo`
 *                                        when the finding was folded into another incident)
 * - `CORRELATION#<accountId>#<principal key>#<bucket>` / `CORRELATION`  the incident that holds the
 *                                        principal and bucket, until `expiresAt` (the window)
 * - `CAP#<accountId>#<bucket>` / `CAP`    how many incidents opened for the bucket in the current
 *                                        window, and the latest (`countNewIncident`: flood control)
 * - `APPROVAL#<nonce>` / `APPROVAL`      the task token, approvers, expiry and votes; used once
 * - `ROLLBACK#<nonce>` / `ROLLBACK`      an Undo request (the Slack Undo button's nonce): approvers,
 *                                        expiry, votes, then the rollback execution; used once. A separate
 *                                        key space, so an undo nonce never decides a plan and vice versa
 * - `MIGRATION#sweep-index` / `MIGRATION` when the incident records written before the sweep index
 *                                        all carry its key (`sweep-index.ts`)
 * The incident record carries `sweep` (the sparse sweep index's key) while the close sweep may act on it.
 * Every write that could race is conditional, so a retry, a redelivery or a re-run changes nothing twice.
 */
export type IncidentStatus =
  | 'open'
  | 'awaiting_approval'
  | 'containing'
  | 'contained'
  | 'partially_contained'
  | 'denied'
  | 'expired'
  | 'planned'
  | 'failed'
  | 'rolled_back';

export interface IncidentRecord {
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly executionName: string;
  readonly incident: Incident;
  /** The signals folded into it, the first `MAX_FINDING_IDS` by id (each is in its timeline line too). */
  readonly findingIds: string[];
  /** Signals folded in once `findingIds` was full: counted, not listed (`signalCount`). */
  readonly findingIdsOmitted?: number;
  readonly plan?: Plan;
  readonly decision?: Decision;
  readonly slack?: { channel: string; ts: string };
  /** The slow branch's S3 data-event evidence, once it has answered (or could not). */
  readonly dataEvidence?: DataEvidence;
  /** The current approval request: its nonce, overall deadline and heartbeat round. */
  readonly approval?: {
    nonce: string;
    deadline: string;
    round: number;
    /**
     * Which execution attempt asked (`<execution name>#<redrive count>`). A heartbeat re-entry of
     * the same attempt keeps the deadline; another attempt (a redrive, a re-run) asks afresh.
     */
    attempt?: string;
  };
  readonly report?: { markdownKey: string; jsonKey: string; htmlKey?: string };
  readonly error?: { error: string; cause: string };
  /**
   * When the report was last written (the end of the containment phase). Not a closing: an
   * incident is closed only once `closure` is set.
   */
  readonly reportedAt?: string;
  /** Set once the incident is closed (`lifecycle.ts`); its status keeps the last containment status. */
  readonly closure?: Closure;
  /**
   * Closed by a function that cannot write the evidence bucket (Slack, the registration): the close
   * function's next sweep adds the closing part to the report, then removes this.
   */
  readonly closureReportPending?: boolean;
  /** When the latest signal folded into it arrived (its creation when none has). */
  readonly lastSignalAt?: string;
  /**
   * When a finding's update last moved the window of every correlation key of the incident (its
   * creation when none has): a signal folding in moves only the keys it names, not the others.
   */
  readonly keysRenewedAt?: string;
  /**
   * The status of the latest report that contained something (`contained` or
   * `partially_contained`): a later request refused while that containment stays in place keeps it.
   */
  readonly lastContainmentStatus?: 'contained' | 'partially_contained';
  /** The earlier incident for the same principal and bucket, when this one followed it (`CORRELATION#`). */
  readonly previousIncidentId?: string;
  /**
   * Source addresses of the anonymous signals folded in (a set, sorted; at most
   * `MAX_SIGNAL_SOURCE_IPS`): with the incident's own, what its source-address Deny lists.
   */
  readonly signalSourceIps?: string[];
  /** Addresses of folded signals not kept because `signalSourceIps` was full. */
  readonly signalSourceIpsOmitted?: number;
  /**
   * What signals folded in while a request was pending added and that request does not hold, in
   * arrival order (at most `MAX_QUEUED_DELTAS`): asked in the same thread once that decision is made.
   */
  readonly queuedDeltas?: QueuedDelta[];
  /** Signals whose additions were not queued because `queuedDeltas` was full. */
  readonly queuedDeltasOmitted?: number;
  /** What `queuedDeltas` holds, in bytes as DynamoDB counts them (`item-size.ts`): at most `MAX_QUEUED_BYTES`. */
  readonly queuedBytes?: number;
  /**
   * The registration whose signal last reopened the incident for a delta (`reopenForDelta`, in the
   * same write): while the incident is still `open`, a retry of that execution starts the same
   * delta request again. A queued round's reopen (`takeQueuedDeltas`) removes it.
   */
  readonly reopenedBy?: DeltaReopen;
  /**
   * The closing message the report posted in the thread, as posted: closing the incident rewrites
   * it without its "Close incident" button (`close.ts`).
   */
  readonly summaryMessage?: {
    readonly ref: { channel: string; ts: string };
    readonly blocks: unknown[];
    readonly text: string;
  };
}

/** An incident the close sweep may have to act on (`SweepStore.listIncidentsToSweep`). */
export interface SweepCandidate {
  readonly incidentId: string;
}

/** What closing an incident did (`IncidentStore.closeIncident`). */
export type CloseOutcome =
  /** The closure is recorded now; `record` is the incident after it. */
  | { readonly outcome: 'closed'; readonly record: IncidentRecord }
  /** It was closed before: nothing changed; `record.closure` says how. */
  | { readonly outcome: 'already-closed'; readonly record: IncidentRecord & { closure: Closure } };

/** The `CAP#<accountId>#<bucket>` counter of new incidents opened for one bucket in the current window. */
export type NewIncidentCount =
  /** Counted: `count` incidents (this one included) opened for the bucket since `windowStart`. */
  | { readonly outcome: 'counted'; readonly count: number; readonly windowStart: string }
  /** The cap is reached: not counted; `latestIncidentId` is the last incident counted in the window. */
  | {
      readonly outcome: 'capped';
      readonly count: number;
      readonly windowStart: string;
      readonly latestIncidentId: string;
    };

// The incident record (`META`) must stay below DynamoDB's 400 KB item limit (`MAX_ITEM_BYTES`),
// whatever a flood of crafted signals brings: everything a signal makes it grow is bounded below,
// so the worst case stays below 350 KB (test/store/item-size-flood.test.ts). What does not fit is
// counted (`…Omitted`) and said in the timeline, never dropped silently.

/**
 * At most this many folded-in source addresses are kept on an incident (at most 46 bytes each:
 * 92 KB); the source-address Deny lists at most 8 KB of their blocks anyway.
 */
export const MAX_SIGNAL_SOURCE_IPS = 2000;

/** At most this many finding ids are listed on an incident (at most 301 bytes each: 15 KB); the rest are counted. */
export const MAX_FINDING_IDS = 50;

/**
 * At most this many queued deltas are kept on an incident: each is one signal's additions (its
 * buckets are bounded too), so a flood of signals naming new buckets cannot grow the record
 * toward DynamoDB's 400 KB item limit. Further ones are counted in `queuedDeltasOmitted`.
 */
export const MAX_QUEUED_DELTAS = 25;

/**
 * The queued deltas together hold at most this many bytes (`queuedBytes`): one delta naming the
 * most principals (25 ARNs of up to 600 characters) still fits, a flood of them does not grow the
 * record past its budget. A delta that does not fit is counted in `queuedDeltasOmitted`, like one
 * arriving at a full queue.
 */
export const MAX_QUEUED_BYTES = 32 * 1024;

/** The number of signals an incident holds: those listed and those counted once the list was full. */
export function signalCount(record: Pick<IncidentRecord, 'findingIds' | 'findingIdsOmitted'>): number {
  return record.findingIds.length + (record.findingIdsOmitted ?? 0);
}

/**
 * Who reopened an incident for a delta (`IncidentRecord.reopenedBy`): what a retry of that
 * registration needs to ask for the same delta again, and no copy of it. The reopen wrote the
 * delta's buckets and principals into the incident, so a retry reads them back from there: the
 * buckets from `bucketsFrom` on (they were appended), the principals marked as added by
 * `findingId` at `at`. Only its addresses (kept in `signalSourceIps`, or named in the fold's
 * timeline line when that is full) are recorded, at most
 * `MAX_REOPEN_ADDRESSES` of them with their count, for the request's description.
 * `delta` is the whole delta as records written before this form hold it (read, never written).
 */
export interface DeltaReopen {
  readonly executionName: string;
  readonly findingId: string;
  readonly at: string;
  /** The status the incident was reopened from. */
  readonly previousStatus: IncidentStatus;
  readonly bucketsFrom?: number;
  readonly addresses?: string[];
  readonly addressCount?: number;
  /** The delta's new keys of principals the incident held (to say them as keys, not principals). */
  readonly newKeys?: string[];
  readonly delta?: Readonly<Record<string, unknown>>;
}

/** Addresses a `DeltaReopen` lists at most. */
export const MAX_REOPEN_ADDRESSES = 20;

/**
 * One signal's additions to an incident, queued while a request was pending. `delta` is the
 * registration's delta as it was (its fields are the registration's to read), so a field added
 * to it later rides along unchanged.
 */
export interface QueuedDelta {
  readonly at: string;
  readonly findingId: string;
  readonly delta: Readonly<Record<string, unknown>>;
}

/** What queueing a delta did (`LifecycleStore.queueDelta`). */
export type QueueOutcome =
  /** Appended; `record` is the incident after it. */
  | { readonly outcome: 'queued'; readonly record: IncidentRecord }
  /** The queue was full: not appended, counted in `queuedDeltasOmitted`. */
  | { readonly outcome: 'full'; readonly record: IncidentRecord }
  /** No request is pending any more (the phase ended) or the incident was closed: nothing written. */
  | { readonly outcome: 'not-pending'; readonly record: IncidentRecord };

export interface TimelineEvent {
  readonly at: string;
  readonly kind: string;
  readonly text: string;
  readonly data?: Record<string, unknown>;
}

export type UndoKind =
  | 'bucketPolicy'
  | 'vpcEndpointPolicy'
  | 'accessKey'
  | 'roleInlinePolicy'
  | 'userInlinePolicy'
  | 'macieJob';

export interface UndoEntry {
  readonly kind: UndoKind;
  readonly target: string;
  readonly accountId: string;
  /** The Region of a regional resource (a VPC endpoint), so rollback reaches the same one. */
  readonly region?: string;
  /** The exact prior document or status, or null when there was none. */
  readonly prior: string | null;
  readonly savedAt: string;
  /**
   * The Sids this incident wrote into the target's policy (recorded before each write, after the
   * checks that no one else's statement uses them): what rollback removes, and the statements a
   * later run may rewrite in place. May hold repeats; absent on entries saved before it existed.
   */
  readonly sids?: string[];
}

export type ClaimResult =
  /** First time this finding id is seen: the caller owns `incidentId`. */
  | { readonly outcome: 'new'; readonly incidentId: string }
  /**
   * The same execution registering again (a retry): same incident, nothing new. `linkedTo` when
   * the first attempt folded the finding into another incident.
   */
  | { readonly outcome: 'retry'; readonly incidentId: string; readonly linkedTo?: string }
  /**
   * Seen before by another execution: link to the existing incident. With `sayFolded`, `recorded`
   * says whether the finding is recorded on that incident (folded into it, or its own once
   * created), which then exists (no need to read it); `registering` that it is not yet, the claim
   * being one that is told (so its incident is not created or folded into yet: no need to read
   * it either); and `claimedAt` when the claim was made.
   */
  | {
      readonly outcome: 'duplicate';
      readonly incidentId: string;
      readonly previousCount: number;
      readonly recorded?: boolean;
      readonly registering?: boolean;
      readonly claimedAt?: string;
    };

/** The `CORRELATION#` claim of a principal and bucket (`key`: `<accountId>#<principal key>#<bucket>`). */
export type CorrelationResult =
  /** The caller's incident holds the key now; `previousIncidentId` held it before (its window had passed). */
  | { readonly outcome: 'claimed'; readonly previousIncidentId?: string }
  /** Another incident holds the key and its window has not passed. */
  | { readonly outcome: 'held'; readonly incidentId: string; readonly claimedAt: string; readonly expiresAt: string };

export interface ApprovalRecord {
  readonly nonce: string;
  readonly incidentId: string;
  /** Never leaves the store except in SendTaskSuccess/SendTaskFailure. */
  readonly taskToken: string;
  readonly approvers: string[];
  readonly requiredVotes: 1 | 2;
  readonly planItemIds: string[];
  readonly expiresAt: string;
  /** `withdrawn`: the incident was closed while the request was pending (`withdrawn` says how). */
  readonly status: 'pending' | 'decided' | 'superseded' | 'withdrawn';
  readonly votes: string[];
  readonly outcome?: 'approved' | 'denied';
  /** Set with `status: withdrawn`: the closing that withdrew the request. */
  readonly withdrawn?: ApprovalWithdrawal;
  readonly decidedBy?: string[];
  readonly decidedAt?: string;
  readonly selected?: string[];
  readonly reason?: string;
  readonly slack?: { channel: string; ts: string };
  /**
   * The approval message as posted (its blocks with the checkboxes and this nonce), so a signal
   * folding in while it is pending can refresh its signals line in place (`render/signals.ts`).
   */
  readonly message?: ChatMessage;
  /** Slack user id of the compromised principal's owner, when known: never their own approver. */
  readonly subjectUserId?: string;
}

/** Who withdrew a pending approval request by closing its incident, when, and with what resolution. */
export interface ApprovalWithdrawal {
  readonly at: string;
  readonly by: string;
  readonly resolution: Closure['resolution'];
}

/** What withdrawing an approval request did (`IncidentStore.withdrawApproval`). */
export type WithdrawOutcome =
  /** The request was pending and is withdrawn now; no vote can decide it any more. */
  | { readonly outcome: 'withdrawn'; readonly approval: ApprovalRecord }
  /** It was not pending (a click decided it, a re-ping superseded it, or it is unknown): nothing changed. */
  | { readonly outcome: 'not-pending'; readonly approval: ApprovalRecord | undefined };

/**
 * What a vote did. `previous` is the request as the vote was planned on (what `withdrawVote` puts
 * back). 'no-overlap': the second approver of a two-person request selected no action the first
 * one selected, so nothing is decided and both votes are cleared (`firstVoter` and
 * `firstSelected` say whose vote was cleared and what it selected).
 */
export type VoteResult =
  | { readonly state: 'decided'; readonly approval: ApprovalRecord; readonly previous: ApprovalRecord }
  | { readonly state: 'vote-recorded'; readonly approval: ApprovalRecord; readonly previous: ApprovalRecord }
  | {
      readonly state: 'no-overlap';
      readonly approval: ApprovalRecord;
      readonly previous: ApprovalRecord;
      readonly firstVoter: string;
      readonly firstSelected: string[];
    };

/** What a vote is checked and planned on (dynamodb-votes.ts): an approval or a rollback request. */
export interface VotableRecord {
  readonly status: 'pending' | 'decided' | 'superseded' | 'withdrawn';
  readonly expiresAt: string;
  readonly requiredVotes: 1 | 2;
  readonly votes: string[];
  readonly selected?: string[];
}

/**
 * A request to undo one incident's containment from Slack. The Undo button carries only `nonce`;
 * a click is gated like the plan's approval (approvers, two-person rule, used once) and, once
 * decided, starts the rollback state machine under a name derived from the incident id and nonce.
 */
export interface RollbackRequestRecord extends VotableRecord {
  readonly nonce: string;
  readonly incidentId: string;
  /** Slack user ids and user-group ids (`S…`) allowed to approve the rollback. */
  readonly approvers: string[];
  readonly createdAt: string;
  readonly outcome?: 'approved';
  readonly decidedBy?: string[];
  readonly decidedAt?: string;
  /** Slack user id of the compromised principal's owner, when known: never their own approver. */
  readonly subjectUserId?: string;
  /** Set once StartExecution has succeeded (or found the same execution already started). */
  readonly execution?: { readonly name: string; readonly arn: string; readonly startedAt: string };
  /** Why StartExecution failed after the decision; an approver's next click retries under the same name. */
  readonly startError?: string;
}

export type RollbackVoteResult =
  | { readonly state: 'decided'; readonly request: RollbackRequestRecord }
  | { readonly state: 'vote-recorded'; readonly request: RollbackRequestRecord };

export interface IncidentStore {
  claimFinding(args: {
    findingId: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
    /**
     * The registration's form: a duplicate's answer then says whether the finding is recorded on
     * its incident (`recorded`) and when it was claimed (`claimedAt`), and a higher count is not
     * raised here: the caller raises it (`raiseFindingCount`) once it knows the finding's incident,
     * so a delivery that has to wait for that incident finds its count still higher when retried.
     */
    sayFolded?: boolean;
  }): Promise<ClaimResult>;
  /**
   * Raises the last count recorded on a finding's claim to `count`, conditionally (only upwards):
   * the count it replaced, or undefined when the recorded one is already as high (of two racing
   * raises, one wins).
   */
  raiseFindingCount(args: { findingId: string; count: number }): Promise<number | undefined>;
  /**
   * Takes over the claim of a finding id whose incident was never created (its registration died
   * after claiming): conditional on `from` still holding it and having claimed it before
   * `claimedBefore`. True when the caller now owns the finding id with `incidentId`.
   */
  takeOverFinding(args: {
    findingId: string;
    from: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
    claimedBefore: string;
  }): Promise<boolean>;
  /**
   * Records the incident a finding is recorded on, once it is: another incident it was folded
   * into, or its own once created. Later deliveries of it link there without reading the incident.
   */
  linkFinding(args: { findingId: string; incidentId: string }): Promise<void>;
  /**
   * Claims a principal and bucket for an incident until `expiresAt` (conditional put): succeeds
   * when nobody holds the key, the caller already does (a retry), or the holder's window has
   * passed; otherwise answers who holds it.
   */
  claimCorrelation(args: {
    key: string;
    incidentId: string;
    expiresAt: string;
    now: string;
  }): Promise<CorrelationResult>;
  /**
   * Hands a key from `from` to `to` (conditional on `from` still holding it): a closed or
   * abandoned holder is replaced. False when another writer changed the key first.
   */
  handOverCorrelation(args: {
    key: string;
    from: string;
    to: string;
    expiresAt: string;
    now: string;
    previousIncidentId?: string;
  }): Promise<boolean>;
  /** Moves the window end of a key its holder still holds to `expiresAt` (never earlier). */
  extendCorrelation(args: { key: string; incidentId: string; expiresAt: string }): Promise<void>;
  /**
   * Adds a finding id to the incident once, and returns the record. Throws IncidentNotFound, and
   * StoreConflict when the incident is closed (a closed incident takes no new signal).
   */
  appendFindingId(incidentId: string, findingId: string, now: string): Promise<IncidentRecord>;
  /**
   * Reopens a contained incident for a delta (conditional: its status is one of `from` and it is not
   * closed), setting `status: 'open'` and `patch` (`reopenedBy` names the registration). False when
   * another registration reopened it first (or it was closed): only one delta request runs at a time.
   * The same write puts it in the sweep index (a record written before the index had no key there).
   * Throws IncidentNotFound.
   */
  reopenForDelta(
    incidentId: string,
    from: readonly IncidentStatus[],
    patch: { updatedAt: string; incident?: Incident; reopenedBy?: DeltaReopen },
  ): Promise<boolean>;
  /**
   * Adds source addresses of a folded-in signal to `signalSourceIps` (a set: a repeat adds
   * nothing), never past `MAX_SIGNAL_SOURCE_IPS`: new ones beyond are counted in
   * `signalSourceIpsOmitted` instead, and returned (none when all are kept). Throws
   * IncidentNotFound, and StoreConflict when a concurrent fold changed the set meanwhile.
   */
  addSignalSourceIps(incidentId: string, ips: readonly string[]): Promise<string[]>;
  /**
   * Closes the incident once (conditional: not closed yet), recording `closure`; its status is left
   * as it is (the last containment status). A second close changes nothing and answers
   * 'already-closed' with the first closure. Throws IncidentNotFound.
   */
  closeIncident(args: {
    incidentId: string;
    closure: Closure;
    reportPending?: boolean;
    /** When given, closes only if the record's `lastSignalAt` is still this (null: absent); else StoreConflict. */
    lastSignalAt?: string | null;
  }): Promise<CloseOutcome>;
  /** Creates the incident; a second call for the same id changes nothing. */
  createIncident(record: IncidentRecord): Promise<void>;
  getIncident(incidentId: string): Promise<IncidentRecord | undefined>;
  /**
   * Sets the given fields atomically and returns the record as it is after the update (so two
   * writers racing on different fields can tell which of them came second). Throws
   * IncidentNotFound when the incident does not exist. Not the closing fields: only
   * `closeIncident` and `clearReportPending` write those, with the sweep index's key.
   */
  updateIncident(
    incidentId: string,
    patch: Partial<
      Omit<IncidentRecord, 'incidentId' | 'createdAt' | 'incident' | 'closure' | 'closureReportPending'>
    > & { incident?: Incident },
  ): Promise<IncidentRecord>;
  addEvent(incidentId: string, event: TimelineEvent): Promise<void>;
  listEvents(incidentId: string): Promise<TimelineEvent[]>;
  /** Saves the prior state once; a later call for the same kind and target returns 'exists' and keeps the first. */
  saveUndo(incidentId: string, entry: UndoEntry): Promise<'saved' | 'exists'>;
  listUndo(incidentId: string): Promise<UndoEntry[]>;
  /**
   * Adds Sids to the `sids` of the saved prior state of one target (saved first with `saveUndo`).
   * Throws IncidentNotFound when there is no such entry.
   */
  addUndoSids(incidentId: string, kind: UndoKind, target: string, sids: readonly string[]): Promise<void>;
  recordAction(incidentId: string, result: ActionResult): Promise<void>;
  listActions(incidentId: string): Promise<ActionResult[]>;
  putApproval(record: ApprovalRecord): Promise<void>;
  getApproval(nonce: string): Promise<ApprovalRecord | undefined>;
  /** Marks a pending approval superseded (a newer request replaced it). No-op if already decided. */
  supersedeApproval(nonce: string): Promise<void>;
  /**
   * Withdraws a pending approval request because its incident was closed (conditional: still
   * pending), recording `withdrawal`. Of a vote and a withdrawal racing on one request, exactly
   * one wins: the loser finds it no longer pending ('not-pending', with the request as it is).
   */
  withdrawApproval(nonce: string, withdrawal: ApprovalWithdrawal): Promise<WithdrawOutcome>;
  /**
   * Casts one approver's vote atomically. Approve with `requiredVotes` 2 records the first vote and
   * decides on the second distinct voter, with the actions both selected (none in common:
   * 'no-overlap', both votes cleared, nothing decided); deny decides at once. Throws DecisionRejected with
   * 'unknown-request', 'already-decided', 'expired' or 'same-approver-twice'.
   */
  castVote(args: {
    nonce: string;
    userId: string;
    outcome: 'approved' | 'denied';
    now: string;
    selected?: string[];
    reason?: string;
  }): Promise<VoteResult>;
  /**
   * Undoes a decisive vote whose decision Step Functions refused (the task token timed out or is
   * gone): puts the request back as `vote.previous`, provided the vote's own write is still the
   * latest (decided at `vote.approval.decidedAt` by the same approvers). True when withdrawn.
   */
  withdrawVote(vote: { previous: ApprovalRecord; approval: ApprovalRecord }): Promise<boolean>;
  /** Stores a new rollback request, kept until a week after it expires. Throws StoreConflict if the nonce is taken. */
  putRollbackRequest(record: RollbackRequestRecord): Promise<void>;
  getRollbackRequest(nonce: string): Promise<RollbackRequestRecord | undefined>;
  /**
   * Casts one approver's vote on a rollback request atomically, like `castVote` with outcome
   * approved: `requiredVotes` 2 decides on the second distinct voter. Throws DecisionRejected with
   * 'unknown-request', 'already-decided', 'expired' or 'same-approver-twice'.
   */
  castRollbackVote(args: { nonce: string; userId: string; now: string }): Promise<RollbackVoteResult>;
  /**
   * Records what StartExecution did for a decided rollback request: the execution (clears any
   * earlier `startError`), or why it failed (ignored once an execution is recorded).
   */
  recordRollbackStart(
    nonce: string,
    result: { execution: NonNullable<RollbackRequestRecord['execution']> } | { startError: string },
  ): Promise<void>;
}

/**
 * The store operations only the registration and the close function need (`DynamoLifecycleStore`):
 * kept off `IncidentStore` so the other functions' bundles do not carry them.
 */
export interface LifecycleStore extends IncidentStore {
  /** Removes `closureReportPending` once the report has its closing part, and the incident from the sweep index. */
  clearReportPending(incidentId: string): Promise<void>;
  /**
   * Counts a new incident for one bucket (`key`: `<accountId>#<bucket>`) in a window of
   * `windowMinutes` that starts with the first incident counted: one conditional update, so racing
   * registrations never count past `max`. At `max` the incident is not counted: 'capped'.
   */
  countNewIncident(args: {
    key: string;
    incidentId: string;
    now: string;
    windowMinutes: number;
    max: number;
  }): Promise<NewIncidentCount>;
  /**
   * Appends one signal's delta to `queuedDeltas` in one conditional update (concurrent folds never
   * lose each other's), only while the containment phase runs (`status` one of `pending`) and the
   * incident is not closed, and only below `MAX_QUEUED_DELTAS` entries and `MAX_QUEUED_BYTES` (`queuedBytes`,
   * kept in the same write). Throws IncidentNotFound.
   */
  queueDelta(incidentId: string, entry: QueuedDelta, pending: readonly IncidentStatus[]): Promise<QueueOutcome>;
  /**
   * Takes the queue for a new round (conditional: it still holds exactly `count` entries, the
   * incident is not closed and its status is none of `running`): leaves `rest` queued (what this
   * round does not ask), removes the decided `approval` and the last delta's `reopenedBy`, and sets
   * `status: 'open'` and `incident`.
   * Of two takers exactly one gets true.
   */
  takeQueuedDeltas(
    incidentId: string,
    args: {
      count: number;
      /** The first entry as read: with `count`, the queue is the one read (not another of its length). */
      first: Pick<QueuedDelta, 'findingId' | 'at'>;
      rest: readonly QueuedDelta[];
      running: readonly IncidentStatus[];
      updatedAt: string;
      incident: Incident;
    },
  ): Promise<boolean>;
  /**
   * Removes the queue of a closed incident (conditional: closed, the queue as read), or, with
   * `open`, of an incident not closed whose phase has ended (its status not one of `running`): a
   * queue that asks nothing. True when removed.
   */
  dropQueuedDeltas(
    incidentId: string,
    count: number,
    first: Pick<QueuedDelta, 'findingId' | 'at'>,
    open?: { readonly running: readonly IncidentStatus[] },
  ): Promise<boolean>;
}

/**
 * The lifecycle store with the listing of the close sweep (`DynamoSweepStore`): only the close
 * function sweeps, so the registration's bundle does not carry it.
 */
export interface SweepStore extends LifecycleStore {
  /**
   * What the close sweep works on: every incident not closed yet, and every closed one whose report
   * still lacks its closing part (`closureReportPending`), read from the sweep index
   * (`sweep-index.ts`). The index is eventually consistent: the list may lag the table by a moment,
   * so each incident is read again before anything is done to it. Until the table is marked
   * migrated, a filtered Scan of the incident records instead, which adds the index's key to the
   * records written before it (`now` dates the migration's mark).
   */
  listIncidentsToSweep(now: string): Promise<SweepCandidate[]>;
}
