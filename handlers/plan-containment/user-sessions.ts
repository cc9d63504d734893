import { maskKey, statementSid } from '../shared/ids.js';
import { serializePolicy } from '../shared/policy/document.js';
import { REVOKE_SESSIONS_POLICY, revokeSessionsPolicy } from '../shared/policy/statements.js';
import { protectedRoleArns } from '../shared/schemas/settings.js';
import type { Planner } from './draft.js';
import { isPlaceholderKey } from './drill.js';

/** IAM's quota for all of one user's inline policies together, in characters (whitespace not counted). */
export const USER_INLINE_POLICIES_LIMIT = 2048;

/**
 * For an IAM user whose long-term (AKIA) key leaked: the `aws:TokenIssueTime` Deny on the user.
 * Deactivating the key does not end the session credentials minted from it (`GetSessionToken`,
 * `GetFederationToken`, valid up to 36 h); this Deny does, and leaves requests signed with the
 * user's long-term keys (which carry no token issue time) alone. Its own checkbox, so a responder
 * can deactivate the key without it.
 */
export const revokeUserSessionsPlanner: Planner = async ({ incident, incidentId, settings }, facts, draft) => {
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
  draft.items.push({
    id: `revokeUserSessions:user/${principal.userName}`,
    action: 'revokeUserSessions',
    target: `user/${principal.userName}`,
    accountId: incident.accountId,
    region: incident.region,
    principalKind: 'user',
    name: principal.userName,
    policyName: REVOKE_SESSIONS_POLICY,
    sid,
    size,
    limit: USER_INLINE_POLICIES_LIMIT,
    summary: `Add inline policy ${REVOKE_SESSIONS_POLICY} (${size} of the ${USER_INLINE_POLICIES_LIMIT} characters a user's inline policies share) to user ${principal.userName}: deny session credentials minted from the leaked key before containment (GetSessionToken/GetFederationToken sessions outlive the key's deactivation by up to 36 h)`,
  });
};
