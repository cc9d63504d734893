import * as z from 'zod';
import { Unavailable } from './task-input.js';

const KeyFacts = z.object({
  accessKeyId: z.string(),
  status: z.enum(['Active', 'Inactive']),
  createDate: z.string().optional(),
  lastUsedDate: z.string().optional(),
  lastUsedService: z.string().optional(),
  lastUsedRegion: z.string().optional(),
  /** Created within 72 h before the finding's first activity, or later: a sign of persistence. */
  recent: z.boolean(),
  /** GetAccessKeyLastUsed failed for this key (the last-use fields are then unknown, not "never"). */
  lastUsedLookup: Unavailable.optional(),
});
export type KeyFacts = z.infer<typeof KeyFacts>;

/** The user's MFA devices (`ListMFADevices`). */
const MfaFacts = z.object({ devices: z.number().int().min(0), enabled: z.boolean() });
export type MfaFacts = z.infer<typeof MfaFacts>;

/**
 * Who the principal is in IAM, with its keys. The plan reads `resolvedArn` (bucket deny),
 * `findingKey`, `serviceLinked` and `ssoManaged`; the report reads `resolvedArn` and `otherKeys`.
 * Each IAM lookup that fails degrades to `{status:'unavailable', reason}` for its part only.
 */
export const PrincipalFacts = z.object({
  status: z.literal('ok'),
  type: z.string(),
  /** The ARN `aws:PrincipalArn` carries: the user ARN, or the role ARN (with its path) for a session. */
  resolvedArn: z.string().optional(),
  /** When the user or role was created. */
  createDate: z.string().optional(),
  /** GetUser or GetRole failed: `resolvedArn` is the finding's (it may lack the path). */
  identityLookup: Unavailable.optional(),
  userName: z.string().optional(),
  roleName: z.string().optional(),
  /** AssumedRole: the role ARN that issued the session, and the session's name, as the finding gives them. */
  sessionIssuer: z.string().optional(),
  sessionName: z.string().optional(),
  serviceLinked: z.boolean().optional(),
  ssoManaged: z.boolean().optional(),
  findingKey: KeyFacts.optional(),
  otherKeys: z.array(KeyFacts).default([]),
  /** ListAccessKeys failed: the user's keys are unknown. */
  keysLookup: Unavailable.optional(),
  /** Ids of the user's keys flagged `recent` (the finding's key included). */
  recentKeys: z.array(z.string()).default([]),
  /** IAMUser: the MFA devices assigned. */
  mfa: z.union([MfaFacts, Unavailable]).optional(),
  /** IAMUser: whether the user has a console password (GetLoginProfile; none is NoSuchEntity). */
  consoleAccess: z.union([z.boolean(), Unavailable]).optional(),
  /** When the console password was created (a recent one is a sign of persistence too). */
  consolePasswordCreateDate: z.string().optional(),
  /**
   * The Slack user who owns the identity, from its `slack-user-id` tag: never their own approver
   * (the decision refuses them), since a compromised owner's account may be the attacker's too.
   */
  ownerSlackUserId: z.string().optional(),
  /** ListUserTags failed: the owner is unknown (the report counts the source as partial). */
  ownerLookup: Unavailable.optional(),
  notes: z.array(z.string()).default([]),
});
export type PrincipalFacts = z.infer<typeof PrincipalFacts>;
