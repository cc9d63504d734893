import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../handlers/shared/errors.js';
import { loadPlaybooks } from '../playbooks/index.js';
import { parseConfig } from './config.js';
import { readConfigFile } from './config-file.js';
import { ResponderStack } from './responder-stack.js';

/**
 * The CDK app: the only reader of the environment and of the configuration (`cdk.json` context
 * `responder`, or `-c configFile=<path>` to a JSON file). Bad configuration stops synth with a
 * message naming the field.
 */
const app = new App();
const configFile = app.node.tryGetContext('configFile') as string | undefined;
let raw: unknown = app.node.tryGetContext('responder');
try {
  if (configFile) raw = readConfigFile(configFile);
  const config = parseConfig(raw);
  const playbooks = await loadPlaybooks();
  new ResponderStack(app, 'S3ExfilResponder', {
    config,
    playbooks,
    description: 's3-exfil-responder: S3 exfiltration incidents, enriched, approved in Slack, contained reversibly',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (error instanceof ConfigError || error instanceof SyntaxError) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
