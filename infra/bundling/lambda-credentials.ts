import { fromEnv } from '@aws-sdk/credential-providers';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the handler bundles (`bundle.ts`), never
 * in tests or the CLI. Lambda hands the function its role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, the first link of the SDK's default chain, and
 * the one that answers there; the rest of the chain (profiles, SSO, login, process, web identity,
 * container and instance metadata) never runs in a function but is 80-100 KB of every bundle.
 * Member-account credentials (`fromTemporaryCredentials`) are assumed with these. Without the
 * variables the SDK call fails naming them.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
