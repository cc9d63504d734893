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
