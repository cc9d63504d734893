import { task } from '../shared/define-task.js';
import { maskKey } from '../shared/ids.js';
import { ownerOf } from '../shared/owner.js';
import type { AccessKeyInfo, IamPort } from '../shared/ports.js';
import { principalOfType } from '../shared/render/words.js';
import type { Incident } from '../shared/schemas/incident.js';
import type { KeyFacts, MfaFacts, PrincipalFacts } from '../shared/schemas/principal-facts.js';
import { isManagedAccount } from '../shared/schemas/settings.js';
import { attempt, IncidentTaskInput, isUnavailable, type Unavailable } from '../shared/schemas/task-input.js';

/** A key or a console password created this long before the first activity, or later, is flagged. */
export const RECENT_HOURS = 72;

/**
 * Looks the principal up in IAM: the user (every key with its status and last use, keys created
 * recently, MFA devices, console password) or the role behind a session (is it service-linked or
 * made by IAM Identity Center?). Resolves the ARN with its path, which GuardDuty does not report.
 * Each lookup that fails degrades its own part to `{status:'unavailable', reason}`; the rest stands.
 */
export const describePrincipal = task({
  name: 'describePrincipal',
  input: IncidentTaskInput,
  async run({ incident, settings }, ports: { iam: IamPort }): Promise<PrincipalFacts> {
    const { principal } = incident;
    const account = principal.accountId ?? incident.accountId;
    if (!isManagedAccount(settings, account, incident.accountId)) {
      return {
        status: 'ok',
        type: principal.type,
        // What `aws:PrincipalArn` carries: the user's ARN, or the role's for a session. Not confirmed by IAM.
        resolvedArn: principal.type === 'AssumedRole' ? principal.sessionIssuer : principal.arn,
        identityLookup: {
          status: 'unavailable',
          reason: `account ${account} is not managed by this deployment`,
          error: 'NotManaged',
        },
        otherKeys: [],
        recentKeys: [],
        notes: [`the caller is in account ${account}, which this deployment does not manage: not looked up in IAM`],
      };
    }
    if (principal.type === 'IAMUser' && principal.userName) {
      return describeUser(incident, principal.userName, ports.iam);
    }
    const roleName =
      principal.type === 'AssumedRole' ? (principal.userName ?? lastSegment(principal.sessionIssuer)) : undefined;
    if (roleName) return describeRole(incident, roleName, ports.iam);
    return {
      status: 'ok',
      type: principal.type,
      resolvedArn: principal.arn,
      otherKeys: [],
      recentKeys: [],
      notes: [`no IAM identity to describe for ${principalOfType(principal.type)}`],
    };
  },
});

async function describeUser(incident: Incident, userName: string, iam: IamPort): Promise<PrincipalFacts> {
  const { principal } = incident;
  const accountId = principal.accountId ?? incident.accountId;
  const notes: string[] = [];
  const since = Date.parse(incident.firstSeen) - RECENT_HOURS * 3600_000;
  const user = await attempt(() => iam.getUser({ accountId, userName }));
  if (user === undefined) {
    notes.push(`IAM user ${userName} no longer exists`);
    return {
      status: 'ok',
      type: principal.type,
      resolvedArn: principal.arn,
      userName,
      otherKeys: [],
      recentKeys: [],
      notes,
    };
  }
  if (isUnavailable(user))
    notes.push(`GetUser failed (${user.reason}): the ARN is the finding's and may lack its path`);

  const [keys, devices, profile, tags] = await Promise.all([
    attempt(() => iam.listAccessKeys({ accountId, userName })),
    attempt(() => iam.listMfaDevices({ accountId, userName })),
    attempt(() => iam.getLoginProfile({ accountId, userName })),
    attempt(() => iam.listUserTags({ accountId, userName })),
  ]);
  const owner = isUnavailable(tags) ? undefined : ownerOf(tags);
  if (isUnavailable(tags)) notes.push(`ListUserTags failed (${tags.reason}): the user's owner in Slack is unknown`);

  const facts = isUnavailable(keys) ? [] : await Promise.all(keys.map((key) => keyFacts(iam, accountId, key, since)));
  if (isUnavailable(keys)) notes.push(`ListAccessKeys failed (${keys.reason}): the user's keys are unknown`);
  const findingKey = facts.find((key) => key.accessKeyId === principal.accessKeyId);
  if (principal.accessKeyId && !findingKey && !isUnavailable(keys)) {
    notes.push(`the finding's key is not among ${userName}'s keys (temporary credentials, or already deleted)`);
  }
  for (const key of facts) {
    if (key.recent) {
      notes.push(
        `key ${maskKey(key.accessKeyId)} was created ${key.createDate}, within ${RECENT_HOURS} h before the first activity or later: a sign of persistence`,
      );
    }
    if (key.lastUsedLookup) {
      notes.push(`last use of key ${maskKey(key.accessKeyId)} is unknown: ${key.lastUsedLookup.reason}`);
    }
  }

  const mfa: MfaFacts | Unavailable = isUnavailable(devices)
    ? devices
    : { devices: devices.length, enabled: devices.length > 0 };
  if (!isUnavailable(mfa) && !mfa.enabled) notes.push(`${userName} has no MFA device`);
  const consoleAccess = isUnavailable(profile) ? profile : profile !== undefined;
  const passwordCreated = isUnavailable(profile) ? undefined : profile?.createDate;
  if (passwordCreated && Date.parse(passwordCreated) >= since) {
    notes.push(
      `${userName}'s console password was created ${passwordCreated}, within ${RECENT_HOURS} h before the first activity or later: a sign of persistence`,
    );
  }

  return {
    status: 'ok',
    type: principal.type,
    resolvedArn: isUnavailable(user) ? principal.arn : user.arn,
    createDate: isUnavailable(user) ? undefined : user.createDate,
    identityLookup: isUnavailable(user) ? user : undefined,
    userName,
    findingKey,
    otherKeys: facts.filter((key) => key.accessKeyId !== principal.accessKeyId),
    keysLookup: isUnavailable(keys) ? keys : undefined,
    recentKeys: facts.filter((key) => key.recent).map((key) => key.accessKeyId),
    mfa,
    consoleAccess,
    consolePasswordCreateDate: passwordCreated,
    ownerSlackUserId: owner,
    ownerLookup: isUnavailable(tags) ? tags : undefined,
    notes,
  };
}

async function describeRole(incident: Incident, roleName: string, iam: IamPort): Promise<PrincipalFacts> {
  const { principal } = incident;
  const accountId = principal.accountId ?? incident.accountId;
  const notes: string[] = [];
  const role = await attempt(() => iam.getRole({ accountId, roleName }));
  if (role === undefined) notes.push(`IAM role ${roleName} no longer exists`);
  if (isUnavailable(role)) {
    notes.push(`GetRole failed (${role.reason}): service-linked and SSO are judged from the role's name`);
  }
  const found = role && !isUnavailable(role) ? role : undefined;
  // Without GetRole, the session issuer's ARN may still carry the path (a CloudTrail detection's does).
  const path = found?.path ?? rolePath(principal.sessionIssuer);
  const sessionName = principal.sessionName ?? (principal.arn ? lastSegment(principal.arn) : undefined);
  return {
    status: 'ok',
    type: principal.type,
    resolvedArn: found?.arn ?? principal.sessionIssuer,
    createDate: found?.createDate,
    identityLookup: isUnavailable(role) ? role : undefined,
    roleName,
    sessionIssuer: principal.sessionIssuer,
    sessionName,
    serviceLinked: path ? path.startsWith('/aws-service-role/') : roleName.startsWith('AWSServiceRoleFor'),
    ssoManaged: path?.startsWith('/aws-reserved/sso.amazonaws.com/') === true || roleName.startsWith('AWSReservedSSO_'),
    otherKeys: [],
    recentKeys: [],
    notes,
  };
}

async function keyFacts(iam: IamPort, accountId: string, key: AccessKeyInfo, since: number): Promise<KeyFacts> {
  const used = await attempt(() => iam.getAccessKeyLastUsed({ accountId, accessKeyId: key.accessKeyId }));
  const created = key.createDate ? Date.parse(key.createDate) : Number.NaN;
  return {
    accessKeyId: key.accessKeyId,
    status: key.status,
    createDate: key.createDate,
    lastUsedDate: isUnavailable(used) ? undefined : used.lastUsedDate,
    lastUsedService: isUnavailable(used) ? undefined : used.serviceName,
    lastUsedRegion: isUnavailable(used) ? undefined : used.region,
    recent: created >= since,
    lastUsedLookup: isUnavailable(used) ? used : undefined,
  };
}

function lastSegment(arn: string | undefined): string | undefined {
  const segment = arn?.split('/').at(-1);
  return segment || undefined;
}

/** The path in a role ARN (`arn:…:role/<path>/<name>`), or undefined when the ARN has none. */
function rolePath(arn: string | undefined): string | undefined {
  const match = arn ? /:role(\/.+\/)[^/]+$/.exec(arn) : null;
  return match?.[1];
}
