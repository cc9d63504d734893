import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../handlers/shared/errors.js';
import { parseConfig } from './config.js';
import { MemberAccountStack, protectedRoleNames } from './member-stack.js';

/**
 * The member-account app (DESIGN §8a): the member stack alone, checked by cdk-nag AwsSolutions,
 * synthesized to a template a StackSet deploys to every member account (`npm run synth:member`,
 * into `cdk.out.member/`). What differs per deployment is a parameter; the responder configuration,
 * when there is one (as `infra/app.ts` reads it), only gives `ProtectedRoleNames` its default: the
 * names of the configured IR and break-glass roles.
 */
const app = new App();
const configFile = app.node.tryGetContext('configFile') as string | undefined;
let raw: unknown = app.node.tryGetContext('responder');
try {
  if (configFile) raw = JSON.parse(readFileSync(configFile, 'utf8'));
  const config = raw === undefined || raw === null ? undefined : parseConfig(raw);
  new MemberAccountStack(app, 'S3ExfilResponderMember', {
    protectedRoleNames: config && protectedRoleNames([...config.irRoleArns, ...config.breakGlassRoleArns]),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (error instanceof ConfigError || error instanceof SyntaxError) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
