import * as z from 'zod';
import { InvalidFinding } from '../errors.js';
import { clip, DISPLAY_LIMITS } from './display.js';
import {
  camelizeApiFinding,
  GuardDutyEvent,
  GuardDutyFinding,
  isApiFinding,
  type RemoteIpDetails,
  withoutNullFields,
} from './guardduty.js';
import { Incident, type IpDetail, MAX_PRINCIPALS, type Normalized, type Principal } from './incident.js';
import { AccessKeyId, firstIssue, IamName, PrincipalId } from './primitives.js';
import { screenFinding } from './sample.js';
import { readSequence, type SequenceActor } from './sequence.js';

export interface NormalizeOptions {
  /** Finding-type patterns in scope (`Exfiltration:S3/` is a prefix; a full type matches exactly). Default: any S3 type. */
  readonly findingTypes?: readonly string[];
  /** Accept GuardDuty sample findings (for a drill). Default false. */
  readonly acceptSampleFindings?: boolean;
}

/**
 * Turns one GuardDuty finding, in any of the forms it reaches us in, into the normalized incident:
 * - an EventBridge event (`detail` is the finding, camelCase);
 * - a bare finding as in `detail`;
 * - the API/CLI form (`GetFindings`, PascalCase), alone or as `{"Findings":[one]}`.
 *
 * Invalid input throws `InvalidFinding` naming the field path. Sample, archived and out-of-scope
 * findings come back `ignored` with the reason.
 */
export function normalizeFinding(input: unknown, options: NormalizeOptions = {}): Normalized {
  const results = normalizeFindings(input, options);
  if (results.length !== 1) {
    throw new InvalidFinding('Findings', `expected exactly one finding, got ${results.length}`);
  }
  return results[0] as Normalized;
}

/** As `normalizeFinding`, but accepts `{"Findings":[…]}` with any number of findings. */
export function normalizeFindings(input: unknown, options: NormalizeOptions = {}): Normalized[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidFinding(
      '',
      'expected a JSON object: a GuardDuty EventBridge event, a finding, or {"Findings":[…]}',
    );
  }
  const record = input as Record<string, unknown>;
  if ('Findings' in record) {
    const list = record.Findings;
    if (!Array.isArray(list)) throw new InvalidFinding('Findings', 'must be an array of findings');
    return list.map((finding, index) => fromFinding(camelizeApiFinding(finding), `Findings[${index}]`, options));
  }
  if ('detail-type' in record || ('source' in record && 'detail' in record)) {
    if (record.source === 'aws.guardduty') {
      const early = screenFinding(record.detail, options.acceptSampleFindings === true);
      if (early.kind === 'ignored') return [{ status: 'ignored', reason: early.reason }];
    }
    const envelope = GuardDutyEvent.safeParse(record);
    if (!envelope.success) {
      const { path, message } = firstIssue(envelope.error);
      throw new InvalidFinding(path, `${message} (this input is an EventBridge event but not a GuardDuty finding)`);
    }
    const detail = envelope.data.detail;
    if (typeof detail !== 'object' || detail === null) throw new InvalidFinding('detail', 'is required');
    const finding = isApiFinding(detail as Record<string, unknown>) ? camelizeApiFinding(detail) : detail;
    return [fromFinding(finding, 'detail', options)];
  }
  if (isApiFinding(record)) return [fromFinding(camelizeApiFinding(record), '', options)];
  if ('id' in record || 'type' in record || 'resource' in record || 'service' in record) {
    return [fromFinding(record, '', options)];
  }
  throw new InvalidFinding(
    '',
    'unrecognized input: expected a GuardDuty EventBridge event, a finding, or {"Findings":[…]}',
  );
}

function fromFinding(raw: unknown, prefix: string, options: NormalizeOptions): Normalized {
  // Samples and archived findings are recognized before anything else is validated: a sample's
  // placeholders (`GeneratedFindingAccessKeyId`, bucket `bucketName`) are no identifiers.
  const screening = screenFinding(raw, options.acceptSampleFindings === true);
  if (screening.kind === 'ignored') return { status: 'ignored', reason: screening.reason };
  const parsed = GuardDutyFinding.safeParse(withoutNullFields(screening.kind === 'drill' ? screening.finding : raw));
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error, prefix);
    throw new InvalidFinding(path, message);
  }
  const finding = parsed.data;
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  const partition = finding.partition ?? 'aws';
  const call = finding.service?.action?.awsApiCallAction;
  const sequence = finding.service?.detection?.sequence;
  const story = sequence ? readSequence(sequence) : undefined;
  const remote = call?.remoteIpDetails;
  const ipDetails = uniqueByIp([...(remote ? toIpDetails(remote) : []), ...(story?.ipDetails ?? [])]);
  const createdAt = finding.createdAt ?? finding.updatedAt;
  const firstSeen = finding.service?.eventFirstSeen ?? createdAt;
  const lastSeen = finding.service?.eventLastSeen ?? finding.updatedAt ?? firstSeen;
  if (!firstSeen || !lastSeen) {
    throw new InvalidFinding(at('service.eventFirstSeen'), 'is required when createdAt and updatedAt are absent');
  }
  // The caller's account: GuardDuty names it in remoteAccountDetails when it is not the finding's.
  // Named without an account, the caller is elsewhere but nobody knows where: its names are never
  // read as an identity of the finding's account (a same-named one there is innocent).
  const remoteAccount = call?.remoteAccountDetails;
  const callerAccount = remoteAccount?.accountId ?? finding.accountId;
  const details = finding.resource?.accessKeyDetails;
  const named =
    details && remoteAccount && !remoteAccount.accountId
      ? ({ type: 'Unknown', rawType: details.userType?.slice(0, 64) } as Principal)
      : details
        ? toPrincipal(details, callerAccount, finding.accountId, partition, at('resource.accessKeyDetails'))
        : ({ type: 'Unknown' } as Principal);
  const actors = (story?.actors ?? []).map((actor) => actorPrincipal(actor, finding.accountId, partition));
  const everyone = uniquePrincipals([...(named.type === 'Unknown' && actors.length > 0 ? [] : [named]), ...actors]);
  const principals = everyone.slice(0, MAX_PRINCIPALS);
  const principal = principals[0] ?? named;
  const buckets = [...new Set([...bucketsOf(finding), ...(story?.buckets ?? [])])];
  const candidate = {
    source: 'guardduty' as const,
    findingId: finding.id,
    findingType: finding.type,
    severity: finding.severity,
    accountId: finding.accountId,
    region: finding.region,
    principal,
    buckets,
    sourceIps: ipDetails.map((detail) => detail.ip),
    firstSeen,
    lastSeen,
    count: Math.max(1, finding.service?.count ?? 1),
    title: finding.title,
    partition,
    detectorId: finding.service?.detectorId,
    createdAt,
    updatedAt: finding.updatedAt,
    ipDetails,
    ...(principals.length > 1 || sequence ? { principals } : {}),
    ...(everyone.length > principals.length ? { principalsOmitted: everyone.length - principals.length } : {}),
    userAgent: userAgentOf(call?.userAgent),
    ...(screening.kind === 'drill'
      ? { sample: true, placeholders: screening.placeholders, placeholderTargets: screening.targets }
      : {}),
  };
  const checked = Incident.safeParse(candidate);
  if (!checked.success) {
    const { path, message } = firstIssue(checked.error);
    throw new InvalidFinding(prefix ? `${prefix} (normalized ${path})` : `(normalized ${path})`, message);
  }
  const incident = checked.data;
  const reason = ignoreReason(finding, options);
  return reason ? { status: 'ignored', reason, incident } : { status: 'accepted', incident };
}

function ignoreReason(finding: GuardDutyFinding, options: NormalizeOptions): string | undefined {
  if (!finding.type.includes(':S3/')) return `finding type ${finding.type} is not an S3 finding`;
  if (options.findingTypes && !matchesFindingType(finding.type, options.findingTypes)) {
    return `finding type ${finding.type} is not in the configured findingTypes`;
  }
  return undefined;
}

/** `Exfiltration:S3/` and `Exfiltration:S3/*` are prefixes; anything else matches exactly. */
export function matchesFindingType(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
    return pattern.endsWith('/') || pattern.endsWith('*') ? type.startsWith(prefix) : type === pattern;
  });
}

function bucketsOf(finding: GuardDutyFinding): string[] {
  const names = (finding.resource?.s3BucketDetails ?? []).map((bucket) => bucket.name);
  const affected = finding.service?.action?.awsApiCallAction?.affectedResources?.['AWS::S3::Bucket'];
  if (affected) names.push(affected);
  return [...new Set(names)];
}

function toIpDetails(remote: RemoteIpDetails): IpDetail[] {
  const ip = remote.ipAddressV4 ?? remote.ipAddressV6;
  if (!ip) return [];
  return [
    {
      ip,
      country: remote.country?.countryName ?? remote.country?.countryCode,
      city: remote.city?.cityName,
      asn: remote.organization?.asn,
      org: remote.organization?.asnOrg ?? remote.organization?.org ?? remote.organization?.isp,
    },
  ];
}

function uniqueByIp(details: IpDetail[]): IpDetail[] {
  const seen = new Set<string>();
  return details.filter((detail) => !seen.has(detail.ip) && seen.add(detail.ip) !== undefined);
}

/** `userAgent` as current findings carry it (`{fullUserAgent}`; the API form keeps `FullUserAgent`), or a plain string. */
function userAgentOf(value: unknown): string | undefined {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const text = typeof value === 'string' ? value : (record?.fullUserAgent ?? record?.FullUserAgent);
  if (typeof text !== 'string') return undefined;
  return clip(text, DISPLAY_LIMITS.userAgent) || undefined;
}

/**
 * An attack sequence's actor as a principal, in the account it acted from. An actor whose name,
 * ids or account fail the identifier rules, or that names no account at all, is kept as `Unknown`
 * (never acted on) rather than rejecting the whole sequence: the other actors are still contained.
 * An actor without an account is never assumed to be ours: a same-named identity of ours is innocent.
 */
function actorPrincipal(actor: SequenceActor, findingAccount: string, partition: string): Principal {
  const details = { ...actor.details };
  const account = actor.accountId;
  if (account === undefined) return { type: 'Unknown', rawType: details.userType?.slice(0, 64) };
  if (details.userType === 'AssumedRole' && details.userName?.includes('/')) {
    const [role, session] = details.userName.split('/');
    details.userName = role;
    if (session && !details.principalId?.includes(':'))
      details.principalId = `${details.principalId ?? 'AROA'}:${session}`;
  }
  const checked = {
    accessKeyId: AccessKeyId.safeParse(details.accessKeyId).success ? details.accessKeyId : undefined,
    principalId: PrincipalId.safeParse(details.principalId).success ? details.principalId : undefined,
    userName: details.userName,
    userType: details.userType,
  };
  try {
    return toPrincipal(checked, account, findingAccount, partition, 'service.detection.sequence.actors');
  } catch {
    return { type: 'Unknown', rawType: details.userType?.slice(0, 64) };
  }
}

/** The same identity named twice (by GuardDuty's access key details and an actor) is one principal. */
function uniquePrincipals(principals: Principal[]): Principal[] {
  const seen = new Set<string>();
  return principals.filter((principal) => {
    const key = principal.arn ?? principal.sessionIssuer ?? principal.accessKeyId ?? JSON.stringify(principal);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const ANONYMOUS_IDS = new Set(['ANONYMOUS_PRINCIPAL', 'anonymous']);

type AccessKeyDetails = { accessKeyId?: string; principalId?: string; userName?: string; userType?: string };

/**
 * Maps GuardDuty's `accessKeyDetails` onto a principal in the caller's `account`. For an assumed
 * role GuardDuty reports the role name as `userName` and `AROA…:<session>` as `principalId`; the
 * session ARN and the role ARN (the session issuer) are derived from them. An unrecognized type is
 * kept as `Unknown`.
 */
function toPrincipal(
  details: AccessKeyDetails,
  account: string,
  findingAccount: string,
  partition: string,
  path: string,
): Principal {
  const { accessKeyId, principalId, userType } = details;
  const userName = details.userName;
  const base = { accessKeyId, principalId, ...(account !== findingAccount ? { accountId: account } : {}) };
  const name = (value: string | undefined) => {
    if (value === undefined) return undefined;
    const result = IamName.safeParse(value);
    if (!result.success) throw new InvalidFinding(`${path}.userName`, result.error.issues[0]?.message ?? 'invalid');
    return result.data;
  };
  if (
    userType === 'Anonymous' ||
    (principalId !== undefined && ANONYMOUS_IDS.has(principalId)) ||
    (userName !== undefined && ANONYMOUS_IDS.has(userName))
  ) {
    return { type: 'Anonymous', principalId: principalId ?? 'ANONYMOUS_PRINCIPAL' };
  }
  switch (userType) {
    case 'IAMUser': {
      const user = name(userName);
      return { type: 'IAMUser', ...base, userName: user, arn: user && `arn:${partition}:iam::${account}:user/${user}` };
    }
    case 'AssumedRole': {
      const role = name(userName);
      const session = principalId?.includes(':') ? name(principalId.slice(principalId.indexOf(':') + 1)) : undefined;
      return {
        type: 'AssumedRole',
        ...base,
        userName: role,
        sessionName: session,
        sessionIssuer: role && `arn:${partition}:iam::${account}:role/${role}`,
        arn: role && session ? `arn:${partition}:sts::${account}:assumed-role/${role}/${session}` : undefined,
      };
    }
    case 'Root':
      return { type: 'Root', ...base, arn: `arn:${partition}:iam::${account}:root` };
    case 'FederatedUser': {
      const user = name(userName);
      return {
        type: 'FederatedUser',
        ...base,
        userName: user,
        arn: user && `arn:${partition}:sts::${account}:federated-user/${user}`,
      };
    }
    case 'AWSService':
      return { type: 'AWSService', ...base };
    default:
      return { type: 'Unknown', ...base, rawType: userType ? userType.slice(0, 64) : undefined };
  }
}

export type { Normalized } from './incident.js';
export const NormalizedSchema = z.union([
  z.object({ status: z.literal('accepted'), incident: Incident }),
  z.object({ status: z.literal('ignored'), reason: z.string(), incident: Incident.optional() }),
]);
