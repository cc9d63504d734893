import {
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AwsServiceError, awsErrorCode, mapAwsError } from '../errors.js';
import type { AccessKeyInfo, AccountScope, IamPort } from '../ports.js';
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

function present<T>(call: string, field: string, value: T | undefined): T {
  if (value === undefined) throw new AwsServiceError(`${call} answered without ${field}`);
  return value;
}

/**
 * The IAM port against AWS, in the incident's account. GetUser and GetRole answer undefined when
 * the identity no longer exists (NoSuchEntity); every other failure is a named error.
 * ListAccessKeys follows every page. UpdateAccessKey changes exactly the key it is given.
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

    updateAccessKey: ({ userName, accessKeyId, status, ...scope }) =>
      callAws('iam:UpdateAccessKey', async () => {
        await iamIn(scope).send(
          new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
        );
      }),
  };
}
