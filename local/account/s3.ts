import { AwsResourceNotFound } from '../../handlers/shared/errors.js';
import type { AccountScope, EvidencePort, S3Port } from '../../handlers/shared/ports.js';
import type { Scenario } from '../scenario.js';
import type { AccountState } from './state.js';

/**
 * S3 of the in-memory account: bucket policies (with the scenario's concurrent edits) and the
 * scenario's bucket configuration.
 */
export function s3Port(state: AccountState): S3Port {
  const policyReads = new Map<string, number>();

  const bucket = (name: string): void => {
    if (!state.bucketPolicies.has(name)) throw new AwsResourceNotFound(`s3: NoSuchBucket: ${name}`);
  };

  /** A bucket's configuration reads: enters the call, then answers from the scenario's bucket. */
  const bucketConfig = (call: string, args: AccountScope & { bucket: string }): Scenario['s3']['buckets'][number] => {
    state.enter(call, args);
    bucket(args.bucket);
    const spec = state.scenario.s3.buckets.find((candidate) => candidate.name === args.bucket);
    if (!spec) throw new AwsResourceNotFound(`${call} failed: NoSuchBucket: ${args.bucket}`);
    return spec;
  };

  /** Applies a scenario's concurrent edit when its bucket has been read often enough. */
  const thirdPartyEdit = (name: string): void => {
    const reads = (policyReads.get(name) ?? 0) + 1;
    policyReads.set(name, reads);
    for (const edit of state.scenario.concurrentEdits) {
      if (edit.bucket !== name || edit.afterReads !== reads) continue;
      const current = JSON.parse(state.bucketPolicies.get(name) ?? '{"Version":"2012-10-17","Statement":[]}') as {
        Statement: unknown[];
      };
      state.bucketPolicies.set(name, JSON.stringify({ ...current, Statement: [...current.Statement, edit.statement] }));
    }
  };

  return {
    getBucketPolicy: async (args) => {
      state.enter('s3:GetBucketPolicy', args);
      bucket(args.bucket);
      const text = state.lag.read('s3:GetBucketPolicy', `bucket:${args.bucket}`, state.bucketPolicies.get(args.bucket));
      thirdPartyEdit(args.bucket);
      return text;
    },
    putBucketPolicy: async (args) => {
      state.enter('s3:PutBucketPolicy', args);
      bucket(args.bucket);
      JSON.parse(args.policy);
      state.lag.wrote(`bucket:${args.bucket}`, state.bucketPolicies.get(args.bucket));
      state.bucketPolicies.set(args.bucket, args.policy);
      state.writes.push({ call: 's3:PutBucketPolicy', target: args.bucket });
    },
    deleteBucketPolicy: async (args) => {
      state.enter('s3:DeleteBucketPolicy', args);
      bucket(args.bucket);
      state.lag.wrote(`bucket:${args.bucket}`, state.bucketPolicies.get(args.bucket));
      state.bucketPolicies.set(args.bucket, undefined);
      state.writes.push({ call: 's3:DeleteBucketPolicy', target: args.bucket });
    },
    getPublicAccessBlock: async (args) => {
      const block = bucketConfig('s3:GetPublicAccessBlock', args).publicAccessBlock;
      return block && { ...block };
    },
    getBucketVersioning: async (args) => {
      const versioning = bucketConfig('s3:GetBucketVersioning', args).versioning;
      if (!versioning) return { status: 'Disabled' };
      return { status: versioning.status, ...(versioning.mfaDelete && { mfaDelete: versioning.mfaDelete }) };
    },
    getBucketReplication: async (args) => {
      const replication = bucketConfig('s3:GetBucketReplication', args).replication;
      return (
        replication && {
          ...(replication.role !== undefined && { role: replication.role }),
          rules: replication.rules.map((rule) => ({ ...rule })),
        }
      );
    },
    getBucketEncryption: async (args) => {
      const encryption = bucketConfig('s3:GetBucketEncryption', args).encryption;
      return encryption && { ...encryption };
    },
    getBucketTagging: async (args) => ({ ...bucketConfig('s3:GetBucketTagging', args).tags }),
  };
}

/** The evidence bucket (ours, not the member account's): objects kept in `evidenceObjects`. */
export function evidencePort(state: AccountState): EvidencePort {
  return {
    putObject: async (args) => {
      state.fault('s3:PutObject');
      state.evidenceObjects.set(args.key, { body: args.body, contentType: args.contentType });
      return { location: `s3://local-evidence/${args.key}` };
    },
    getObject: async (key) => {
      state.fault('s3:GetObject');
      return state.evidenceObjects.get(key)?.body;
    },
  };
}
