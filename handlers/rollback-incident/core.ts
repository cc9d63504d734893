import * as z from 'zod';
import { task } from '../shared/define-task.js';
import { IncidentNotFound } from '../shared/errors.js';
import { maskKey } from '../shared/ids.js';
import { type PolicyDocument, parsePolicy, serializePolicy } from '../shared/policy/document.js';
import { removeStatements } from '../shared/policy/merge.js';
import { unpatchPolicy } from '../shared/policy/patch.js';
import type { Clock, Ec2Port, IamPort, S3Port } from '../shared/ports.js';
import { counted, readableReason } from '../shared/render/words.js';
import type { IncidentRecord, IncidentStore, UndoEntry } from '../shared/store/types.js';

export const RollbackInput = z.object({
  incidentId: z.string().regex(/^\d{8}-[0-9a-f]{12}$/, 'must be an incident id'),
  /** Reactivate access keys we deactivated (off by default: a leaked key is usually rotated, not restored). */
  reactivateKeys: z.boolean().default(false),
});

export interface RollbackStep {
  readonly kind: UndoEntry['kind'];
  readonly target: string;
  readonly result: 'applied' | 'already' | 'skipped' | 'failed';
  readonly detail: string;
}

type RollbackPorts = { store: IncidentStore; s3: S3Port; ec2: Ec2Port; iam: IamPort; clock: Clock };

/**
 * Undoes an incident's containment (DESIGN §5): removes exactly the Sids recorded for this incident
 * (never by prefix) from the current bucket, endpoint and revoke-sessions policies, never restoring
 * a stale backup over later edits (a policy left with nothing is deleted), and reactivates
 * deactivated keys only when asked.
 * Idempotent: a second run finds nothing of ours and reports `already`.
 */
export const rollbackIncident = task({
  name: 'rollbackIncident',
  input: RollbackInput,
  async run(
    { incidentId, reactivateKeys },
    ports: RollbackPorts,
  ): Promise<{ incidentId: string; steps: RollbackStep[] }> {
    const record = await ports.store.getIncident(incidentId);
    if (!record) throw new IncidentNotFound(`incident ${incidentId} is not in the store`);
    const steps: RollbackStep[] = [];
    for (const entry of await ports.store.listUndo(incidentId)) {
      try {
        steps.push(await undo(entry, record, reactivateKeys, ports, record.incident.region));
      } catch (error) {
        const e = error as Error;
        steps.push({
          kind: entry.kind,
          target: entry.target,
          result: 'failed',
          detail: `${e.name}: ${readableReason(e.message)}`,
        });
      }
    }
    const now = ports.clock.now().toISOString();
    for (const step of steps) {
      await ports.store.addEvent(incidentId, {
        at: now,
        kind: 'rollback',
        text: `Rollback of ${step.kind} ${step.target}: ${step.result} (${step.detail})`,
      });
    }
    if (steps.every((step) => step.result !== 'failed')) {
      await ports.store.updateIncident(incidentId, { status: 'rolled_back', updatedAt: now });
    }
    return { incidentId, steps };
  },
});

const NONE_OF_OURS = 'none of our statements are in the policy';

/**
 * The Sids recorded for this incident in one target: those it recorded writing there (`sids` of
 * the backup), or, for a backup saved before Sids were recorded, those its plan put there. Never
 * a prefix match: `IR<incident>PartnerReadAccess` written by someone else is not ours.
 */
function recordedFor(entry: UndoEntry, record: IncidentRecord): Set<string> {
  if (entry.sids) return new Set(entry.sids);
  const items = [...(record.plan?.items ?? []), ...(record.decision?.approvedPlan ?? [])];
  const sids = items.flatMap((item): string[] => {
    switch (item.action) {
      case 'denyBucketAccess':
        return entry.kind === 'bucketPolicy' && item.bucket === entry.target ? item.statements.map((s) => s.Sid) : [];
      case 'restrictVpcEndpoint':
        return entry.kind === 'vpcEndpointPolicy' && item.vpcEndpointId === entry.target
          ? item.statements.map((s) => s.Sid)
          : [];
      case 'revokeRoleSessions':
        return entry.kind === (item.principalKind === 'role' ? 'roleInlinePolicy' : 'userInlinePolicy') &&
          `${item.name}/${item.policyName}` === entry.target
          ? [item.sid]
          : [];
      default:
        return [];
    }
  });
  return new Set(sids);
}

/** The recorded Sids that are in a document now. */
function ourSids(document: PolicyDocument | undefined, recorded: ReadonlySet<string>): string[] {
  return [
    ...new Set(
      (document?.Statement ?? [])
        .map((statement) => statement.Sid)
        .filter((sid): sid is string => sid !== undefined && recorded.has(sid)),
    ),
  ];
}

async function undo(
  entry: UndoEntry,
  record: IncidentRecord,
  reactivateKeys: boolean,
  ports: RollbackPorts,
  incidentRegion: string,
): Promise<RollbackStep> {
  const base = { kind: entry.kind, target: entry.target };
  const recorded = recordedFor(entry, record);
  const accountId = entry.accountId;
  switch (entry.kind) {
    case 'bucketPolicy': {
      const bucket = entry.target;
      const slot = {
        label: `bucket ${bucket}`,
        read: () => ports.s3.getBucketPolicy({ accountId, bucket }),
        write: (policy: string) => ports.s3.putBucketPolicy({ accountId, bucket, policy }),
      };
      const outcome = await unpatchPolicy(slot, recorded);
      if (outcome.result === 'already') return { ...base, result: 'already', detail: NONE_OF_OURS };
      if (outcome.result === 'emptied') {
        // Only ours left: delete, unless the policy changed since it was read.
        const again = parsePolicy(await ports.s3.getBucketPolicy({ accountId, bucket }), bucket);
        if (again?.Statement.some((statement) => !(statement.Sid !== undefined && recorded.has(statement.Sid)))) {
          return {
            ...base,
            result: 'failed',
            detail: `the policy of ${bucket} changed while it was rolled back; run the rollback again`,
          };
        }
        await ports.s3.deleteBucketPolicy({ accountId, bucket });
        return {
          ...base,
          result: 'applied',
          detail: `removed ${outcome.removed.join(', ')}; no statement left, policy deleted`,
        };
      }
      return {
        ...base,
        result: 'applied',
        detail: `removed ${outcome.removed.join(', ')}; ${counted(outcome.kept, 'other statement')} kept`,
      };
    }
    case 'vpcEndpointPolicy': {
      const vpcEndpointId = entry.target;
      // The endpoint's own Region (saved with the backup; older backups: the incident's, where it was planned).
      const region = entry.region ?? incidentRegion;
      const outcome = await unpatchPolicy(
        {
          label: `endpoint ${vpcEndpointId}`,
          read: async () => (await ports.ec2.describeVpcEndpoint({ accountId, region, vpcEndpointId }))?.policy,
          write: (policy) => ports.ec2.modifyVpcEndpointPolicy({ accountId, region, vpcEndpointId, policy }),
        },
        recorded,
      );
      if (outcome.result === 'already') return { ...base, result: 'already', detail: NONE_OF_OURS };
      if (outcome.result === 'emptied') {
        // Someone removed every other statement since containment: the saved prior is stale, and an
        // endpoint policy cannot be empty. Left as it is, for a person to decide.
        return {
          ...base,
          result: 'failed',
          detail: `only our statements (${outcome.removed.join(', ')}) are left in the policy of ${vpcEndpointId}: it was changed since containment, so the saved prior is not restored over it; review the endpoint policy by hand`,
        };
      }
      return { ...base, result: 'applied', detail: `removed ${outcome.removed.join(', ')}` };
    }
    case 'roleInlinePolicy':
    case 'userInlinePolicy': {
      const [name = '', policyName = ''] = entry.target.split('/');
      const target = {
        accountId,
        kind: entry.kind === 'roleInlinePolicy' ? ('role' as const) : ('user' as const),
        name,
        policyName,
      };
      // Only our Sid comes out of the policy as it is now: the saved prior is never put back, so a
      // revoke an administrator wrote under the same name since containment stays in place.
      const current = parsePolicy(await ports.iam.getInlinePolicy(target), entry.target);
      const ours = ourSids(current, recorded);
      if (!current || ours.length === 0) {
        return { ...base, result: 'already', detail: `${policyName} no longer holds this incident's statement` };
      }
      const { document, removed } = removeStatements(current, ours);
      if (document.Statement.length === 0) {
        await ports.iam.deleteInlinePolicy(target);
        return {
          ...base,
          result: 'applied',
          detail: `removed ${removed.join(', ')}; no statement left, ${policyName} deleted`,
        };
      }
      await ports.iam.putInlinePolicy({ ...target, document: serializePolicy(document) });
      return {
        ...base,
        result: 'applied',
        detail: `removed ${removed.join(', ')}; ${counted(document.Statement.length, 'other statement')} of ${policyName} kept`,
      };
    }
    case 'accessKey': {
      const [userName = '', accessKeyId = ''] = entry.target.split('/');
      if (!reactivateKeys) {
        return {
          ...base,
          result: 'skipped',
          detail: `key ${maskKey(accessKeyId)} stays inactive (reactivate only with --reactivate-keys)`,
        };
      }
      const key = (await ports.iam.listAccessKeys({ accountId, userName })).find(
        (candidate) => candidate.accessKeyId === accessKeyId,
      );
      if (!key) return { ...base, result: 'skipped', detail: `key ${maskKey(accessKeyId)} no longer exists` };
      if (key.status === 'Active') return { ...base, result: 'already', detail: 'the key is active' };
      if (entry.prior !== 'Active')
        return { ...base, result: 'skipped', detail: 'the key was not active before the incident' };
      await ports.iam.updateAccessKey({ accountId, userName, accessKeyId, status: 'Active' });
      return { ...base, result: 'applied', detail: `key ${maskKey(accessKeyId)} of ${userName} reactivated` };
    }
    default:
      return { ...base, result: 'skipped', detail: 'nothing to undo' };
  }
}
