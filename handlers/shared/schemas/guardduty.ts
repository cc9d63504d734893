import * as z from 'zod';
import { DISPLAY_LIMITS, displayText } from './display.js';
import { AccessKeyId, AccountId, BucketName, IpAddress, PrincipalId, Region, Timestamp } from './primitives.js';

/**
 * GuardDuty finding, camelCase, as in an EventBridge event's `detail`.
 * Only the fields the responder reads are validated; everything else passes through untouched.
 */
const RemoteIpDetails = z.looseObject({
  ipAddressV4: IpAddress.optional(),
  ipAddressV6: IpAddress.optional(),
  country: z
    .looseObject({
      countryName: displayText(DISPLAY_LIMITS.country),
      countryCode: displayText(DISPLAY_LIMITS.country),
    })
    .optional()
    .catch(undefined),
  city: z
    .looseObject({ cityName: displayText(DISPLAY_LIMITS.city) })
    .optional()
    .catch(undefined),
  organization: z
    .looseObject({
      asn: displayText(DISPLAY_LIMITS.asn),
      asnOrg: displayText(DISPLAY_LIMITS.organization),
      isp: displayText(DISPLAY_LIMITS.organization),
      org: displayText(DISPLAY_LIMITS.organization),
    })
    .optional()
    .catch(undefined),
});
export type RemoteIpDetails = z.infer<typeof RemoteIpDetails>;

const AwsApiCallAction = z.looseObject({
  api: z.string().optional(),
  serviceName: z.string().optional(),
  callerType: z.string().optional(),
  remoteIpDetails: RemoteIpDetails.optional(),
  /** The caller's account when it is not the finding's (another account's principal). */
  remoteAccountDetails: z
    .looseObject({ accountId: AccountId.optional(), affiliated: z.boolean().optional() })
    .optional(),
  /** `{fullUserAgent, userAgentCategory}` (the API form keeps `FullUserAgent`); display only, read by `userAgentOf`. */
  userAgent: z.unknown().optional(),
  affectedResources: z.record(z.string(), z.string()).optional(),
});

const AccessKeyDetails = z.looseObject({
  accessKeyId: AccessKeyId.optional(),
  principalId: PrincipalId.optional(),
  userName: z.string().max(256).optional(),
  userType: z.string().max(64).optional(),
});

const S3BucketDetail = z.looseObject({
  name: BucketName,
  arn: z.string().optional(),
  type: z.string().optional(),
  createdAt: z.union([z.string(), z.number()]).optional(),
});

/** `service.additionalInfo`: an object in EventBridge events, or `{value: "<json>", type}` as the API encodes it. */
const AdditionalInfo = z.looseObject({
  sample: z.boolean().optional(),
  value: z.string().optional(),
  type: z.string().optional(),
});

/**
 * An attack sequence's story (`service.detection.sequence`, the SDK's `Sequence`): who acted
 * (`actors[].user`), on what (`resources[]`), from where (`endpoints[]`). GuardDuty caps each list
 * far lower; the bounds here only keep a crafted finding from exhausting memory.
 */
const SequenceUser = z.looseObject({
  name: z.string().max(256).optional(),
  uid: z.string().max(256).optional(),
  credentialUid: z.string().max(256).optional(),
  type: z.string().max(64).optional(),
  account: z.looseObject({ uid: AccountId.optional(), name: displayText(DISPLAY_LIMITS.title) }).optional(),
});
const SequenceResource = z.looseObject({
  uid: z.string().max(2048).optional(),
  name: z.string().max(2048).optional(),
  accountId: z.string().max(64).optional(),
  resourceType: z.string().max(64).optional(),
  region: z.string().max(64).optional(),
});
const SequenceEndpoint = z.looseObject({
  id: z.string().max(256).optional(),
  ip: z.string().max(64).optional(),
  location: z
    .looseObject({ city: displayText(DISPLAY_LIMITS.city), country: displayText(DISPLAY_LIMITS.country) })
    .optional()
    .catch(undefined),
  autonomousSystem: z
    .looseObject({ name: displayText(DISPLAY_LIMITS.organization), number: displayText(DISPLAY_LIMITS.asn) })
    .optional()
    .catch(undefined),
});
export const AttackSequence = z.looseObject({
  uid: z.string().max(512).optional(),
  description: displayText(DISPLAY_LIMITS.description),
  actors: z
    .array(z.looseObject({ id: z.string().max(512).optional(), user: SequenceUser.optional() }))
    .max(5000)
    .optional(),
  resources: z.array(SequenceResource).max(5000).optional(),
  endpoints: z.array(SequenceEndpoint).max(5000).optional(),
  signals: z.array(z.unknown()).max(5000).optional(),
  sequenceIndicators: z.array(z.unknown()).max(5000).optional(),
});
export type AttackSequence = z.infer<typeof AttackSequence>;

export const GuardDutyFinding = z.looseObject({
  schemaVersion: z.string().optional(),
  accountId: AccountId,
  region: Region,
  partition: z.string().optional(),
  id: z.string().regex(/^[\w.:/-]{1,300}$/, 'must be a GuardDuty finding id'),
  arn: z.string().optional(),
  type: z.string().regex(/^[\w:/.+-]{1,200}$/, 'must be a finding type such as Exfiltration:S3/AnomalousBehavior'),
  severity: z.number().min(0).max(10),
  title: displayText(DISPLAY_LIMITS.title),
  description: displayText(DISPLAY_LIMITS.description),
  createdAt: Timestamp.optional(),
  updatedAt: Timestamp.optional(),
  resource: z
    .looseObject({
      resourceType: z.string().optional(),
      accessKeyDetails: AccessKeyDetails.optional(),
      s3BucketDetails: z.array(S3BucketDetail).max(1000).optional(),
    })
    .optional(),
  service: z
    .looseObject({
      serviceName: z.string().optional(),
      detectorId: z.string().max(300).optional(),
      action: z
        .looseObject({
          actionType: z.string().optional(),
          awsApiCallAction: AwsApiCallAction.optional(),
        })
        .optional(),
      additionalInfo: AdditionalInfo.optional(),
      detection: z.looseObject({ sequence: AttackSequence.optional() }).optional(),
      archived: z.boolean().optional(),
      count: z.number().int().min(0).optional(),
      eventFirstSeen: Timestamp.optional(),
      eventLastSeen: Timestamp.optional(),
    })
    .optional(),
});
export type GuardDutyFinding = z.infer<typeof GuardDutyFinding>;

/** The EventBridge envelope of a GuardDuty finding. */
export const GuardDutyEvent = z.looseObject({
  version: z.string().optional(),
  id: z.string().optional(),
  'detail-type': z.literal('GuardDuty Finding'),
  source: z.literal('aws.guardduty'),
  account: AccountId.optional(),
  time: z.string().optional(),
  region: Region.optional(),
  detail: z.unknown(),
});

/**
 * Converts the GuardDuty API/CLI form (PascalCase keys) to the EventBridge form (camelCase).
 * Map-valued fields keep their keys (`AffectedResources` is keyed by resource type), and
 * `AdditionalInfo.Value`, which the API sends as a JSON string, is left for `readAdditionalInfo`.
 */
export function camelizeApiFinding(value: unknown): unknown {
  return camelize(value, false);
}

const OPAQUE_MAPS = new Set(['affectedResources', 'tags', 'userAgent']);

/** A finding nests about ten levels; anything deeper is left as it is (and recursing into it could overflow the stack). */
const MAX_CAMELIZE_DEPTH = 64;

function camelize(value: unknown, opaque: boolean, depth = 0): unknown {
  if (depth > MAX_CAMELIZE_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => camelize(item, false, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const name = opaque ? key : key.charAt(0).toLowerCase() + key.slice(1);
    out[name] = opaque ? child : camelize(child, OPAQUE_MAPS.has(name) && !Array.isArray(child), depth + 1);
  }
  return out;
}

/**
 * A copy of a finding without its null properties: every field the schema reads is optional unless
 * the response depends on it (the API reference marks them "Required: No"), so a field sent as
 * `null` is read as absent instead of rejecting the finding. A required field (id, type, account)
 * sent so is still rejected, as missing; an empty or malformed identifier still is too. Array items
 * are kept as they are.
 */
export function withoutNullFields(value: unknown, depth = 0): unknown {
  if (depth > MAX_CAMELIZE_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => withoutNullFields(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) out[key] = withoutNullFields(child, depth + 1);
  }
  return out;
}

/** True when the object looks like the API/CLI form: PascalCase `Id` and `Type`. */
export function isApiFinding(value: Record<string, unknown>): boolean {
  return 'Id' in value && 'Type' in value && !('id' in value);
}

/**
 * The additional-info object whatever its encoding: EventBridge sends `{sample: true, …}`;
 * the API sends `{value: "{\"sample\":true}", type: "default"}`.
 */
export function readAdditionalInfo(info: z.infer<typeof AdditionalInfo> | undefined): Record<string, unknown> {
  if (!info) return {};
  const merged: Record<string, unknown> = { ...info };
  if (typeof info.value === 'string') {
    try {
      const parsed: unknown = JSON.parse(info.value);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) Object.assign(merged, parsed);
    } catch {
      // Not JSON: keep the raw string under `value`.
    }
  }
  return merged;
}
