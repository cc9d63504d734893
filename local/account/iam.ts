import {
  AwsAccessDenied,
  AwsResourceNotFound,
  mapAwsError,
  ROLE_INLINE_POLICY_LIMIT_CHARS,
  USER_INLINE_POLICY_LIMIT_CHARS,
} from '../../handlers/shared/errors.js';
import type { IamPort, InlinePolicyTarget } from '../../handlers/shared/ports.js';
import type { AccountState, UserState } from './state.js';

const inlineKey = (target: InlinePolicyTarget) => `${target.kind}:${target.name}/${target.policyName}`;

/** IAM counts an inline policy's size in characters without whitespace, summed over the identity's inline policies. */
const counted = (text: string) => text.replace(/\s/g, '').length;

/** IAM of the in-memory account: users, roles, their access keys and inline policies. */
export function iamPort(state: AccountState): IamPort {
  const user = (userName: string): UserState => {
    const found = state.users.get(userName);
    if (!found) throw new AwsResourceNotFound(`iam: NoSuchEntity: The user with name ${userName} cannot be found.`);
    return found;
  };
  const inline = (target: InlinePolicyTarget): Map<string, string> => {
    const policies = (target.kind === 'role' ? state.roleInline : state.userInline).get(target.name);
    if (!policies)
      throw new AwsResourceNotFound(`iam: NoSuchEntity: The ${target.kind} with name ${target.name} cannot be found.`);
    return policies;
  };

  return {
    getUser: async (args) => {
      state.enter('iam:GetUser', args);
      const found = state.users.get(args.userName);
      return (
        found && { userName: args.userName, arn: found.arn, createDate: found.createDate, mfaDevices: found.mfaDevices }
      );
    },
    listUserTags: async (args) => {
      state.enter('iam:ListUserTags', args);
      return { ...(user(args.userName).tags ?? {}) };
    },
    getRole: async (args) => {
      state.enter('iam:GetRole', args);
      const role = state.roles.get(args.roleName);
      return role && { roleName: args.roleName, arn: role.arn, path: role.path };
    },
    listAccessKeys: async (args) => {
      state.enter('iam:ListAccessKeys', args);
      return user(args.userName).keys.map(({ accessKeyId, userName, status, createDate }) => ({
        accessKeyId,
        userName,
        status:
          state.lag.read('iam:ListAccessKeys', `key:${accessKeyId}`, status) === 'Inactive' ? 'Inactive' : 'Active',
        createDate,
      }));
    },
    getAccessKeyLastUsed: async (args) => {
      state.enter('iam:GetAccessKeyLastUsed', args);
      for (const candidate of state.users.values()) {
        const key = candidate.keys.find((entry) => entry.accessKeyId === args.accessKeyId);
        if (key) return { lastUsedDate: key.lastUsedDate, serviceName: key.lastUsedService };
      }
      throw new AwsAccessDenied(
        `iam:GetAccessKeyLastUsed failed: AccessDenied: key ${args.accessKeyId} is not in this account`,
      );
    },
    listMfaDevices: async (args) => {
      state.enter('iam:ListMFADevices', args);
      const found = user(args.userName);
      const prefix = found.arn.replace(/:user\/.*$/, ':mfa/');
      return Array.from({ length: found.mfaDevices ?? 0 }, (_, index) => ({
        serialNumber: `${prefix}${args.userName}${index === 0 ? '' : `-${index + 1}`}`,
      }));
    },
    getLoginProfile: async (args) => {
      state.enter('iam:GetLoginProfile', args);
      const profile = user(args.userName).loginProfile;
      return profile && { ...profile };
    },
    updateAccessKey: async (args) => {
      state.enter('iam:UpdateAccessKey', args);
      const key = user(args.userName).keys.find((candidate) => candidate.accessKeyId === args.accessKeyId);
      if (!key) throw new AwsResourceNotFound(`iam:UpdateAccessKey failed: NoSuchEntity: ${args.accessKeyId}`);
      state.lag.wrote(`key:${args.accessKeyId}`, key.status);
      key.status = args.status;
      state.writes.push({ call: 'iam:UpdateAccessKey', target: args.accessKeyId });
    },
    getInlinePolicy: async (args) => {
      const call = args.kind === 'role' ? 'iam:GetRolePolicy' : 'iam:GetUserPolicy';
      state.enter(call, args);
      return state.lag.read(call, inlineKey(args), inline(args).get(args.policyName));
    },
    putInlinePolicy: async (args) => {
      const call = args.kind === 'role' ? 'iam:PutRolePolicy' : 'iam:PutUserPolicy';
      state.enter(call, args);
      JSON.parse(args.document);
      const policies = inline(args);
      const limit = args.kind === 'role' ? ROLE_INLINE_POLICY_LIMIT_CHARS : USER_INLINE_POLICY_LIMIT_CHARS;
      const others = [...policies].filter(([name]) => name !== args.policyName).map(([, text]) => text);
      const size = [...others, args.document].reduce((sum, text) => sum + counted(text), 0);
      if (size > limit) {
        throw mapAwsError(
          call,
          Object.assign(new Error(`Maximum policy size of ${limit} bytes exceeded for ${args.kind} ${args.name}`), {
            name: 'LimitExceededException',
          }),
        );
      }
      state.lag.wrote(inlineKey(args), policies.get(args.policyName));
      policies.set(args.policyName, args.document);
      state.writes.push({ call, target: `${args.name}/${args.policyName}` });
    },
    deleteInlinePolicy: async (args) => {
      const call = args.kind === 'role' ? 'iam:DeleteRolePolicy' : 'iam:DeleteUserPolicy';
      state.enter(call, args);
      state.lag.wrote(inlineKey(args), inline(args).get(args.policyName));
      inline(args).delete(args.policyName);
      state.writes.push({ call, target: `${args.name}/${args.policyName}` });
    },
  };
}
