import { task } from '../shared/define-task.js';
import { NOT_YET_VISIBLE, patchOptions } from '../shared/owned-sids.js';
import { BUCKET_POLICY_LIMIT_BYTES, byteSize, type Statement } from '../shared/policy/document.js';
import { patchPolicy } from '../shared/policy/patch.js';
import type { Clock, S3Port, Timer } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, DenyBucketAccessItem } from '../shared/schemas/plan.js';
import { ourAccountIds, protectedRoleArns } from '../shared/schemas/settings.js';
import { lateSourceIps } from '../shared/source-ip-deny.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * Merges the approved Deny statements into the bucket policy (DESIGN §5) through the shared
 * patcher: other statements are never touched, nothing unsafe or over 20 KB is written, the prior
 * document is backed up first. Running it again is `already`. The statements are written exactly
 * as approved: an anonymous caller's Deny lists the addresses the approvers saw, and addresses the
 * incident learned since (folded in while the approval was pending) are named in the result and
 * asked in a round of their own (`source-ip-deny.ts`), never added unseen.
 */
export const denyBucketAccess = task({
  name: 'denyBucketAccess',
  input: actionInput(DenyBucketAccessItem),
  async run(
    { item, incidentId, settings },
    ports: { s3: S3Port; store: IncidentStore; clock: Clock; timer?: Timer },
  ): Promise<ActionResult> {
    const { accountId, region, bucket } = item;
    const record = await ports.store.getIncident(incidentId);
    // Exactly the approved statements; addresses learned since are asked in a round of their own.
    const statements = item.statements as Statement[];
    const late = lateSourceIps(statements, incidentId, record);
    const options = await patchOptions(ports, incidentId, 'bucketPolicy', bucket);
    const outcome = await patchPolicy(
      {
        label: `bucket ${bucket}`,
        read: () => ports.s3.getBucketPolicy({ accountId, region, bucket }),
        write: (policy) => ports.s3.putBucketPolicy({ accountId, region, bucket, policy }),
        limit: BUCKET_POLICY_LIMIT_BYTES,
        measure: byteSize,
      },
      statements,
      protectedRoleArns(settings),
      (prior) =>
        ports.store.saveUndo(incidentId, {
          kind: 'bucketPolicy',
          target: bucket,
          accountId,
          prior,
          savedAt: ports.clock.now().toISOString(),
        }),
      { ...options, ourAccounts: ourAccountIds(settings, accountId) },
    );
    const label = `Bucket policy of ${bucket}: Deny ${statements.map((statement) => statement.Sid).join(', ')}`;
    return recordAction(
      ports,
      incidentId,
      {
        action: 'denyBucketAccess',
        target: bucket,
        result: outcome.result,
        detail:
          outcome.result === 'applied'
            ? detail(`${outcome.size} bytes${late.length ? `; ${lateNote(late)}` : ''}`, outcome.visible)
            : undefined,
        ...(outcome.visible ? {} : { visible: false }),
      },
      label,
    );
  },
});

function lateNote(late: readonly string[]): string {
  const shown = late.slice(0, 5).join(', ');
  return `written exactly as approved; ${late.length} source address(es) learned since (${shown}${late.length > 5 ? ` and ${late.length - 5} more` : ''}) are not in it: they are asked in a round of their own`;
}

const detail = (size: string, visible: boolean) => (visible ? size : `${size}; ${NOT_YET_VISIBLE}`);
