import * as z from 'zod';
import { AccountId } from './primitives.js';

export const RoleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  );
export const VpcEndpointId = z.string().regex(/^vpce-[0-9a-f]{8,17}$/, 'must be a VPC endpoint id (vpce-…)');
export const SlackUserOrGroup = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,20}$/, 'must be a Slack user id (U…/W…) or user group id (S…)');
export const SlackChannel = z.string().regex(/^[CGD][A-Z0-9]{2,20}$/, 'must be a Slack channel id (C…/G…)');

/**
 * The runtime part of the configuration, compiled into the state machine definition as a literal
 * so each task receives exactly what it needs in its input (nothing read from the environment).
 */
export const Settings = z.object({
  trustedAccounts: z.array(AccountId),
  irRoleArns: z.array(RoleArn),
  breakGlassRoleArns: z.array(RoleArn),
  /** The responder's own Lambda roles: exempt from every deny we write so containment can always be undone. */
  responderRoleArns: z.array(z.string()),
  vpcEndpointIds: z.array(VpcEndpointId),
  approvers: z.array(SlackUserOrGroup),
  slackChannel: SlackChannel,
  twoPersonRule: z.boolean(),
  approvalTimeoutSeconds: z.number().int().positive(),
  heartbeatSeconds: z.number().int().positive(),
  /** Severity at or above which an unanswered approval contains anyway; undefined: always auto-deny. */
  autoContainSeverity: z.number().min(0).max(10).optional(),
  findingTypes: z.array(z.string()),
  acceptSampleFindings: z.boolean(),
  dryRun: z.boolean(),
  /** Offer the DenyNonVpcAccess bucket statement when endpoints are configured. */
  denyNonVpcAccess: z.boolean().default(false),
  /** Region and state machine used to build console links. */
  consoleRegion: z.string().optional(),
  /**
   * The window of flood control (`maxNewIncidentsPerBucket`). Folding into an open incident does
   * not depend on it: an incident takes its signals until it is closed (`autoCloseAfterMinutes`).
   */
  correlationWindowMinutes: z.number().int().positive().default(60),
  /**
   * Flood control: at most this many new incidents open for one bucket per
   * `correlationWindowMinutes`; further new signals for it are linked into the latest open one.
   */
  maxNewIncidentsPerBucket: z.number().int().positive().default(5),
  /** An incident with no new signal for this many minutes closes automatically (`lifecycle.ts`). */
  autoCloseAfterMinutes: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 60),
  /**
   * False when no Athena table over S3 data events is configured (`athena` in the config): the
   * approval message then does not promise data-event evidence. Absent means configured.
   */
  dataEventsTable: z.boolean().optional(),
  /**
   * Anonymous callers are denied by address: once more than this many addresses share one IPv4 /24
   * or IPv6 /64, that block replaces them in the Deny (`handlers/shared/cidr.ts`).
   */
  cidrCollapseThreshold: z.number().int().min(1).max(65_536).default(8),
  /** The deployment's own account. Unset (a local run): the finding's account is home. */
  homeAccountId: AccountId.optional(),
  /** Accounts the responder acts in through the member role (DESIGN §8a). */
  memberAccounts: z.array(AccountId).optional(),
});
export type Settings = z.infer<typeof Settings>;

/** Every role our denies must never apply to: IR, break-glass and the responder's own roles. */
export function protectedRoleArns(settings: Settings): string[] {
  return [...new Set([...settings.irRoleArns, ...settings.breakGlassRoleArns, ...settings.responderRoleArns])];
}

/**
 * Whether we may act on identities in `accountId`: the home account or a member account (DESIGN
 * §8a). `findingAccountId` stands in for home when the settings do not name it. Anyone else's
 * principals are contained by resource policy only, and their account is told to the responder.
 */
export function isManagedAccount(settings: Settings, accountId: string, findingAccountId: string): boolean {
  return (
    accountId === (settings.homeAccountId ?? findingAccountId) || (settings.memberAccounts ?? []).includes(accountId)
  );
}

/** The accounts that are ours (home, members, the finding's own): never denied whole by a policy we write. */
export function ourAccountIds(settings: Settings, findingAccountId: string): string[] {
  return [
    ...new Set([settings.homeAccountId ?? findingAccountId, ...(settings.memberAccounts ?? []), findingAccountId]),
  ];
}
