import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import {
  accountOrUndefined,
  bucketAccount,
  bucketOrUndefined,
  type DetectConfig,
  type Detection,
  findingIdFor,
  parameter,
  recordAccount,
  recordKey,
  succeeded,
  toIncident,
} from './detection.js';
import { principalFromIdentity } from './identity.js';

/** Writes that can choose the object's KMS key. */
export const KMS_WRITE_EVENTS = ['CopyObject', 'PutObject', 'UploadPartCopy', 'CreateMultipartUpload'] as const;
export const KMS_KEY_PARAMETER = 'x-amz-server-side-encryption-aws-kms-key-id';

const SEVERITY = 7;
const TECHNIQUE = 'T1486';

/**
 * The account of a KMS key ARN or alias ARN (`arn:aws:kms:<region>:<account>:key/…`). A bare key
 * id or alias name is in the caller's account, and a key in another account can only be named by
 * ARN, so anything else gives undefined.
 */
export function kmsKeyAccount(keyId: string | undefined): string | undefined {
  const match = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:([^:]+):(key|alias)\//.exec(keyId ?? '');
  return accountOrUndefined(match?.[1]);
}

/**
 * The key named in the request (`chosen`: the caller chose it), else the one S3 reports having
 * used: then the bucket's default encryption chose it, not the caller.
 */
function keyOf(record: CloudTrailRecord): { key?: string; chosen: boolean } {
  const requested = parameter(record, KMS_KEY_PARAMETER);
  if (requested) return { key: requested, chosen: true };
  const fromResponse = record.responseElements?.[KMS_KEY_PARAMETER];
  return { key: typeof fromResponse === 'string' ? fromResponse : undefined, chosen: false };
}

/**
 * Object encrypted with an external KMS key (ransomware, MITRE T1486, seed 004): a successful
 * CopyObject, PutObject, UploadPartCopy or CreateMultipartUpload whose
 * `x-amz-server-side-encryption-aws-kms-key-id` is a key in an account other than the bucket's
 * (its owner in `resources[]`, else the record's account) and not a trusted one. Whoever holds that
 * key decides whether the victim can read the object again. Local keys, bare key ids and aliases
 * (which are always local) do not fire, whether the copy is in place or not. When the caller named
 * no key (S3 applied the bucket's default encryption, which someone set to that key), the writer
 * did not choose it and may be innocent: the incident names no principal and no address to act on,
 * and its title names the writer and says to look for who changed the bucket's encryption.
 */
export function externalKmsCopy(record: CloudTrailRecord, config: DetectConfig): Detection | undefined {
  if (record.eventSource !== 's3.amazonaws.com' || !succeeded(record)) return undefined;
  if (!(KMS_WRITE_EVENTS as readonly string[]).includes(record.eventName)) return undefined;
  const { key, chosen } = keyOf(record);
  const keyAccount = kmsKeyAccount(key);
  if (!keyAccount) return undefined;
  const bucket = bucketOrUndefined(parameter(record, 'bucketName'));
  const home = recordAccount(record);
  const owner = (bucket && bucketAccount(record, bucket)) ?? home;
  if (keyAccount === owner || config.trustedAccounts.includes(keyAccount)) return undefined;
  const objectKey = parameter(record, 'key');
  const object = bucket ? `${bucket}${objectKey ? `/${objectKey}` : ''}` : 'an object';
  const writer = principalFromIdentity(record);
  const byDefault = chosen
    ? ''
    : `; the caller (${writer.arn ?? writer.type}) named no key: the bucket's default encryption chose it, so look for who changed it (PutBucketEncryption)`;
  return {
    rule: 'external-kms-copy',
    incident: toIncident({
      rule: 'external-kms-copy',
      findingId: findingIdFor('external-kms-copy', recordKey(record)),
      severity: SEVERITY,
      accountId: owner ?? home,
      region: record.awsRegion,
      principal: chosen ? writer : { type: 'Unknown' },
      buckets: [bucket],
      sourceIps: chosen ? [record.sourceIPAddress] : [],
      firstSeen: record.eventTime,
      title: `${TECHNIQUE} Data Encrypted for Impact: ${record.eventName} encrypted ${object} with KMS key ${key} of external account ${keyAccount}${byDefault}`,
    }),
  };
}
