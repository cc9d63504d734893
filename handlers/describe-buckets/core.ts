import { task } from '../shared/define-task.js';
import { BUCKET_POLICY_LIMIT_BYTES, byteSize, parsePolicy } from '../shared/policy/document.js';
import type { S3Port } from '../shared/ports.js';
import { attempt, IncidentTaskInput, isUnavailable, type Unavailable } from '../shared/schemas/task-input.js';

export interface BucketFacts {
  readonly bucket: string;
  readonly policy:
    | { present: false }
    | { present: true; bytes: number; limit: number; statements: number; parseError?: string }
    | Unavailable;
}

/** The affected buckets' current policies: present, size against the 20 KB limit, statement count. */
export const describeBuckets = task({
  name: 'describeBuckets',
  input: IncidentTaskInput,
  async run({ incident }, ports: { s3: S3Port }): Promise<{ status: 'ok'; buckets: BucketFacts[] }> {
    const buckets = await Promise.all(
      incident.buckets.map(async (bucket): Promise<BucketFacts> => {
        const text = await attempt(() => ports.s3.getBucketPolicy({ accountId: incident.accountId, bucket }));
        if (isUnavailable(text)) return { bucket, policy: text };
        if (text === undefined) return { bucket, policy: { present: false } };
        const bytes = byteSize(text);
        try {
          const statements = parsePolicy(text, bucket)?.Statement.length ?? 0;
          return { bucket, policy: { present: true, bytes, limit: BUCKET_POLICY_LIMIT_BYTES, statements } };
        } catch (error) {
          const parseError = (error as Error).message;
          return {
            bucket,
            policy: { present: true, bytes, limit: BUCKET_POLICY_LIMIT_BYTES, statements: 0, parseError },
          };
        }
      }),
    );
    return { status: 'ok', buckets };
  },
});
