import * as z from 'zod';
import { AccessKeyId, AccountId, BucketName, IamName, Region, SamplePlaceholder } from './primitives.js';

/** Action ids: used by `--approve`, the plan, `applied[]` and the Slack checkboxes (DESIGN §5). */
export const ACTION_IDS = [
  'deactivateAccessKey',
  'revokeRoleSessions',
  'startMacieJob',
  'denyBucketAccess',
  'restrictVpcEndpoint',
  'revokeUserSessions',
] as const;
export const ActionId = z.enum(ACTION_IDS);
export type ActionId = z.infer<typeof ActionId>;

/** A statement we add: always a Deny with an `IR…` Sid. */
export const OurStatement = z.looseObject({
  Sid: z.string().regex(/^IR[A-Za-z0-9]+$/, 'our statements carry an IR… Sid'),
  Effect: z.literal('Deny'),
});
export type OurStatement = z.infer<typeof OurStatement>;

const Base = z.object({
  /** `<action>:<target>`, unique within a plan. */
  id: z.string().min(3).max(300),
  target: z.string().min(1).max(256),
  accountId: AccountId,
  region: Region,
  /** One line a responder reads in Slack and in the report. */
  summary: z.string().max(1000),
  /**
   * Set when the item must not be applied, with the reason: a sample finding's drill plans on
   * placeholders. The Contain state records it `skipped` with this reason and calls nothing.
   */
  skip: z.string().max(500).optional(),
  /**
   * Set on an item an earlier round applied whose effect is gone (removed by hand since: our
   * statement no longer in the policy, the key active again), with what was found. It is asked
   * again; refusing it leaves less contained than before, so the incident is then at most
   * `partially_contained`.
   */
  lapsed: z.string().max(300).optional(),
});

/**
 * A drill (a GuardDuty sample run with `acceptSampleFindings`) plans on the sample's placeholders
 * (`GeneratedFindingAccessKeyId`, bucket `bucketName`): such a value is accepted only in an item
 * that carries `skip`, so it can never reach an apply step.
 */
const orPlaceholder = <T extends z.ZodType<string>>(schema: T) => z.union([schema, SamplePlaceholder]);

function onlyWhenSkipped(
  item: { skip?: string | undefined },
  ctx: z.RefinementCtx,
  checks: [path: string, schema: z.ZodType<string>, value: string | readonly string[]][],
): void {
  if (item.skip) return;
  for (const [path, schema, value] of checks) {
    for (const one of typeof value === 'string' ? [value] : value) {
      const result = schema.safeParse(one);
      if (!result.success) {
        ctx.addIssue({
          code: 'custom',
          path: [path],
          message: `${result.error.issues[0]?.message ?? 'invalid'} (a sample placeholder is allowed only in a skipped drill item)`,
        });
        return;
      }
    }
  }
}

export const DeactivateAccessKeyItem = Base.extend({
  action: z.literal('deactivateAccessKey'),
  userName: IamName,
  accessKeyId: orPlaceholder(AccessKeyId),
  lastUsed: z.string().optional(),
}).superRefine((item, ctx) => onlyWhenSkipped(item, ctx, [['accessKeyId', AccessKeyId, item.accessKeyId]]));

export const DenyBucketAccessItem = Base.extend({
  action: z.literal('denyBucketAccess'),
  bucket: orPlaceholder(BucketName),
  statements: z.array(OurStatement).min(1),
  /** Policy size before and after the merge, against the 20 KB limit. */
  sizeBefore: z.number().int().min(0),
  sizeAfter: z.number().int().min(0),
  limit: z.number().int().positive(),
}).superRefine((item, ctx) => onlyWhenSkipped(item, ctx, [['bucket', BucketName, item.bucket]]));

export const RevokeRoleSessionsItem = Base.extend({
  action: z.literal('revokeRoleSessions'),
  /** A role's sessions, or an IAM user's temporary credentials (GetSessionToken, federation). */
  principalKind: z.enum(['role', 'user']),
  name: IamName,
  policyName: z.literal('AWSRevokeOlderSessions'),
  sid: z.string().regex(/^IR[A-Za-z0-9]+$/),
});

/**
 * For an IAM user whose long-term (AKIA) key leaked: the same `aws:TokenIssueTime` Deny on the user,
 * since session credentials minted from the key (`GetSessionToken`, `GetFederationToken`) outlive
 * its deactivation by up to 36 hours. Applied by the revoke-sessions task.
 */
export const RevokeUserSessionsItem = Base.extend({
  action: z.literal('revokeUserSessions'),
  principalKind: z.literal('user'),
  name: IamName,
  policyName: z.literal('AWSRevokeOlderSessions'),
  sid: z.string().regex(/^IR[A-Za-z0-9]+$/),
  /** The policy's size as IAM counts it (no whitespace), against the 2,048 characters all of a user's inline policies share. */
  size: z.number().int().min(0),
  limit: z.number().int().positive(),
  /**
   * A later round that brings a new credential of a user whose sessions were revoked earlier: our
   * statement's cut-off moves forward to the time of this apply, in place (same Sid). `after` is
   * when the earlier revocation was recorded: a statement whose cut-off is not later than that is
   * moved, a later one (this round's own write, on a retry) is left as it is. `cutoff` is the
   * earlier cut-off, when known, for people to read.
   */
  renew: z.object({ after: z.iso.datetime(), cutoff: z.iso.datetime().optional() }).optional(),
});

export const StartMacieJobItem = Base.extend({
  action: z.literal('startMacieJob'),
  buckets: z.array(orPlaceholder(BucketName)).min(1).max(1000),
  jobName: z.string().min(1).max(500),
  clientToken: z.string().min(1).max(64),
}).superRefine((item, ctx) => onlyWhenSkipped(item, ctx, [['buckets', BucketName, item.buckets]]));

export const RestrictVpcEndpointItem = Base.extend({
  action: z.literal('restrictVpcEndpoint'),
  vpcEndpointId: z.string().regex(/^vpce-[0-9a-f]{8,17}$/),
  statements: z.array(OurStatement).min(1),
  sizeBefore: z.number().int().min(0),
  sizeAfter: z.number().int().min(0),
  limit: z.number().int().positive(),
});

export const PlanItem = z.discriminatedUnion('action', [
  DeactivateAccessKeyItem,
  RevokeRoleSessionsItem,
  StartMacieJobItem,
  DenyBucketAccessItem,
  RestrictVpcEndpointItem,
  RevokeUserSessionsItem,
]);
export type PlanItem = z.infer<typeof PlanItem>;
export type DenyBucketAccessItem = z.infer<typeof DenyBucketAccessItem>;
export type DeactivateAccessKeyItem = z.infer<typeof DeactivateAccessKeyItem>;
export type RevokeRoleSessionsItem = z.infer<typeof RevokeRoleSessionsItem>;
export type StartMacieJobItem = z.infer<typeof StartMacieJobItem>;
export type RestrictVpcEndpointItem = z.infer<typeof RestrictVpcEndpointItem>;
export type RevokeUserSessionsItem = z.infer<typeof RevokeUserSessionsItem>;

export const Plan = z.object({
  items: z.array(PlanItem),
  /** What we could not or would not do automatically, said plainly. */
  recommendations: z.array(z.string()),
  /** Actions considered and not planned, with the reason (for the report). */
  notPlanned: z.array(z.object({ action: ActionId, target: z.string().optional(), reason: z.string() })),
});
export type Plan = z.infer<typeof Plan>;

export const ActionOutcome = z.enum(['applied', 'already', 'failed', 'skipped']);
export type ActionOutcome = z.infer<typeof ActionOutcome>;

/** What an action did to one target (`applied[]` in the contract). */
export const ActionResult = z.object({
  action: ActionId,
  target: z.string(),
  result: ActionOutcome,
  error: z.string().optional(),
  detail: z.string().optional(),
  /**
   * False when the write succeeded but AWS (eventually consistent) still showed the prior state
   * after every re-read: "applied, not yet visible". Absent otherwise.
   */
  visible: z.literal(false).optional(),
  at: z.string().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

/** The approval's outcome, as the Slack handler (or the timeout policy) reports it to the state machine. */
export const Decision = z.object({
  /** `withdrawn`: the incident was closed while the request was pending; nothing was approved. */
  outcome: z.enum(['approved', 'denied', 'expired', 'nothing-to-approve', 'dry-run', 'withdrawn']),
  via: z.enum(['slack', 'local', 'timeout-policy', 'none']).default('none'),
  decidedBy: z.array(z.string()).default([]),
  decidedAt: z.string().optional(),
  reason: z.string().max(2000).optional(),
  approvedPlan: z.array(PlanItem).default([]),
});
export type Decision = z.infer<typeof Decision>;
