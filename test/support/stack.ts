import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type ResponderConfigInput } from '../../infra/config.js';
import { ResponderStack } from '../../infra/responder-stack.js';
import { loadPlaybooks } from '../../playbooks/index.js';

export const BASE_CONFIG: ResponderConfigInput = {
  irRoleArns: ['arn:aws:iam::123456789012:role/IncidentResponder'],
  breakGlassRoleArns: ['arn:aws:iam::123456789012:role/BreakGlassAdmin'],
  approvers: ['U024BE7LH'],
  slackChannel: 'C0SECOPS01',
};

/** The stack as `cdk synth` builds it, without bundling the functions (unit-test speed). */
export async function synthStack(config: ResponderConfigInput = BASE_CONFIG) {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  const stack = new ResponderStack(app, 'S3ExfilResponder', {
    config: parseConfig(config),
    playbooks: await loadPlaybooks(),
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return { app, stack, template: Template.fromStack(stack) };
}
