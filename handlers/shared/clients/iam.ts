import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AwsServiceError, awsErrorCode, mapAwsError } from '../errors.js';
import type { AccessKeyInfo, AccountScope, IamPort, InlinePolicyTarget, MfaDeviceInfo } from '../ports.js';
import { callAws, clientFor } from './accounts.js';

/** IAM is global: one client per account, whatever Region the incident names. */
const iamIn = (scope: AccountScope) =>
  clientFor('iam', (config) => new IAMClient(config), { accountId: scope.accountId });

const iso = (date: Date | undefined) => date?.toISOString();

/** IAM reports "N/A" for the service and Region of a key that was never used. */
const known = (value: string | undefined) => (value && value !== 'N/A' ? value : undefined);

async function unlessNoSuchEntity<T>(call: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NoSuchEntityException || awsErrorCode(error) === 'NoSuchEntity') return undefined;
    throw mapAwsError(call, error);
  }
}

/**
 * IAM returns an inline policy's `PolicyDocument` URL-encoded (RFC 3986); the port deals in the
 * JSON text as written, so it is decoded here. `+` is not a space in RFC 3986 and stays as is.
 */
function decodePolicyDocument(call: string, encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new AwsServiceError(`${call} answered a PolicyDocument that is not URL-encoded text`);
  }
}

/** The IAM call name for an inline policy operation on a role or a user (`iam:GetRolePolicy`…). */
const inlineCall = (verb: 'Get' | 'Put' | 'Delete', target: InlinePolicyTarget) =>
  `iam:${verb}${target.kind === 'role' ? 'Role' : 'User'}Policy`;

function present<T>(call: string, field: string, value: T | undefined): T {
  if (value === undefined) throw new AwsServiceError(`${call} answered without ${field}`);
  return value;
}

/**
 * The IAM port against AWS, in the incident's account. GetUser and GetRole answer undefined when
 * the identity no longer exists (NoSuchEntity); every other failure is a named error.
 * ListAccessKeys and ListMFADevices follow every page. GetLoginProfile answers undefined when the
 * user has no console password (NoSuchEntity). UpdateAccessKey changes exactly the key it is given.
 * Inline policies of a role or a user: Get{Role,User}Policy answers the decoded JSON text, or
 * undefined when there is no such policy (or no such identity); Put writes the text exactly as
 * given; Delete of a policy that is already gone is done, not an error.
 */
export function awsIamPort(): IamPort {
  return {
    getUser: ({ userName, ...scope }) =>
      unlessNoSuchEntity('iam:GetUser', async () => {
        const { User } = await iamIn(scope).send(new GetUserCommand({ UserName: userName }));
        const user = present('iam:GetUser', 'User', User);
        return {
          userName: user.UserName ?? userName,
          arn: present('iam:GetUser', 'Arn', user.Arn),
          createDate: iso(user.CreateDate),
        };
      }),

    getRole: ({ roleName, ...scope }) =>
      unlessNoSuchEntity('iam:GetRole', async () => {
        const { Role } = await iamIn(scope).send(new GetRoleCommand({ RoleName: roleName }));
        const role = present('iam:GetRole', 'Role', Role);
        return {
          roleName: role.RoleName ?? roleName,
          arn: present('iam:GetRole', 'Arn', role.Arn),
          path: role.Path ?? '/',
          createDate: iso(role.CreateDate),
        };
      }),

    listAccessKeys: ({ userName, ...scope }) =>
      callAws('iam:ListAccessKeys', async () => {
        const keys: AccessKeyInfo[] = [];
        let marker: string | undefined;
        do {
          const page = await iamIn(scope).send(new ListAccessKeysCommand({ UserName: userName, Marker: marker }));
          for (const key of page.AccessKeyMetadata ?? []) {
            if (!key.AccessKeyId) continue;
            keys.push({
              accessKeyId: key.AccessKeyId,
              userName: key.UserName ?? userName,
              status: key.Status === 'Active' ? 'Active' : 'Inactive',
              createDate: iso(key.CreateDate),
            });
          }
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return keys;
      }),

    getAccessKeyLastUsed: ({ accessKeyId, ...scope }) =>
      callAws('iam:GetAccessKeyLastUsed', async () => {
        const { AccessKeyLastUsed: used } = await iamIn(scope).send(
          new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
        );
        return {
          lastUsedDate: iso(used?.LastUsedDate),
          serviceName: known(used?.ServiceName),
          region: known(used?.Region),
        };
      }),

    listMfaDevices: ({ userName, ...scope }) =>
      callAws('iam:ListMFADevices', async () => {
        const devices: MfaDeviceInfo[] = [];
        let marker: string | undefined;
        do {
          const page = await iamIn(scope).send(new ListMFADevicesCommand({ UserName: userName, Marker: marker }));
          for (const device of page.MFADevices ?? []) {
            if (!device.SerialNumber) continue;
            devices.push({ serialNumber: device.SerialNumber, enableDate: iso(device.EnableDate) });
          }
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return devices;
      }),

    listUserTags: ({ userName, ...scope }) =>
      callAws('iam:ListUserTags', async () => {
        const tags: Record<string, string> = {};
        let marker: string | undefined;
        do {
          const page = await iamIn(scope).send(new ListUserTagsCommand({ UserName: userName, Marker: marker }));
          for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return tags;
      }),

    getLoginProfile: ({ userName, ...scope }) =>
      unlessNoSuchEntity('iam:GetLoginProfile', async () => {
        const { LoginProfile } = await iamIn(scope).send(new GetLoginProfileCommand({ UserName: userName }));
        const profile = present('iam:GetLoginProfile', 'LoginProfile', LoginProfile);
        return { createDate: iso(profile.CreateDate), passwordResetRequired: profile.PasswordResetRequired };
      }),

    updateAccessKey: ({ userName, accessKeyId, status, ...scope }) =>
      callAws('iam:UpdateAccessKey', async () => {
        await iamIn(scope).send(
          new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
        );
      }),

    getInlinePolicy: ({ kind, name, policyName, ...scope }) => {
      const call = inlineCall('Get', { kind, name, policyName });
      return unlessNoSuchEntity(call, async () => {
        const { PolicyDocument } =
          kind === 'role'
            ? await iamIn(scope).send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
            : await iamIn(scope).send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }));
        return decodePolicyDocument(call, present(call, 'PolicyDocument', PolicyDocument));
      });
    },

    putInlinePolicy: ({ kind, name, policyName, document, ...scope }) =>
      callAws(inlineCall('Put', { kind, name, policyName }), async () => {
        if (kind === 'role') {
          await iamIn(scope).send(
            new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: document }),
          );
        } else {
          await iamIn(scope).send(
            new PutUserPolicyCommand({ UserName: name, PolicyName: policyName, PolicyDocument: document }),
          );
        }
      }),

    deleteInlinePolicy: async ({ kind, name, policyName, ...scope }) => {
      await unlessNoSuchEntity(inlineCall('Delete', { kind, name, policyName }), async () => {
        if (kind === 'role') {
          await iamIn(scope).send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
        } else {
          await iamIn(scope).send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName }));
        }
      });
    },
  };
}
