import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { requireEnv } from '../env.js';
import { mapAwsError } from '../errors.js';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  MEMBER_ROLE_SUFFIX,
  type MemberRoleKind,
  memberRoleNameFor,
  ROLE_SESSION_NAME,
} from '../member-roles.js';
import type { AccountScope } from '../ports.js';
import { traced } from '../tracing.js';

export { DEFAULT_MEMBER_ROLE_NAME, MEMBER_ROLE_SUFFIX, type MemberRoleKind, memberRoleNameFor, ROLE_SESSION_NAME };

/** What an SDK v3 client accepts for its credentials: a provider of (temporary) keys. */
export type AwsCredentialIdentityProvider = ReturnType<typeof fromTemporaryCredentials>;

/** The part of an SDK v3 client configuration that depends on the target account and Region. */
export interface AccountClientConfig {
  region?: string;
  credentials?: AwsCredentialIdentityProvider;
}

interface AccountSettings {
  readonly homeAccountId: string;
  readonly memberRoleName: string;
  readonly partition: string;
}

let settings: AccountSettings | undefined;
const clients = new Map<string, unknown>();

function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function accountSettings(): AccountSettings {
  settings ??= {
    homeAccountId: requireEnv('HOME_ACCOUNT_ID'),
    // Unset: the read-only role, so a function that was not told its role can never write.
    memberRoleName: optionalEnv('MEMBER_ROLE_NAME', memberRoleNameFor(DEFAULT_MEMBER_ROLE_NAME, 'read')),
    partition: optionalEnv('AWS_PARTITION', 'aws'),
  };
  return settings;
}

function configFor(scope: AccountScope): AccountClientConfig {
  const { homeAccountId, memberRoleName, partition } = accountSettings();
  const config: AccountClientConfig = scope.region ? { region: scope.region } : {};
  if (scope.accountId === homeAccountId) return config;
  config.credentials = fromTemporaryCredentials({
    params: {
      RoleArn: `arn:${partition}:iam::${scope.accountId}:role/${memberRoleName}`,
      RoleSessionName: ROLE_SESSION_NAME,
    },
  });
  return config;
}

/**
 * The client of one service (`key`) for one account and Region (DESIGN §8a). The deployment's own
 * account (`HOME_ACCOUNT_ID`) uses the function's default credentials; any other account uses
 * credentials from assuming `arn:<AWS_PARTITION>:iam::<account>:role/<MEMBER_ROLE_NAME>` (the member
 * role of the function's kind of work), so every call acts in the finding's account. One client per key, account and Region is
 * kept for the life of the container; the environment is read on first use.
 */
export function clientFor<C>(key: string, make: (config: AccountClientConfig) => C, scope: AccountScope): C {
  const id = `${key}|${scope.accountId}|${scope.region ?? ''}`;
  if (clients.has(id)) return clients.get(id) as C;
  const client = traced(make(configFor(scope)));
  clients.set(id, client);
  return client;
}

/** Forgets every client and the environment read, so a test can change either. */
export function resetClientCache(): void {
  clients.clear();
  settings = undefined;
}

/**
 * Runs one AWS call and rethrows its failure as a named error (`mapAwsError`), keeping the call
 * name (`service:Operation`, as the fault injector and the report spell it) in the message.
 */
export async function callAws<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapAwsError(call, error);
  }
}
