import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MemberAccountStack } from './member-stack.js';

/**
 * The member-account app (DESIGN §8a): the member stack alone, checked by cdk-nag AwsSolutions,
 * synthesized to a template a StackSet deploys to every member account (`npm run synth:member`,
 * into `cdk.out.member/`). It reads no configuration: what differs per deployment is a parameter.
 */
const app = new App();
new MemberAccountStack(app, 'S3ExfilResponderMember');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
