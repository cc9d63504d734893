import * as z from 'zod';
import { systemTimer } from '../shared/clock.js';
import { task } from '../shared/define-task.js';
import { ActionNotApplicable, LostUpdate } from '../shared/errors.js';
import { NOT_YET_VISIBLE } from '../shared/owned-sids.js';
import { parsePolicy, serializePolicy } from '../shared/policy/document.js';
import { mergeStatements } from '../shared/policy/merge.js';
import { awaitVisible } from '../shared/policy/settle.js';
import { newestTokenCutoff, revokeSessionsPolicy } from '../shared/policy/statements.js';
import type { Clock, IamPort, Timer } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, RevokeRoleSessionsItem, RevokeUserSessionsItem } from '../shared/schemas/plan.js';
import type { IncidentStore } from '../shared/store/types.js';

const ATTEMPTS = 3;
const EPOCH = '1970-01-01T00:00:00Z';

/**
 * Revokes credentials issued before now: the `AWSRevokeOlderSessions` inline Deny on the role (or,
 * for an IAM user's temporary credentials, on the user), with `aws:TokenIssueTime` set at the moment
 * of containment. Refuses service-linked roles. The prior inline policy of that name is saved first;
 * a policy already carrying this incident's Sid means `already`. Our statement is merged into the
 * policy found, never written over it: every statement we did not write (an administrator's own
 * console revoke) is kept, and ours carries the later `aws:TokenIssueTime` cut-off of the two. After the write the policy is
 * re-read with bounded backoff: still the exact prior document is "applied, not yet visible"; a
 * third document without our Sid (someone wrote the same policy name meanwhile) is a lost update,
 * written again (3 attempts, then `LostUpdate`). IAM `LimitExceeded` is `PolicyTooLarge`. It also
 * applies `revokeUserSessions` (the same Deny on an IAM user whose long-term key leaked: sessions
 * minted from the key outlive its deactivation), so that action needs no function of its own.
 */
export const revokeRoleSessions = task({
  name: 'revokeRoleSessions',
  input: actionInput(z.discriminatedUnion('action', [RevokeRoleSessionsItem, RevokeUserSessionsItem])),
  async run(
    { item, incidentId },
    ports: { iam: IamPort; store: IncidentStore; clock: Clock; timer?: Timer },
  ): Promise<ActionResult> {
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
    const now = ports.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const policyLabel = `${name}/${policyName}`;
    const undoKind = principalKind === 'role' ? ('roleInlinePolicy' as const) : ('userInlinePolicy' as const);
    // A later round's renewal (a new credential of the user) moves a cut-off not later than the
    // earlier revocation's; a later one is this round's own write, found again on a retry.
    const renewAfter = item.action === 'revokeUserSessions' && item.renew ? Date.parse(item.renew.after) : undefined;
    const holdsOurs = (policy: string | undefined) => {
      if (policy === undefined) return false;
      const ours = parsePolicy(policy, policyLabel)?.Statement.find((statement) => statement.Sid === item.sid);
      if (!ours) return false;
      return renewAfter === undefined || Date.parse(newestTokenCutoff([ours], EPOCH)) > renewAfter;
    };
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      const prior = await ports.iam.getInlinePolicy(target);
      if (holdsOurs(prior)) {
        return recordAction(ports, incidentId, { ...base, result: attempt === 1 ? 'already' : 'applied' }, label);
      }
      // Merged, never replaced: a statement we did not write (an administrator's own console revoke,
      // written between our attempts) is kept, and ours keeps the later cut-off of the two.
      const current = parsePolicy(prior, policyLabel);
      const cutoff = newestTokenCutoff(
        (current?.Statement ?? []).filter((statement) => statement.Sid !== item.sid),
        renewAfter === undefined ? now : laterThan(now, renewAfter),
      );
      const earlier = current?.Statement.find((statement) => statement.Sid === item.sid);
      const fresh = revokeSessionsPolicy(cutoff);
      for (const statement of fresh.Statement) statement.Sid = item.sid;
      const merged = current
        ? mergeStatements(current, fresh.Statement, {
            owns: (statement) => statement.Sid === item.sid,
            label: policyLabel,
          }).document
        : fresh;
      const text = serializePolicy(merged);
      await ports.store.saveUndo(incidentId, {
        kind: undoKind,
        target: policyLabel,
        accountId,
        prior: prior ?? null,
        savedAt: ports.clock.now().toISOString(),
      });
      await ports.store.addUndoSids(incidentId, undoKind, policyLabel, [item.sid]);
      await ports.iam.putInlinePolicy({ ...target, document: text });
      // IAM is eventually consistent: the exact prior document may still be read for a while.
      const seen = await awaitVisible(
        async () => {
          const after = await ports.iam.getInlinePolicy(target);
          if (after === prior) return 'stale';
          return after !== undefined && holdsOurs(after) ? 'visible' : 'lost';
        },
        { sleep: (milliseconds) => (ports.timer ?? systemTimer).sleep(milliseconds) },
      );
      if (seen === 'lost') continue;
      const moved = earlier ? ` (moved forward from ${newestTokenCutoff([earlier], EPOCH)})` : '';
      const detail = `aws:TokenIssueTime before ${cutoff}${moved}`;
      return recordAction(
        ports,
        incidentId,
        {
          ...base,
          result: 'applied',
          ...(seen === 'visible' ? { detail } : { detail: `${detail}; ${NOT_YET_VISIBLE}`, visible: false as const }),
        },
        label,
      );
    }
    throw new LostUpdate(
      `${policyName} of ${principalKind} ${name} kept changing under us (${ATTEMPTS} attempts); our statement is not in place`,
    );
  },
});

/** `now`, or the first whole second after `after` when `now` is not later (a renewal's cut-off must pass the earlier one). */
function laterThan(now: string, after: number): string {
  if (Date.parse(now) > after) return now;
  return new Date(Math.floor(after / 1000) * 1000 + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
