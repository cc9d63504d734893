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

type Check = (value: unknown) => boolean;
/** A field's check: a type that may be absent (`?`) or must be there, or a check of its own. */
type Field = 'string' | 'string?' | 'boolean?' | Check;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** `z.record` takes plain objects only; anything else here goes to the schema, which decides. */
const isPlainObject = (value: unknown): boolean => {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** An object whose listed fields pass their checks (other fields are kept, as `looseObject` keeps them). */
function fields(spec: Record<string, Field>): Check {
  const keys = Object.keys(spec);
  const checks = keys.map((key) => spec[key] as Field);
  return (value) => {
    if (!isObject(value)) return false;
    for (let index = 0; index < keys.length; index += 1) {
      const field = value[keys[index] as string];
      const check = checks[index] as Field;
      if (check === 'string?') {
        if (field !== undefined && typeof field !== 'string') return false;
      } else if (check === 'string') {
        if (typeof field !== 'string') return false;
      } else if (check === 'boolean?') {
        if (field !== undefined && typeof field !== 'boolean') return false;
      } else if (!check(field)) {
        return false;
      }
    }
    return true;
  };
}
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const strings = (...keys: string[]): Record<string, Field> => Object.fromEntries(keys.map((key) => [key, 'string?']));
const recordOrNull = optional((value) => value === null || isPlainObject(value));

const identityShape = fields({
  ...strings('type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy'),
  sessionContext: optional(
    fields({
      sessionIssuer: optional(fields(strings('type', 'principalId', 'arn', 'accountId', 'userName'))),
      attributes: optional(fields(strings('creationDate', 'mfaAuthenticated'))),
    }),
  ),
});
const resourceShape = fields(strings('type', 'ARN', 'accountId'));
const recordShape = fields({
  eventTime: 'string',
  eventSource: 'string',
  eventName: 'string',
  ...strings(
    'eventVersion',
    'awsRegion',
    'sourceIPAddress',
    'userAgent',
    'errorCode',
    'errorMessage',
    'requestID',
    'eventID',
    'eventType',
    'recipientAccountId',
    'eventCategory',
  ),
  userIdentity: optional(identityShape),
  requestParameters: recordOrNull,
  responseElements: recordOrNull,
  additionalEventData: recordOrNull,
  readOnly: 'boolean?',
  managementEvent: 'boolean?',
  resources: optional((value) => {
    if (!Array.isArray(value)) return false;
    for (let index = 0; index < value.length; index += 1) if (!resourceShape(value[index])) return false;
    return true;
  }),
});

/**
 * True only when `CloudTrailRecord.safeParse(value)` succeeds (for any value from `JSON.parse`,
 * exactly when it does), without copying the record: the detectors read millions of records, and
 * the schema's parse copies each one. A record this refuses goes to the schema, which decides and
 * names the field.
 */
export function isCloudTrailRecord(value: unknown): value is CloudTrailRecord {
  return recordShape(value);
}
