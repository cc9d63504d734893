import { DEFAULT_CIDR_COLLAPSE_THRESHOLD, type SpecialAddress, sourceIpBlocks } from '../shared/cidr.js';
import type { Ec2Port, S3Port } from '../shared/ports.js';
import type { Incident, Principal } from '../shared/schemas/incident.js';
import type { Plan, PlanItem } from '../shared/schemas/plan.js';
import type { PrincipalFacts } from '../shared/schemas/principal-facts.js';
import { ok } from '../shared/schemas/task-input.js';
import { DENY_SOURCE_IP } from '../shared/source-ip-deny.js';
import type { PlanContainmentInput } from './schema.js';

/** The plan being built: what will be done, what will not (and why), what to do by hand. */
export interface Draft {
  items: PlanItem[];
  notPlanned: Plan['notPlanned'][number][];
  recommendations: string[];
}

export type PlanPorts = { s3: S3Port; ec2: Ec2Port };

/** Plans one containment action into the draft. */
export type Planner = (
  input: PlanContainmentInput,
  facts: PrincipalFacts | undefined,
  draft: Draft,
  ports: PlanPorts,
) => Promise<void>;

export function principalFacts(value: unknown): PrincipalFacts | undefined {
  return ok<PrincipalFacts>(value);
}

export interface DenySubject {
  principalArns?: string[];
  /** Every principal of these accounts (`aws:PrincipalAccount`): callers of which only the account is known. */
  principalAccounts?: string[];
  sourceIps?: string[];
  purpose: string;
  label: string;
}

/**
 * Whom a bucket Deny names: the principals' ARNs as `aws:PrincipalArn` sees them (every principal
 * of an attack sequence; IAM facts describe the first), else the caller's account when that is all
 * we know and it is not one of ours (`isOurs`: the home, member and finding accounts are never
 * denied whole), else the source addresses.
 */
export function denySubject(
  incident: Incident,
  facts: PrincipalFacts | undefined,
  isOurs: (accountId: string) => boolean = (accountId) => accountId === incident.accountId,
  cidrCollapseThreshold = DEFAULT_CIDR_COLLAPSE_THRESHOLD,
): DenySubject | undefined {
  return denySubjects(incident, facts, isOurs, cidrCollapseThreshold)[0];
}

/**
 * Every Deny an incident's principals need, one per kind of caller: the identified principals by
 * ARN (or, when only their account is known, by account), and, when anonymous callers are among
 * them (an anonymous flood and a key on one bucket are one incident), their addresses. Each is one
 * statement per bucket under its own Sid, extended in place when a principal or address is added.
 */
export function denySubjects(
  incident: Incident,
  facts: PrincipalFacts | undefined,
  isOurs: (accountId: string) => boolean = (accountId) => accountId === incident.accountId,
  cidrCollapseThreshold = DEFAULT_CIDR_COLLAPSE_THRESHOLD,
): DenySubject[] {
  const principals = incident.principals?.length ? incident.principals : [incident.principal];
  const named = byIdentity(principals, facts, isOurs);
  const anonymous = principals.some((principal) => principal.type === 'Anonymous');
  const byAddress = anonymous || named.length === 0 ? bySourceIp(incident, cidrCollapseThreshold) : undefined;
  return [...named, ...(byAddress ? [byAddress] : [])];
}

/**
 * The principals named by ARN in one Deny, and those of which only an outside account is known in
 * another (by account): a principal known only by its account is never dropped because another
 * one has an ARN.
 */
function byIdentity(
  principals: readonly Principal[],
  facts: PrincipalFacts | undefined,
  isOurs: (accountId: string) => boolean,
): DenySubject[] {
  const arns: string[] = [];
  const labels: string[] = [];
  const accounts = new Set<string>();
  const users = new Set<string>();
  for (const [index, principal] of principals.entries()) {
    // Another key of an IAM user already named is the same identity: the first (IAM facts describe it) stands.
    const user = userIdentity(principal);
    if (user && users.has(user)) continue;
    if (user) users.add(user);
    const named = arnOf(principal, index === 0 ? facts : undefined);
    if (named) {
      // Several keys of one principal are one ARN in the Deny, named once.
      const fresh = named.principalArns.filter((arn) => !arns.includes(arn));
      arns.push(...fresh);
      if (fresh.length > 0) labels.push(named.label);
    } else if (principal.accountId && !isOurs(principal.accountId)) {
      accounts.add(principal.accountId);
    }
  }
  const subjects: DenySubject[] = [];
  if (arns.length > 0) {
    const label =
      labels.length > 3 ? `${labels.slice(0, 3).join('; ')} and ${labels.length - 3} more` : labels.join('; ');
    subjects.push({ principalArns: arns, purpose: 'DenyPrincipal', label });
  }
  if (accounts.size > 0) {
    const list = [...accounts];
    subjects.push({
      principalAccounts: list,
      purpose: 'DenyAccount',
      label: `every principal of account ${list.join(', ')} (only the caller's account is known)`,
    });
  }
  return subjects;
}

/** An IAM user as `<account>:<name>`, whatever the path its ARN shows; undefined for any other principal. */
function userIdentity(principal: Principal): string | undefined {
  if (principal.type !== 'IAMUser') return undefined;
  const name = principal.userName ?? principal.arn?.split('/').at(-1);
  const account = principal.accountId ?? principal.arn?.split(':')[4];
  return name && account ? `${account}:${name}` : undefined;
}

function arnOf(principal: Principal, facts: PrincipalFacts | undefined) {
  const resolved = facts?.resolvedArn;
  const confirmed = facts !== undefined && facts.identityLookup === undefined;
  switch (principal.type) {
    case 'IAMUser':
    case 'FederatedUser':
    case 'Root': {
      const arn = resolved ?? principal.arn;
      return arn ? principalArns(arn, confirmed) : undefined;
    }
    case 'AssumedRole': {
      const arn = resolved ?? principal.sessionIssuer;
      if (!arn) return undefined;
      const subject = principalArns(arn, confirmed);
      return { ...subject, label: `every session of ${subject.label}` };
    }
    default:
      return undefined;
  }
}

/** A user or role ARN without a path: `arn:aws:iam::123456789012:user/jane`. */
const PATHLESS_IAM_ARN = /^(arn:[^:]+:iam::\d{12}:(?:user|role))\/([^/]+)$/;

/**
 * `aws:PrincipalArn` carries the IAM path (`user/engineering/jane`), which GuardDuty does not
 * report. When IAM did not confirm the ARN (GetUser or GetRole failed), a path-less ARN is also
 * denied under any path (a `*` segment before the name; ArnEquals takes wildcards), so the Deny
 * cannot miss the principal it is meant for.
 */
function principalArns(arn: string, confirmed: boolean): { principalArns: string[]; label: string } {
  const pathless = confirmed ? null : PATHLESS_IAM_ARN.exec(arn);
  if (!pathless) return { principalArns: [arn], label: arn };
  const anyPath = `${pathless[1]}/*/${pathless[2]}`;
  return { principalArns: [arn, anyPath], label: `${arn} under any IAM path (IAM did not confirm it)` };
}

/** Why a private source address is never put in a Deny on `aws:SourceIp`. */
export const PRIVATE_ADDRESS_REASON =
  'a request through a VPC endpoint carries no aws:SourceIp, so a Deny naming them would deny nothing; restrict the VPC endpoint and find the host instead';

/** Why an address of a special-purpose range (documentation, benchmarking, multicast, reserved) is never put in a Deny. */
export const SPECIAL_ADDRESS_REASON =
  'no request from the internet can come from such a range (IANA special-purpose registry): the signal names an address no real caller has (crafted, or a placeholder), and a Deny naming it would deny nothing';

/** `198.51.100.7/32 (documentation TEST-NET-2 (RFC 5737))`, the first five, then how many more. */
export function specialAddresses(special: readonly SpecialAddress[]): string {
  const shown = special.slice(0, 5).map(({ cidr, range }) => `${cidr} (${range})`);
  return `${shown.join(', ')}${special.length > 5 ? ` and ${special.length - 5} more` : ''}`;
}

/**
 * Anonymous callers by address: a flood collapses into /24 and /64 blocks (`cidr.ts`), and the list
 * is cut to a fixed budget, so the Deny stays small however many addresses come.
 */
function bySourceIp(incident: Incident, threshold: number): DenySubject | undefined {
  // Anonymous callers folded into an incident opened on an identified principal: their addresses
  // only, never that principal's own.
  const folded = incident.principal.type !== 'Anonymous' && incident.principals?.some((p) => p.type === 'Anonymous');
  const ips = folded ? (incident.anonymousSourceIps ?? []) : incident.sourceIps;
  const { blocks, omitted, nonPublic, specialPurpose } = sourceIpBlocks(ips, { threshold });
  if (blocks.length === 0) return undefined;
  const shown =
    blocks.length > 10 ? `${blocks.slice(0, 10).join(', ')} and ${blocks.length - 10} more` : blocks.join(', ');
  const left = omitted > 0 ? ` (${omitted} more address(es) over the statement's budget are not listed)` : '';
  const inside =
    nonPublic.length > 0 ? ` (${nonPublic.length} private address(es) left out: ${PRIVATE_ADDRESS_REASON})` : '';
  const special =
    specialPurpose.length > 0
      ? ` (${specialPurpose.length} special-purpose address(es) left out: ${specialAddresses(specialPurpose)}; ${SPECIAL_ADDRESS_REASON})`
      : '';
  return { sourceIps: blocks, purpose: DENY_SOURCE_IP, label: `requests from ${shown}${left}${inside}${special}` };
}
