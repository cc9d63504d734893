import * as z from 'zod';
import {
  AccessKeyId,
  AccountId,
  BucketName,
  IamName,
  IpAddress,
  PrincipalArn,
  PrincipalId,
  Region,
  SamplePlaceholder,
} from './primitives.js';

/**
 * At most this many principals are carried per incident (an attack sequence names at most ten;
 * more is a crafted finding): the incident travels in every state, capped at 256 KB.
 */
export const MAX_PRINCIPALS = 25;

const FindingId = z.string().regex(/^[\w.:/-]{1,300}$/, 'must be a finding id');

export const PrincipalType = z.enum([
  'IAMUser',
  'AssumedRole',
  'Root',
  'Anonymous',
  'FederatedUser',
  'AWSService',
  'Unknown',
]);
export type PrincipalType = z.infer<typeof PrincipalType>;

/** Who acted. `arn` is the identity's ARN (an STS session ARN for AssumedRole); `sessionIssuer` is the role ARN. */
export const Principal = z.object({
  type: PrincipalType,
  arn: PrincipalArn.optional(),
  userName: IamName.optional(),
  accessKeyId: AccessKeyId.optional(),
  principalId: PrincipalId.optional(),
  sessionIssuer: PrincipalArn.optional(),
  sessionName: IamName.optional(),
  /** The type as the source reported it, kept when it maps to `Unknown`. */
  rawType: z.string().max(64).optional(),
  /**
   * Set when the identity lives in another account than the finding's (GuardDuty `remoteAccountDetails.accountId`, an attack
   * sequence actor's `account.uid`, CloudTrail `userIdentity.accountId`), which may differ from the
   * finding's. The ARNs above are built in this account.
   */
  accountId: AccountId.optional(),
  /**
   * A principal folded into an open incident by a later signal (another key, another role, another
   * account's identity on one of its buckets): that signal's finding id and when it was folded in.
   * Absent on the principal(s) the incident opened with.
   */
  addedBy: z.object({ findingId: FindingId, at: z.iso.datetime() }).optional(),
});
export type Principal = z.infer<typeof Principal>;

export const IpDetail = z.object({
  ip: IpAddress,
  country: z.string().max(128).optional(),
  city: z.string().max(128).optional(),
  asn: z.string().max(32).optional(),
  org: z.string().max(256).optional(),
});
export type IpDetail = z.infer<typeof IpDetail>;

/**
 * The normalized signal every source turns into (DESIGN §3, contract §10).
 * Fields after `count` are extensions; the contract's fields keep their names and meaning.
 */
export const Incident = z.object({
  source: z.enum(['guardduty', 'detection']),
  findingId: FindingId,
  findingType: z
    .string()
    .regex(/^[\w:/.+-]{1,200}$/, 'must be a finding type such as Exfiltration:S3/AnomalousBehavior'),
  severity: z.number().min(0).max(10),
  accountId: AccountId,
  region: Region,
  principal: Principal,
  buckets: z.array(BucketName).max(1000),
  sourceIps: z.array(IpAddress).max(1000),
  /**
   * Set by registration only: the addresses of anonymous callers folded into an incident whose
   * first principal is identified. Only these go into the Deny on source addresses, never the
   * identified principal's own (`sourceIps` holds both, for people to read).
   */
  anonymousSourceIps: z.array(IpAddress).max(1000).optional(),
  firstSeen: z.iso.datetime(),
  lastSeen: z.iso.datetime(),
  count: z.number().int().min(1),
  title: z.string().max(1024).optional(),
  partition: z.string().default('aws'),
  detectorId: z.string().max(300).optional(),
  /** When the source created the finding (GuardDuty `createdAt`). */
  createdAt: z.iso.datetime().optional(),
  updatedAt: z.iso.datetime().optional(),
  ipDetails: z.array(IpDetail).max(1000).optional(),
  /**
   * Every principal the signal names, `principal` first (an attack sequence can name several).
   * Absent when there is only `principal`.
   */
  principals: z.array(Principal).max(MAX_PRINCIPALS).optional(),
  /**
   * Only on the incident a delta request's execution carries (never stored on the record): the
   * signal that brought the delta. Its buckets, and the principals whose `addedBy` names that
   * signal, are new in this request; everything else was contained before.
   */
  delta: z
    .object({
      findingId: FindingId,
      at: z.iso.datetime(),
      buckets: z.array(BucketName).max(1000),
      /** Every signal a queued round asks about (`findingId` is the first): their principals are new too. */
      findingIds: z.array(FindingId).max(25).optional(),
    })
    .optional(),
  /** How many more principals the source named than `principals` holds (they are reported, not planned). */
  principalsOmitted: z.number().int().min(1).optional(),
  /** The caller's user agent, cut for display. */
  userAgent: z.string().max(256).optional(),
  /** A GuardDuty sample run as a drill (`acceptSampleFindings`): no action is applied. */
  sample: z.boolean().optional(),
  /** Sample placeholders that are no real identifier and were left out (`accessKeyId GeneratedFindingAccessKeyId`). */
  placeholders: z.array(z.string().max(300)).max(50).optional(),
  /**
   * The sample's placeholder key and buckets, which a drill plans on (each item skipped with the
   * reason) so that every action on them ends `skipped`, whatever form the sample arrived in.
   */
  placeholderTargets: z
    .object({
      accessKeyIds: z.array(SamplePlaceholder).max(10),
      buckets: z.array(SamplePlaceholder).max(100),
    })
    .optional(),
});
export type Incident = z.infer<typeof Incident>;

/** `normalize`'s result (contract §10). */
export type Normalized =
  | { status: 'accepted'; incident: Incident }
  | { status: 'ignored'; reason: string; incident?: Incident };
