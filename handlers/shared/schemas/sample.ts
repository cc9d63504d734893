import { AccessKeyId, AccountId, BucketName, IpAddress, SamplePlaceholder } from './primitives.js';

/**
 * GuardDuty sample findings ("Generate sample findings", CreateSampleFindings) carry placeholders
 * that are no real identifiers: `GeneratedFindingAccessKeyId`, user `GeneratedFindingUserName`,
 * bucket `bucketName`, and in the documentation's examples the 11-digit account `12345678910`.
 * They are recognized before anything else is validated (DESIGN §3).
 */

/** Stands in for a sample's invalid account id in a drill: no action is applied to a sample anyway. */
export const SAMPLE_ACCOUNT_ID = '000000000000';

export type Screening =
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'drill';
      readonly finding: Record<string, unknown>;
      readonly placeholders: string[];
      /** The placeholder key and buckets left out, which the drill's plan names (each item skipped). */
      readonly targets: { accessKeyIds: string[]; buckets: string[] };
    }
  | { readonly kind: 'finding' };

const SAMPLE_REASON = 'sample finding (service.additionalInfo.sample is true); set acceptSampleFindings to run a drill';

/**
 * Reads only `service.additionalInfo.sample` (an object in EventBridge events; a JSON string in
 * `Value` in the API form) and `service.archived`, tolerating any shape, so that a sample or an
 * archived finding is ignored whatever else it holds. With `acceptSampleFindings` a sample comes
 * back as a drill, its placeholders left out (they are listed, not invented).
 */
export function screenFinding(raw: unknown, acceptSampleFindings: boolean): Screening {
  const finding = asRecord(raw);
  const service = asRecord(finding?.service);
  if (isSample(asRecord(service?.additionalInfo))) {
    if (!acceptSampleFindings) return { kind: 'ignored', reason: SAMPLE_REASON };
    if (service?.archived === true) return { kind: 'ignored', reason: 'archived finding (service.archived is true)' };
    return drill(finding ?? {});
  }
  if (service?.archived === true) return { kind: 'ignored', reason: 'archived finding (service.archived is true)' };
  return { kind: 'finding' };
}

function isSample(info: Record<string, unknown> | undefined): boolean {
  if (!info) return false;
  if (info.sample === true || info.sample === 'true') return true;
  if (typeof info.value !== 'string') return false;
  try {
    const parsed = asRecord(JSON.parse(info.value));
    return parsed?.sample === true || parsed?.sample === 'true';
  } catch {
    return false;
  }
}

/** A copy of the sample with each placeholder that fails its identifier's rules left out, and listed. */
function drill(original: Record<string, unknown>): Screening {
  const finding = structuredClone(original);
  const placeholders: string[] = [];
  const targets = { accessKeyIds: [] as string[], buckets: [] as string[] };
  const keep = (list: string[], value: unknown) => {
    if (SamplePlaceholder.safeParse(value).success && !list.includes(value as string)) list.push(value as string);
  };
  const note = (field: string, value: unknown) => placeholders.push(`${field} ${String(value).slice(0, 64)}`);
  if (!AccountId.safeParse(finding.accountId).success) {
    note('accountId', finding.accountId);
    finding.accountId = SAMPLE_ACCOUNT_ID;
  }
  const resource = asRecord(finding.resource);
  const details = asRecord(resource?.accessKeyDetails);
  if (details) {
    if (details.accessKeyId !== undefined && !AccessKeyId.safeParse(details.accessKeyId).success) {
      note('accessKeyId', details.accessKeyId);
      keep(targets.accessKeyIds, details.accessKeyId);
      delete details.accessKeyId;
    }
    if (typeof details.userName === 'string' && details.userName.startsWith('GeneratedFinding')) {
      note('userName', details.userName);
    }
  }
  if (resource && Array.isArray(resource.s3BucketDetails)) {
    resource.s3BucketDetails = resource.s3BucketDetails.filter((bucket) => {
      const name = asRecord(bucket)?.name;
      if (BucketName.safeParse(name).success) return true;
      note('bucket', name);
      keep(targets.buckets, name);
      return false;
    });
  }
  const call = asRecord(asRecord(asRecord(finding.service)?.action)?.awsApiCallAction);
  const affected = asRecord(call?.affectedResources);
  const named = affected?.['AWS::S3::Bucket'];
  if (affected && named !== undefined && !BucketName.safeParse(named).success) {
    if (!targets.buckets.includes(named as string)) note('bucket', named);
    keep(targets.buckets, named);
    delete affected['AWS::S3::Bucket'];
  }
  const remote = asRecord(call?.remoteIpDetails);
  for (const field of ['ipAddressV4', 'ipAddressV6']) {
    if (remote && remote[field] !== undefined && !IpAddress.safeParse(remote[field]).success) {
      note(field, remote[field]);
      delete remote[field];
    }
  }
  const account = asRecord(call?.remoteAccountDetails);
  if (account && account.accountId !== undefined && !AccountId.safeParse(account.accountId).success) {
    note('remoteAccountDetails.accountId', account.accountId);
    delete account.accountId;
  }
  return { kind: 'drill', finding, placeholders, targets };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
