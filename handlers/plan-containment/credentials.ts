import { maskKey, statementSid } from '../shared/ids.js';
import { REVOKE_SESSIONS_POLICY } from '../shared/policy/statements.js';
import { principalOfType } from '../shared/render/words.js';
import type { Principal } from '../shared/schemas/incident.js';
import type { PrincipalFacts } from '../shared/schemas/principal-facts.js';
import { isManagedAccount, protectedRoleArns } from '../shared/schemas/settings.js';
import type { Draft, Planner, PlanPorts } from './draft.js';
import { isPlaceholderKey } from './drill.js';
import type { PlanContainmentInput } from './schema.js';
import { revokeUserSessionsPlanner } from './user-sessions.js';

/**
 * Credential actions for every principal the signal names (an attack sequence can name several),
 * each in the principal's own account, and only in an account we manage: the home account or a
 * member account (DESIGN §3, §8a). A caller from anyone else's account is contained by the bucket
 * and endpoint Deny alone; its account is named so that its owner can be told.
 */
export const credentialPlanners: Record<CredentialAction, Planner> = {
  deactivateAccessKey: (input, facts, draft, ports) => eachPrincipal('deactivateAccessKey', input, facts, draft, ports),
  revokeRoleSessions: (input, facts, draft, ports) => eachPrincipal('revokeRoleSessions', input, facts, draft, ports),
  revokeUserSessions: (input, facts, draft, ports) => eachPrincipal('revokeUserSessions', input, facts, draft, ports),
};

type CredentialAction = 'deactivateAccessKey' | 'revokeRoleSessions' | 'revokeUserSessions';

async function eachPrincipal(
  action: CredentialAction,
  input: PlanContainmentInput,
  facts: PrincipalFacts | undefined,
  draft: Draft,
  ports: PlanPorts,
): Promise<void> {
  const { incident, settings } = input;
  const principals = incident.principals ?? [incident.principal];
  for (const [index, principal] of principals.entries()) {
    const accountId = principal.accountId ?? incident.accountId;
    if (!isManagedAccount(settings, accountId, incident.accountId)) {
      if (hasCredentials(principal)) {
        draft.notPlanned.push({ action, target: targetOf(principal), reason: notManaged(accountId) });
      }
      continue;
    }
    const view = { ...input, incident: { ...incident, accountId, principal } };
    await perPrincipal[action](view, index === 0 ? facts : undefined, draft, ports);
  }
}

function hasCredentials(principal: Principal): boolean {
  return principal.type === 'IAMUser' || principal.type === 'AssumedRole' || principal.type === 'FederatedUser';
}

function targetOf(principal: Principal): string {
  return (principal.sessionIssuer ?? principal.arn ?? principal.accessKeyId ?? principal.type).slice(0, 256);
}

/** Why a credential action is not planned for a caller in another organization's account. */
export function notManaged(accountId: string): string {
  return `the caller is in account ${accountId}, which this deployment does not manage (neither home nor memberAccounts): only its owner can act on its credentials; notify account ${accountId}`;
}

/**
 * The protected (IR, break-glass, responder) role that role `name` of `accountId` is, if any. Role
 * names are unique in an account whatever their IAM path, so the name decides: a finding names the
 * role without its path (GuardDuty knows none), and when IAM could not be asked the path stays unknown.
 */
function protectedRole(settings: PlanContainmentInput['settings'], accountId: string, name: string) {
  return protectedRoleArns(settings).find(
    (arn) => arn.split(':')[4] === accountId && arn.split(':').slice(5).join(':').split('/').at(-1) === name,
  );
}

const perPrincipal: Record<CredentialAction, Planner> = {
  revokeUserSessions: revokeUserSessionsPlanner,
  async deactivateAccessKey({ incident }, facts, draft) {
    const { principal } = incident;
    const key = principal.accessKeyId;
    if (principal.type !== 'IAMUser' || !principal.userName || !key) {
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        reason: `no IAM user access key in the finding (${principal.type})`,
      });
      return;
    }
    if (!key.startsWith('AKIA') && !isPlaceholderKey(incident, key)) {
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        target: key,
        reason: `${maskKey(key)} is a temporary (session) credential; UpdateAccessKey cannot deactivate it`,
      });
      return;
    }
    const lastUsed = facts?.findingKey?.lastUsedDate;
    const already = facts?.findingKey?.status === 'Inactive' ? ' (already inactive)' : '';
    draft.items.push({
      id: `deactivateAccessKey:${key}`,
      action: 'deactivateAccessKey',
      target: key,
      accountId: incident.accountId,
      region: incident.region,
      userName: principal.userName,
      accessKeyId: key,
      lastUsed,
      summary: `Deactivate access key ${maskKey(key)} of IAM user ${principal.userName}${already}${lastUsed ? `, last used ${lastUsed}` : ''}; other keys are listed, not touched`,
    });
  },

  async revokeRoleSessions({ incident, incidentId, settings }, facts, draft) {
    const { principal } = incident;
    const base = {
      accountId: incident.accountId,
      region: incident.region,
      policyName: REVOKE_SESSIONS_POLICY,
      sid: statementSid(incidentId, 'RevokeOlderSessions'),
    } as const;
    if (principal.type === 'AssumedRole' && principal.userName) {
      const role = principal.userName;
      if (facts?.serviceLinked) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${role} is a service-linked role: IAM does not allow editing it`,
        });
        draft.recommendations.push(
          `Contain the AWS service that uses the service-linked role ${role}; its sessions cannot be revoked by policy.`,
        );
        return;
      }
      if (facts?.ssoManaged) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${role} is managed by IAM Identity Center and cannot be edited here`,
        });
        draft.recommendations.push(
          `Revoke the user's active sessions in IAM Identity Center (permission set ${role}) and disable the user there.`,
        );
        return;
      }
      const exempt = protectedRole(settings, incident.accountId, role);
      if (exempt) {
        draft.notPlanned.push({
          action: 'revokeRoleSessions',
          target: role,
          reason: `${exempt} is an exempt (IR, break-glass or responder) role`,
        });
        return;
      }
      draft.items.push({
        ...base,
        id: `revokeRoleSessions:${role}`,
        action: 'revokeRoleSessions',
        target: role,
        principalKind: 'role',
        name: role,
        summary: `Add inline policy ${REVOKE_SESSIONS_POLICY} to role ${role}: deny everything to sessions issued before containment (new sessions, including legitimate ones, keep working)`,
      });
      return;
    }
    if (principal.type === 'IAMUser' && principal.userName && principal.accessKeyId?.startsWith('ASIA')) {
      draft.items.push({
        ...base,
        id: `revokeRoleSessions:user/${principal.userName}`,
        action: 'revokeRoleSessions',
        target: `user/${principal.userName}`,
        principalKind: 'user',
        name: principal.userName,
        summary: `Add inline policy ${REVOKE_SESSIONS_POLICY} to user ${principal.userName}: deny its temporary credentials issued before containment (long-term keys are not affected)`,
      });
      return;
    }
    // An IAM user's long-term key: its sessions are revokeUserSessions' item. Role sessions do not
    // apply to a user, so the plan does not list them as "not planned" next to it.
    if (principal.type === 'IAMUser' && !principal.accessKeyId?.startsWith('ASIA')) return;
    draft.notPlanned.push({
      action: 'revokeRoleSessions',
      reason: `no session credentials to revoke for ${principalOfType(principal.type)}${principal.accessKeyId ? ` with key ${maskKey(principal.accessKeyId)}` : ''}`,
    });
  },
};
