import * as z from 'zod';
import { task } from '../shared/define-task.js';
import { ActionNotApplicable } from '../shared/errors.js';
import { parsePolicy, serializePolicy } from '../shared/policy/document.js';
import { revokeSessionsPolicy } from '../shared/policy/statements.js';
import type { Clock, IamPort } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, RevokeRoleSessionsItem, RevokeUserSessionsItem } from '../shared/schemas/plan.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * Revokes credentials issued before now: the `AWSRevokeOlderSessions` inline Deny on the role (or,
 * for an IAM user's temporary credentials, on the user), with `aws:TokenIssueTime` set at the moment
 * of containment. Refuses service-linked roles. The prior inline policy of that name is saved first;
 * a policy already carrying this incident's Sid means `already`. It also applies `revokeUserSessions`
 * (the same Deny on an IAM user whose long-term key leaked: sessions minted from the key outlive its
 * deactivation), so that action needs no function of its own.
 */
export const revokeRoleSessions = task({
  name: 'revokeRoleSessions',
  input: actionInput(z.discriminatedUnion('action', [RevokeRoleSessionsItem, RevokeUserSessionsItem])),
  async run({ item, incidentId }, ports: { iam: IamPort; store: IncidentStore; clock: Clock }): Promise<ActionResult> {
    const { accountId, name, policyName, principalKind } = item;
    const target = { accountId, kind: principalKind, name, policyName };
    const base = { action: item.action, target: item.target };
    const label =
      item.action === 'revokeUserSessions'
        ? `Sessions minted from the leaked key of user ${name} before containment revoked`
        : `Sessions of ${principalKind} ${name} issued before containment revoked`;
    if (principalKind === 'role') {
      const role = await ports.iam.getRole({ accountId, roleName: name });
      if (!role) throw new ActionNotApplicable(`role ${name} no longer exists; nothing was changed`);
      if (role.path.startsWith('/aws-service-role/')) {
        throw new ActionNotApplicable(
          `${name} is a service-linked role; IAM does not allow editing it, contain the service that uses it`,
        );
      }
    }
    const prior = await ports.iam.getInlinePolicy(target);
    if (
      prior &&
      parsePolicy(prior, `${name}/${policyName}`)?.Statement.some((statement) => statement.Sid === item.sid)
    ) {
      return recordAction(ports, incidentId, { ...base, result: 'already' }, label);
    }
    const now = ports.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const document = revokeSessionsPolicy(now);
    for (const statement of document.Statement) statement.Sid = item.sid;
    await ports.store.saveUndo(incidentId, {
      kind: principalKind === 'role' ? 'roleInlinePolicy' : 'userInlinePolicy',
      target: `${name}/${policyName}`,
      accountId,
      prior: prior ?? null,
      savedAt: ports.clock.now().toISOString(),
    });
    await ports.iam.putInlinePolicy({ ...target, document: serializePolicy(document) });
    return recordAction(
      ports,
      incidentId,
      { ...base, result: 'applied', detail: `aws:TokenIssueTime before ${now}` },
      label,
    );
  },
});
