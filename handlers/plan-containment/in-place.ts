import type { Statement } from '../shared/policy/document.js';
import { parsePolicy } from '../shared/policy/document.js';
import { mergeStatements } from '../shared/policy/merge.js';
import type { ActionResult, PlanItem } from '../shared/schemas/plan.js';
import type { PrincipalFacts } from '../shared/schemas/principal-facts.js';
import type { PlanPorts } from './draft.js';

/** The plan split for the decision: what needs approval, and what a re-run finds still in effect. */
export interface InPlaceSplit {
  readonly pending: PlanItem[];
  readonly inPlace: PlanItem[];
}

/**
 * For a re-run (`previouslyApplied` non-empty): an item is in place when an earlier run of this
 * incident applied it (and it was not rolled back since) AND, where the plan can see it, its effect
 * is still there: the finding's key still inactive, every one of our statements still in the bucket
 * or endpoint policy exactly as we would write it. Revoked sessions and the Macie job are taken
 * from the earlier result (planning has no IAM read; Macie's client token returns the same job).
 * Those items are confirmed (applied again, ending `already`) without asking; everything else,
 * including an item whose effect someone removed by hand, is put to the approvers again: such an
 * item, when nothing of ours is left of it, carries `lapsed` saying so.
 */
export async function splitInPlace(
  items: readonly PlanItem[],
  previouslyApplied: readonly ActionResult[],
  facts: PrincipalFacts | undefined,
  ports: PlanPorts,
): Promise<InPlaceSplit> {
  const pending: PlanItem[] = [];
  const inPlace: PlanItem[] = [];
  for (const item of items) {
    const earlier = previouslyApplied.some((result) => result.action === item.action && result.target === item.target);
    const effect = earlier ? await effectOf(item, facts, ports) : undefined;
    if (effect === 'held') inPlace.push(item);
    else if (effect !== undefined && effect !== 'changed') pending.push({ ...item, lapsed: effect.gone });
    else pending.push(item);
  }
  return { pending, inPlace };
}

/**
 * What is left of an earlier round's item: `held` (in effect as this plan would write it),
 * `changed` (something of ours is there, but not as this plan writes it: a Deny this round widens,
 * or the state cannot be read now), or `gone` with what was found (nothing of ours is left, or a
 * statement of ours is no longer a Deny).
 */
type Effect = 'held' | 'changed' | { readonly gone: string };

async function effectOf(item: PlanItem, facts: PrincipalFacts | undefined, ports: PlanPorts): Promise<Effect> {
  const scope = { accountId: item.accountId, region: item.region };
  const policyEffect = (text: string | undefined, target: string, statements: readonly Statement[], where: string) => {
    const document = parsePolicy(text, target);
    const sids = new Set(statements.map((statement) => statement.Sid));
    const ours = (document?.Statement ?? []).filter((statement) => sids.has(statement.Sid));
    // One of ours turned into anything but a Deny denies nothing (an Allow may grant): not in force.
    // Checked before the merge, which refuses (SidConflict) any statement of ours in another form.
    if (ours.some((statement) => statement.Effect !== 'Deny')) {
      return { gone: `applied by an earlier round, no longer a Deny in the ${where} policy (changed since)` };
    }
    if (text !== undefined && mergeStatements(document, statements).changed.length === 0) return 'held';
    return ours.length > 0
      ? 'changed'
      : { gone: `applied by an earlier round, no longer in the ${where} policy (removed since)` };
  };
  try {
    switch (item.action) {
      case 'deactivateAccessKey': {
        // The user's keys as enrichment read them; a key of another user (one the credentials
        // created) is not read at planning, so its earlier result is taken, as for revoked sessions.
        const known = [facts?.findingKey, ...(facts?.otherKeys ?? [])].find(
          (key) => key?.accessKeyId === item.accessKeyId,
        );
        if (known) {
          return known.status === 'Inactive' ? 'held' : { gone: 'deactivated by an earlier round, active again since' };
        }
        return item.accessKeyId !== facts?.findingKey?.accessKeyId && facts?.userName !== item.userName
          ? 'held'
          : 'changed';
      }
      case 'denyBucketAccess':
        return policyEffect(
          await ports.s3.getBucketPolicy({ ...scope, bucket: item.bucket }),
          item.bucket,
          item.statements as Statement[],
          'bucket',
        );
      case 'restrictVpcEndpoint': {
        const endpoint = await ports.ec2.describeVpcEndpoint({ ...scope, vpcEndpointId: item.vpcEndpointId });
        return policyEffect(endpoint?.policy, item.vpcEndpointId, item.statements as Statement[], 'endpoint');
      }
      case 'revokeUserSessions':
        // A new credential of the user since: its cut-off is to move forward, asked again.
        return item.renew === undefined ? 'held' : 'changed';
      case 'revokeRoleSessions':
      case 'startMacieJob':
        return 'held';
    }
  } catch {
    // Unreadable now: ask again rather than assume, and claim nothing either way.
    return 'changed';
  }
}
