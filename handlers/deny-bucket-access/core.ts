import { task } from '../shared/define-task.js';
import { NOT_YET_VISIBLE, patchOptions } from '../shared/owned-sids.js';
import { BUCKET_POLICY_LIMIT_BYTES, byteSize, type Statement } from '../shared/policy/document.js';
import { patchPolicy } from '../shared/policy/patch.js';
import type { Clock, S3Port, Timer } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, DenyBucketAccessItem } from '../shared/schemas/plan.js';
import { ourAccountIds, protectedRoleArns } from '../shared/schemas/settings.js';
import { extendSourceIpDeny } from '../shared/source-ip-deny.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * Merges the approved Deny statements into the bucket policy (DESIGN §5) through the shared
 * patcher: other statements are never touched, nothing unsafe or over 20 KB is written, the prior
 * document is backed up first. Running it again is `already`. An anonymous caller's Deny lists
 * every source address the incident knows when it is applied (`source-ip-deny.ts`): addresses of
 * the flood folded in while the approval was pending are added under the same Sid.
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
    const { statements, extended } = extendSourceIpDeny(
      item.statements as Statement[],
      incidentId,
      record,
      settings.cidrCollapseThreshold,
    );
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
            ? detail(`${outcome.size} bytes${extended ? `; ${addressesNote(extended)}` : ''}`, outcome.visible)
            : undefined,
        ...(outcome.visible ? {} : { visible: false }),
      },
      label,
    );
  },
});

function addressesNote(extended: NonNullable<ReturnType<typeof extendSourceIpDeny>['extended']>): string {
  const omitted = extended.omitted > 0 ? `, ${extended.omitted} more over the statement's budget not listed` : '';
  return `denies ${extended.addresses} source address(es) known at approval in ${extended.blocks.length} block(s)${omitted}`;
}

const detail = (size: string, visible: boolean) => (visible ? size : `${size}; ${NOT_YET_VISIBLE}`);
