import * as z from 'zod';
import type { CloudTrailRecord } from './cloudtrail.js';

/**
 * An access key created by the compromised credentials (CloudTrail `CreateAccessKey`), for any
 * user: its own containment item (deactivate), named with its user, key, time and source address.
 */
export const CreatedAccessKey = z.object({
  userName: z.string(),
  accessKeyId: z.string(),
  eventTime: z.string(),
  sourceIp: z.string().optional(),
  eventId: z.string().optional(),
  /** The key the call was signed with. */
  createdWith: z.string().optional(),
});
export type CreatedAccessKey = z.infer<typeof CreatedAccessKey>;

/** Any other foothold the credentials left (a console password, a policy, a role or user): named with what to do. */
export const PersistenceChange = z.object({
  eventName: z.string(),
  eventTime: z.string(),
  sourceIp: z.string().optional(),
  eventId: z.string().optional(),
  /** What it changed: `user/alice`, `role/ops`, `group/admins`, `policy/…`. */
  target: z.string(),
  /** One line: what a responder should do about it. */
  remedy: z.string(),
});
export type PersistenceChange = z.infer<typeof PersistenceChange>;

export const Persistence = z.object({
  createdKeys: z.array(CreatedAccessKey),
  changes: z.array(PersistenceChange),
});
export type Persistence = z.infer<typeof Persistence>;

/** At most this many keys and changes are kept (the state machine's payload is bounded). */
export const MAX_PERSISTENCE = 50;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

interface Change {
  /** What the event changes, and the request parameter that names it. */
  readonly kind: 'user' | 'role' | 'group' | 'policy';
  readonly nameField: string;
  /** Whether a call without the name acts on the caller itself (`CreateLoginProfile` for oneself). */
  readonly callerDefault?: boolean;
  readonly remedy: (name: string, parameters: Record<string, unknown>) => string;
}

const policyOf = (parameters: Record<string, unknown>) =>
  text(parameters.policyArn) ?? text(parameters.policyName) ?? 'the policy';

/** The footholds other than keys, by event name: what was changed and what to do about it. */
const CHANGES: Record<string, Change> = {
  CreateLoginProfile: {
    kind: 'user',
    nameField: 'userName',
    callerDefault: true,
    remedy: (user) =>
      `Delete the console password of ${user} (DeleteLoginProfile) unless its owner set it; review its MFA devices`,
  },
  UpdateLoginProfile: {
    kind: 'user',
    nameField: 'userName',
    callerDefault: true,
    remedy: (user) => `Reset the console password of ${user} with its owner and revoke its console sessions`,
  },
  CreateUser: {
    kind: 'user',
    nameField: 'userName',
    remedy: (user) => `Review the new user ${user}; delete it (keys, password, policies) if nobody expected it`,
  },
  CreateRole: {
    kind: 'role',
    nameField: 'roleName',
    remedy: (role) => `Review the new role ${role} and whom it trusts; delete it if nobody expected it`,
  },
  UpdateAssumeRolePolicy: {
    kind: 'role',
    nameField: 'roleName',
    remedy: (role) => `Restore the trust policy of role ${role}: the new one may let an outside principal assume it`,
  },
  PutUserPolicy: {
    kind: 'user',
    nameField: 'userName',
    remedy: (user, p) => `Delete inline policy ${policyOf(p)} of user ${user} (DeleteUserPolicy) unless expected`,
  },
  AttachUserPolicy: {
    kind: 'user',
    nameField: 'userName',
    remedy: (user, p) => `Detach ${policyOf(p)} from user ${user} (DetachUserPolicy) unless expected`,
  },
  PutRolePolicy: {
    kind: 'role',
    nameField: 'roleName',
    remedy: (role, p) => `Delete inline policy ${policyOf(p)} of role ${role} (DeleteRolePolicy) unless expected`,
  },
  AttachRolePolicy: {
    kind: 'role',
    nameField: 'roleName',
    remedy: (role, p) => `Detach ${policyOf(p)} from role ${role} (DetachRolePolicy) unless expected`,
  },
  PutGroupPolicy: {
    kind: 'group',
    nameField: 'groupName',
    remedy: (group, p) => `Delete inline policy ${policyOf(p)} of group ${group} (DeleteGroupPolicy) unless expected`,
  },
  AttachGroupPolicy: {
    kind: 'group',
    nameField: 'groupName',
    remedy: (group, p) => `Detach ${policyOf(p)} from group ${group} (DetachGroupPolicy) unless expected`,
  },
  AddUserToGroup: {
    kind: 'group',
    nameField: 'groupName',
    remedy: (group, p) =>
      `Remove user ${text(p.userName) ?? '(unnamed)'} from group ${group} (RemoveUserFromGroup) unless expected`,
  },
  CreatePolicyVersion: {
    kind: 'policy',
    nameField: 'policyArn',
    remedy: (policy) => `Review the new version of ${policy}; if it is the default, restore the previous one`,
  },
  SetDefaultPolicyVersion: {
    kind: 'policy',
    nameField: 'policyArn',
    remedy: (policy, p) =>
      `Review version ${text(p.versionId) ?? '(unknown)'} of ${policy}, now its default; restore the earlier one if unexpected`,
  },
};

/** The management events whose success leaves a foothold: read by `persistenceOf`. */
export const PERSISTENCE_EVENTS: ReadonlySet<string> = new Set(['CreateAccessKey', ...Object.keys(CHANGES)]);

/**
 * The footholds among the management events the compromised credentials made (`records`, oldest
 * first): the access keys they created (`CreateAccessKey`: the new key is
 * `responseElements.accessKey.accessKeyId`, its user `requestParameters.userName`, else the
 * response's, else the caller), and the console passwords, users, roles and policy changes they
 * made. Failed calls (an `errorCode`) left nothing and are not counted.
 */
export function persistenceOf(records: readonly CloudTrailRecord[]): Persistence & { omitted: number } {
  const createdKeys: CreatedAccessKey[] = [];
  const changes: PersistenceChange[] = [];
  for (const record of records) {
    if (record.errorCode || !PERSISTENCE_EVENTS.has(record.eventName)) continue;
    const parameters = record.requestParameters ?? {};
    const caller = record.userIdentity?.type === 'IAMUser' ? text(record.userIdentity.userName) : undefined;
    const when = {
      eventTime: record.eventTime,
      ...(record.sourceIPAddress && { sourceIp: record.sourceIPAddress }),
      ...(record.eventID && { eventId: record.eventID }),
    };
    if (record.eventName === 'CreateAccessKey') {
      const key = field(record.responseElements, 'accessKey');
      const accessKeyId = text(field(key, 'accessKeyId'));
      const userName = text(parameters.userName) ?? text(field(key, 'userName')) ?? caller;
      if (!accessKeyId || !userName || createdKeys.some((entry) => entry.accessKeyId === accessKeyId)) continue;
      createdKeys.push({
        userName,
        accessKeyId,
        ...when,
        ...(record.userIdentity?.accessKeyId && { createdWith: record.userIdentity.accessKeyId }),
      });
      continue;
    }
    const change = CHANGES[record.eventName];
    const name = change && (text(parameters[change.nameField]) ?? (change.callerDefault ? caller : undefined));
    if (!change || !name) continue;
    changes.push({
      eventName: record.eventName,
      ...when,
      target: `${change.kind}/${name}`,
      remedy: change.remedy(name, parameters),
    });
  }
  const omitted = Math.max(0, createdKeys.length - MAX_PERSISTENCE) + Math.max(0, changes.length - MAX_PERSISTENCE);
  return { createdKeys: createdKeys.slice(0, MAX_PERSISTENCE), changes: changes.slice(0, MAX_PERSISTENCE), omitted };
}
