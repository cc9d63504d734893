import { maskKey, statementSid } from '../shared/ids.js';
import { serializePolicy } from '../shared/policy/document.js';
import { REVOKE_SESSIONS_POLICY, revokeSessionsPolicy } from '../shared/policy/statements.js';
import type { RevokeUserSessionsItem } from '../shared/schemas/plan.js';
import { protectedRoleArns } from '../shared/schemas/settings.js';
import type { Planner } from './draft.js';
import { isPlaceholderKey } from './drill.js';
import type { PlanContainmentInput } from './schema.js';

/** IAM's quota for all of one user's inline policies together, in characters (whitespace not counted). */
export const USER_INLINE_POLICIES_LIMIT = 2048;

/**
 * For an IAM user whose long-term (AKIA) key leaked: the `aws:TokenIssueTime` Deny on the user.
 * Deactivating the key does not end the session credentials minted from it (`GetSessionToken`,
 * `GetFederationToken`, valid up to 36 h); this Deny does, and leaves requests signed with the
 * user's long-term keys (which carry no token issue time) alone. Its own checkbox, so a responder
 * can deactivate the key without it.
 */
export const revokeUserSessionsPlanner: Planner = async (input, facts, draft) => {
  const { incident, incidentId, settings } = input;
  const { principal } = incident;
  if (principal.type !== 'IAMUser') return;
  const key = principal.accessKeyId;
  if (!principal.userName || !key || !(key.startsWith('AKIA') || isPlaceholderKey(incident, key))) {
    draft.notPlanned.push({
      action: 'revokeUserSessions',
      reason: key
        ? `${maskKey(key)} is not a long-term key: its sessions are revoked by revokeRoleSessions`
        : 'no long-term access key in the finding',
    });
    return;
  }
  const userArn = facts?.resolvedArn ?? principal.arn;
  if (userArn && protectedRoleArns(settings).includes(userArn)) {
    draft.notPlanned.push({
      action: 'revokeUserSessions',
      target: `user/${principal.userName}`,
      reason: `${userArn} is exempt (IR, break-glass or responder)`,
    });
    return;
  }
  const sid = statementSid(incidentId, 'RevokeOlderSessions');
  // The document as it will be written (the issue time is a fixed-width timestamp), as IAM counts it.
  const document = revokeSessionsPolicy(incident.lastSeen.replace(/\.\d+Z$/, 'Z'));
  for (const statement of document.Statement) statement.Sid = sid;
  const size = serializePolicy(document).replace(/\s/g, '').length;
  const target = `user/${principal.userName}`;
  const renew = renewal(input, target);
  const summary = renew
    ? `Move forward the cut-off of inline policy ${REVOKE_SESSIONS_POLICY} of user ${principal.userName} (Sid ${sid}, updated in place) from ${renew.cutoff ?? `the earlier containment at ${renew.after}`} to the time of apply: session credentials minted since then, from a credential new to this incident, outlive its deactivation`
    : `Add inline policy ${REVOKE_SESSIONS_POLICY} (${size} of the ${USER_INLINE_POLICIES_LIMIT} characters a user's inline policies share) to user ${principal.userName}: deny session credentials minted from the leaked key before containment (GetSessionToken/GetFederationToken sessions outlive the key's deactivation by up to 36 h)`;
  draft.items.push({
    id: `revokeUserSessions:${target}`,
    action: 'revokeUserSessions',
    target,
    accountId: incident.accountId,
    region: incident.region,
    principalKind: 'user',
    name: principal.userName,
    policyName: REVOKE_SESSIONS_POLICY,
    sid,
    size,
    limit: USER_INLINE_POLICIES_LIMIT,
    summary,
    ...(renew ? { renew } : {}),
  });
};

/** `aws:TokenIssueTime before 2026-02-23T04:20:00Z` in an earlier result's detail. */
const EARLIER_CUTOFF = /aws:TokenIssueTime before (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;

/**
 * When this round (a delta) brings a credential of the user that is new to the incident (another
 * access key), or one an earlier round brought and did not deactivate or renew the cut-off for,
 * and an earlier run revoked the user's sessions: the revocation to plan again, its
 * cut-off moved forward, since sessions minted from the new credential after the earlier cut-off
 * outlive the new key's deactivation. Undefined otherwise: the earlier revocation stays in place.
 */
function renewal(
  { incident, previouslyApplied }: PlanContainmentInput,
  target: string,
): RevokeUserSessionsItem['renew'] | undefined {
  const { delta, principal } = incident;
  if (!delta) return undefined;
  const earlier = previouslyApplied
    .filter((result) => result.action === 'revokeUserSessions' && result.target === target && result.at)
    .sort((a, b) => Date.parse(a.at ?? '') - Date.parse(b.at ?? ''))
    .at(-1);
  const after = earlier?.at;
  if (!after || !Number.isFinite(Date.parse(after))) return undefined;
  const signals = new Set([delta.findingId, ...(delta.findingIds ?? [])]);
  const deactivated = new Set(
    previouslyApplied.filter((result) => result.action === 'deactivateAccessKey').map((result) => result.target),
  );
  const fresh = (incident.principals ?? [principal]).some(
    (other) =>
      other.type === 'IAMUser' &&
      other.accessKeyId !== undefined &&
      other.addedBy !== undefined &&
      // Brought by this round, by a round after the earlier revocation that applied nothing of it
      // (denied, expired, failed), or a key no round deactivated yet (a queued round refused): its
      // key is asked again, so is the cut-off.
      (signals.has(other.addedBy.findingId) ||
        Date.parse(other.addedBy.at) > Date.parse(after) ||
        !deactivated.has(other.accessKeyId)) &&
      other.userName === principal.userName &&
      (other.accountId ?? incident.accountId) === incident.accountId,
  );
  if (!fresh) return undefined;
  const cutoff = EARLIER_CUTOFF.exec(earlier?.detail ?? '')?.[1];
  return { after: new Date(after).toISOString(), ...(cutoff ? { cutoff } : {}) };
}
