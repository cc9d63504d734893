import { App } from 'aws-cdk-lib';
import { CASES, type CaseName } from './cases.js';

/**
 * One integration case as a CDK app, in the account and Region the CLI resolved
 * (`CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`), or the placeholders the snapshots use.
 */
export async function integApp(name: CaseName, app = new App()): Promise<App> {
  const env = {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012',
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  };
  await CASES[name](app, env);
  return app;
}
