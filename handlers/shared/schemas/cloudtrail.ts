import * as z from 'zod';

/**
 * A CloudTrail record as CloudTrail writes it (and as LookupEvents returns it in `CloudTrailEvent`).
 * Loose: real records carry many more fields, and they must load unchanged.
 */
export const CloudTrailUserIdentity = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  invokedBy: z.string().optional(),
  sessionContext: z
    .looseObject({
      sessionIssuer: z
        .looseObject({
          type: z.string().optional(),
          principalId: z.string().optional(),
          arn: z.string().optional(),
          accountId: z.string().optional(),
          userName: z.string().optional(),
        })
        .optional(),
      attributes: z
        .looseObject({ creationDate: z.string().optional(), mfaAuthenticated: z.string().optional() })
        .optional(),
    })
    .optional(),
});

export const CloudTrailRecord = z.looseObject({
  eventVersion: z.string().optional(),
  userIdentity: CloudTrailUserIdentity.optional(),
  eventTime: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  awsRegion: z.string().optional(),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  requestParameters: z.record(z.string(), z.unknown()).nullable().optional(),
  responseElements: z.record(z.string(), z.unknown()).nullable().optional(),
  additionalEventData: z.record(z.string(), z.unknown()).nullable().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  requestID: z.string().optional(),
  eventID: z.string().optional(),
  readOnly: z.boolean().optional(),
  resources: z
    .array(z.looseObject({ type: z.string().optional(), ARN: z.string().optional(), accountId: z.string().optional() }))
    .optional(),
  eventType: z.string().optional(),
  managementEvent: z.boolean().optional(),
  recipientAccountId: z.string().optional(),
  eventCategory: z.string().optional(),
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecord>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** `z.record` takes plain objects only; anything else here goes to the schema, which decides. */
const isPlainObject = (value: unknown): boolean => {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};
/** Absent, or a string: `z.string().optional()`. */
const maybeString = (value: unknown): boolean => value === undefined || typeof value === 'string';
/** Absent, null or a plain object: `z.record(…).nullable().optional()`. */
const maybeRecord = (value: unknown): boolean => value === undefined || value === null || isPlainObject(value);

// Each check reads its fields by name, one after the other: this runs on every record `detect`
// reads, and a loop over a table of field names costs several times as much.

function sessionIssuerShape(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  return (
    maybeString(value.type) &&
    maybeString(value.principalId) &&
    maybeString(value.arn) &&
    maybeString(value.accountId) &&
    maybeString(value.userName)
  );
}

function attributesShape(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  return maybeString(value.creationDate) && maybeString(value.mfaAuthenticated);
}

function sessionContextShape(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  return sessionIssuerShape(value.sessionIssuer) && attributesShape(value.attributes);
}

function identityShape(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  return (
    maybeString(value.type) &&
    maybeString(value.principalId) &&
    maybeString(value.arn) &&
    maybeString(value.accountId) &&
    maybeString(value.accessKeyId) &&
    maybeString(value.userName) &&
    maybeString(value.invokedBy) &&
    sessionContextShape(value.sessionContext)
  );
}

function resourcesShape(value: unknown): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value)) return false;
  for (let index = 0; index < value.length; index += 1) {
    const resource: unknown = value[index];
    if (!isObject(resource)) return false;
    if (!(maybeString(resource.type) && maybeString(resource.ARN) && maybeString(resource.accountId))) return false;
  }
  return true;
}

function recordShape(value: unknown): boolean {
  if (!isObject(value)) return false;
  return (
    typeof value.eventTime === 'string' &&
    typeof value.eventSource === 'string' &&
    typeof value.eventName === 'string' &&
    maybeString(value.eventVersion) &&
    maybeString(value.awsRegion) &&
    maybeString(value.sourceIPAddress) &&
    maybeString(value.userAgent) &&
    maybeString(value.errorCode) &&
    maybeString(value.errorMessage) &&
    maybeString(value.requestID) &&
    maybeString(value.eventID) &&
    maybeString(value.eventType) &&
    maybeString(value.recipientAccountId) &&
    maybeString(value.eventCategory) &&
    identityShape(value.userIdentity) &&
    maybeRecord(value.requestParameters) &&
    maybeRecord(value.responseElements) &&
    maybeRecord(value.additionalEventData) &&
    (value.readOnly === undefined || typeof value.readOnly === 'boolean') &&
    (value.managementEvent === undefined || typeof value.managementEvent === 'boolean') &&
    resourcesShape(value.resources)
  );
}

/**
 * True only when `CloudTrailRecord.safeParse(value)` succeeds (for any value from `JSON.parse`,
 * exactly when it does), without copying the record: the detectors read millions of records, and
 * the schema's parse copies each one. A record this refuses goes to the schema, which decides and
 * names the field.
 */
export function isCloudTrailRecord(value: unknown): value is CloudTrailRecord {
  return recordShape(value);
}
