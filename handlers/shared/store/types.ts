import type { DataEventsSummary } from '../ports.js';
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
 * - `FINDING#<findingId>` / `FINDING`    conditional put: one incident per finding id
 * - `APPROVAL#<nonce>` / `APPROVAL`      the task token, approvers, expiry and votes; used once
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
  readonly findingIds: string[];
  readonly plan?: Plan;
  readonly decision?: Decision;
  readonly slack?: { channel: string; ts: string };
  /** The slow branch's S3 data-event evidence, once it has answered (or could not). */
  readonly dataEvidence?: DataEvidence;
  /** The current approval request: its nonce, overall deadline and heartbeat round. */
  readonly approval?: { nonce: string; deadline: string; round: number };
  readonly report?: { markdownKey: string; jsonKey: string };
  readonly error?: { error: string; cause: string };
  readonly closedAt?: string;
}

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
  /** The exact prior document or status, or null when there was none. */
  readonly prior: string | null;
  readonly savedAt: string;
}

export type ClaimResult =
  /** First time this finding id is seen: the caller owns `incidentId`. */
  | { readonly outcome: 'new'; readonly incidentId: string }
  /** The same execution registering again (a retry): same incident, nothing new. */
  | { readonly outcome: 'retry'; readonly incidentId: string }
  /** Seen before by another execution: link to the existing incident. */
  | { readonly outcome: 'duplicate'; readonly incidentId: string; readonly previousCount: number };

export interface ApprovalRecord {
  readonly nonce: string;
  readonly incidentId: string;
  /** Never leaves the store except in SendTaskSuccess/SendTaskFailure. */
  readonly taskToken: string;
  readonly approvers: string[];
  readonly requiredVotes: 1 | 2;
  readonly planItemIds: string[];
  readonly expiresAt: string;
  readonly status: 'pending' | 'decided' | 'superseded';
  readonly votes: string[];
  readonly outcome?: 'approved' | 'denied';
  readonly decidedBy?: string[];
  readonly decidedAt?: string;
  readonly selected?: string[];
  readonly reason?: string;
  readonly slack?: { channel: string; ts: string };
  /** Slack user id of the compromised principal's owner, when known: never their own approver. */
  readonly subjectUserId?: string;
}

export type VoteResult =
  | { readonly state: 'decided'; readonly approval: ApprovalRecord }
  | { readonly state: 'vote-recorded'; readonly approval: ApprovalRecord };

export interface IncidentStore {
  claimFinding(args: {
    findingId: string;
    incidentId: string;
    executionName: string;
    count: number;
    now: string;
  }): Promise<ClaimResult>;
  /** Creates the incident; a second call for the same id changes nothing. */
  createIncident(record: IncidentRecord): Promise<void>;
  getIncident(incidentId: string): Promise<IncidentRecord | undefined>;
  /**
   * Sets the given fields atomically and returns the record as it is after the update (so two
   * writers racing on different fields can tell which of them came second). Throws
   * IncidentNotFound when the incident does not exist.
   */
  updateIncident(
    incidentId: string,
    patch: Partial<Omit<IncidentRecord, 'incidentId' | 'createdAt' | 'incident'>> & { incident?: Incident },
  ): Promise<IncidentRecord>;
  addEvent(incidentId: string, event: TimelineEvent): Promise<void>;
  listEvents(incidentId: string): Promise<TimelineEvent[]>;
  /** Saves the prior state once; a later call for the same kind and target returns 'exists' and keeps the first. */
  saveUndo(incidentId: string, entry: UndoEntry): Promise<'saved' | 'exists'>;
  listUndo(incidentId: string): Promise<UndoEntry[]>;
  recordAction(incidentId: string, result: ActionResult): Promise<void>;
  listActions(incidentId: string): Promise<ActionResult[]>;
  putApproval(record: ApprovalRecord): Promise<void>;
  getApproval(nonce: string): Promise<ApprovalRecord | undefined>;
  /** Marks a pending approval superseded (a newer request replaced it). No-op if already decided. */
  supersedeApproval(nonce: string): Promise<void>;
  /**
   * Casts one approver's vote atomically. Approve with `requiredVotes` 2 records the first vote and
   * decides on the second distinct voter; deny decides at once. Throws DecisionRejected with
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
}
