import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../handlers/shared/errors.js';
import { loadPlaybooks } from '../playbooks/index.js';
import { parseConfig } from './config.js';
import { RegionalForwarderStack } from './forwarder-stack.js';
import { forwardedPatterns } from './forwarding.js';

/**
 * The regional forwarder app (`npm run synth:forwarder`, into `cdk.out.forwarder/`): the forwarder
 * stack alone, checked by cdk-nag AwsSolutions, for a StackSet to every Region and account. It reads
 * the same configuration as the responder app, so it forwards exactly what the home rules match;
 * the home bus is a parameter.
 */
const app = new App();
const configFile = app.node.tryGetContext('configFile') as string | undefined;
let raw: unknown = app.node.tryGetContext('responder');
try {
  if (configFile) raw = JSON.parse(readFileSync(configFile, 'utf8'));
  const patterns = forwardedPatterns(parseConfig(raw), await loadPlaybooks());
  new RegionalForwarderStack(app, 'S3ExfilResponderForwarder', { patterns });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (error instanceof ConfigError || error instanceof SyntaxError) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
