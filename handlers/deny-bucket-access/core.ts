import { task } from '../shared/define-task.js';
import { LostUpdate, PolicyTooLarge } from '../shared/errors.js';
import {
  BUCKET_POLICY_LIMIT_BYTES,
  byteSize,
  parsePolicy,
  type Statement,
  serializePolicy,
} from '../shared/policy/document.js';
import { droppedStatements, mergeStatements, missingSids } from '../shared/policy/merge.js';
import { assertSafeDeny } from '../shared/policy/statements.js';
import type { Clock, S3Port } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, DenyBucketAccessItem } from '../shared/schemas/plan.js';
import { protectedRoleArns } from '../shared/schemas/settings.js';
import type { IncidentStore } from '../shared/store/types.js';

const ATTEMPTS = 3;

/**
 * Merges the approved Deny statements into the bucket policy (DESIGN §5): read, merge by Sid,
 * check size and safety, back up the exact prior document, re-read to catch an edit made since,
 * write, and re-read to catch a write that lost ours. Other statements are never touched.
 * Running it again is `already`.
 */
export const denyBucketAccess = task({
  name: 'denyBucketAccess',
  input: actionInput(DenyBucketAccessItem),
  async run(
    { item, incidentId, settings },
    ports: { s3: S3Port; store: IncidentStore; clock: Clock },
  ): Promise<ActionResult> {
    const { accountId, bucket } = item;
    const statements = item.statements as Statement[];
    const sids = statements.map((statement) => statement.Sid as string);
    const protectedArns = protectedRoleArns(settings);
    for (const statement of statements) assertSafeDeny(statement, protectedArns);
    const label = `Bucket policy of ${bucket}: Deny ${sids.join(', ')}`;
    const base = { action: 'denyBucketAccess' as const, target: bucket };

    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      const before = await ports.s3.getBucketPolicy({ accountId, bucket });
      const current = parsePolicy(before, bucket);
      const { document, changed } = mergeStatements(current, statements);
      if (changed.length === 0) return recordAction(ports, incidentId, { ...base, result: 'already' }, label);
      const text = serializePolicy(document);
      const size = byteSize(text);
      if (size > BUCKET_POLICY_LIMIT_BYTES) throw new PolicyTooLarge(bucket, size, BUCKET_POLICY_LIMIT_BYTES);
      if (droppedStatements(current, document, sids).length > 0) {
        throw new LostUpdate(`merge for ${bucket} would drop an existing statement; nothing was written`);
      }
      await ports.store.saveUndo(incidentId, {
        kind: 'bucketPolicy',
        target: bucket,
        accountId,
        prior: before ?? null,
        savedAt: ports.clock.now().toISOString(),
      });
      if ((await ports.s3.getBucketPolicy({ accountId, bucket })) !== before) continue;
      await ports.s3.putBucketPolicy({ accountId, bucket, policy: text });
      const after = parsePolicy(await ports.s3.getBucketPolicy({ accountId, bucket }), bucket);
      if (missingSids(after, sids).length === 0) {
        return recordAction(ports, incidentId, { ...base, result: 'applied', detail: `${size} bytes` }, label);
      }
    }
    throw new LostUpdate(
      `the policy of ${bucket} kept changing under us (${ATTEMPTS} attempts); our statement is not in place`,
    );
  },
});
