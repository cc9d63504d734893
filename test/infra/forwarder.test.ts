import { isDeepStrictEqual } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DetectionRule } from '../../handlers/detect/detection.js';
import { ConfigError } from '../../handlers/shared/errors.js';
import { parseConfig, type ResponderConfigInput } from '../../infra/config.js';
import { FORWARDER_RULE_DESCRIPTION, RegionalForwarderStack } from '../../infra/forwarder-stack.js';
import { forwardedPatterns } from '../../infra/forwarding.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { matchesPattern } from '../support/event-pattern.js';
import { DETECTION_SAMPLES, FINDING_SAMPLES } from '../support/rule-samples.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };

async function forwarderApp(config: ResponderConfigInput = BASE_CONFIG) {
  const app = new App();
  const patterns = forwardedPatterns(parseConfig(config), await loadPlaybooks());
  const stack = new RegionalForwarderStack(app, 'S3ExfilResponderForwarder', { patterns });
  return { app, stack, patterns, template: Template.fromStack(stack) };
}

/** The EventPattern of every forwarding rule, by rule id (from its description). */
function forwarded(template: Template): Record<string, unknown> {
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
  return Object.fromEntries(
    rules.map((rule) => [
      String(rule.Properties.Description)
        .replace(`${FORWARDER_RULE_DESCRIPTION} `, '')
        .replace(' to the home Region', ''),
      rule.Properties.EventPattern,
    ]),
  );
}

const pascal = (rule: string) => rule.replace(/(^|-)([a-z])/g, (_, __, char: string) => char.toUpperCase());

let forwarder: Awaited<ReturnType<typeof forwarderApp>>;
let home: Awaited<ReturnType<typeof synthStack>>;

beforeAll(async () => {
  [forwarder, home] = await Promise.all([forwarderApp(), synthStack()]);
});

describe('the regional forwarder: the home rules’ own patterns', () => {
  it('forwards with exactly the patterns of the home stack’s GuardDuty and CloudTrail rules, bulk-download excepted', () => {
    // Event rules only: the close sweep's schedule rule has no pattern and is not forwarded.
    const homePatterns = (Object.values(home.template.findResources('AWS::Events::Rule')) as Resource[])
      .map((rule) => rule.Properties.EventPattern)
      .filter((pattern) => pattern !== undefined);
    const forwardedPatterns = Object.values(forwarded(forwarder.template));

    expect(Object.keys(forwarded(forwarder.template)).sort()).toEqual([
      'AnonymousRareSource',
      'CrossAccountCopy',
      'ExternalKmsCopy',
      'S3ExfiltrationFindings',
    ]);
    for (const pattern of forwardedPatterns) expect(homePatterns).toContainEqual(pattern);
    const unforwarded = homePatterns.filter(
      (pattern) => !forwardedPatterns.some((mine) => isDeepStrictEqual(mine, pattern)),
    );
    expect(unforwarded).toEqual([
      expect.objectContaining({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }),
    ]);
  });

  it.each(FINDING_SAMPLES.match)('forwards %s', (_label, sample) => {
    expect(matchesPattern(forwarded(forwarder.template).S3ExfiltrationFindings, sample)).toBe(true);
  });

  it.each(FINDING_SAMPLES.miss)('does not forward %s as a finding', (_label, sample) => {
    expect(matchesPattern(forwarded(forwarder.template).S3ExfiltrationFindings, sample)).toBe(false);
  });

  const forwardedDetections: DetectionRule[] = ['cross-account-copy', 'external-kms-copy', 'anonymous-rare-source'];
  describe.each(forwardedDetections)('%s', (rule) => {
    it.each(DETECTION_SAMPLES[rule].match)('forwards %s', (_label, sample) => {
      expect(matchesPattern(forwarded(forwarder.template)[pascal(rule)], sample)).toBe(true);
    });

    it.each(DETECTION_SAMPLES[rule].miss)('does not forward %s', (_label, sample) => {
      expect(matchesPattern(forwarded(forwarder.template)[pascal(rule)], sample)).toBe(false);
    });
  });

  it('follows the configured finding types and forwards no detection when detections are off', async () => {
    const narrow = await forwarderApp({
      ...BASE_CONFIG,
      findingTypes: ['Exfiltration:S3/MaliciousIPCaller'],
      detections: { enabled: false },
    });

    expect(forwarded(narrow.template)).toEqual({
      S3ExfiltrationFindings: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { type: ['Exfiltration:S3/MaliciousIPCaller'] },
      },
    });
  });
});

describe('the regional forwarder stack (StackSets)', () => {
  it('sends every rule to the home bus parameter through one role that may only put events there, with a DLQ', () => {
    const roles = Object.keys(forwarder.template.findResources('AWS::IAM::Role'));
    const queues = Object.keys(forwarder.template.findResources('AWS::SQS::Queue'));
    expect(roles).toHaveLength(1);
    expect(queues).toHaveLength(1);

    for (const rule of Object.values(forwarder.template.findResources('AWS::Events::Rule')) as Resource[]) {
      expect(rule.Properties.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: { Ref: 'HomeEventBusArn' },
          RoleArn: { 'Fn::GetAtt': [roles[0], 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queues[0], 'Arn'] } },
        },
      ]);
    }
    forwarder.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }],
      },
    });
    const policies = Object.values(forwarder.template.findResources('AWS::IAM::Policy')) as Resource[];
    expect(policies.map((policy) => (policy.Properties.PolicyDocument as { Statement: unknown }).Statement)).toEqual([
      [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: { Ref: 'HomeEventBusArn' } }],
    ]);
  });

  it('creates nothing but a no-op placeholder where the home bus is this Region’s own bus', () => {
    const resources = forwarder.template.toJSON().Resources as Record<string, Resource>;
    const unconditioned = Object.values(resources).filter((resource) => resource.Condition !== 'Forwards');

    expect(unconditioned.map((resource) => resource.Type)).toEqual(['AWS::CloudFormation::WaitConditionHandle']);
    forwarder.template.hasCondition('Forwards', {
      'Fn::Not': [
        {
          'Fn::Equals': [
            { Ref: 'HomeEventBusArn' },
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':event-bus/default',
                ],
              ],
            },
          ],
        },
      ],
    });
  });

  it('takes only a default event bus ARN as its one parameter, with no assets and no bootstrap check', () => {
    const template = forwarder.template.toJSON();

    expect(Object.keys(template.Parameters)).toEqual(['HomeEventBusArn']);
    const pattern = new RegExp(template.Parameters.HomeEventBusArn.AllowedPattern);
    expect(pattern.test('arn:aws:events:us-east-1:111122223333:event-bus/default')).toBe(true);
    expect(pattern.test('arn:aws:events:us-east-1:111122223333:event-bus/attacker-bus')).toBe(false);
    expect(pattern.test('arn:aws:sqs:us-east-1:111122223333:queue')).toBe(false);
    expect(template.Rules).toBeUndefined();
    expect(forwarder.app.synth().getStackByName(forwarder.stack.stackName).assets).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions', async () => {
    const app = new App();
    const stack = new RegionalForwarderStack(app, 'Forwarder', { patterns: forwarder.patterns });
    const { Validations } = await import('aws-cdk-lib');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});

describe('the home bus accepts forwarded events from the organization only', () => {
  const busPolicies = (template: Template) => Object.values(template.findResources('AWS::Events::EventBusPolicy'));

  it('allows PutEvents on the default bus to principals of the configured organization, and nobody else', async () => {
    const { template } = await synthStack({ ...BASE_CONFIG, organizationId: 'o-a1b2c3d4e5' });

    expect(busPolicies(template)).toEqual([
      {
        Type: 'AWS::Events::EventBusPolicy',
        Properties: {
          EventBusName: 'default',
          StatementId: 'S3ExfilResponderForwardedEvents',
          Statement: {
            Sid: 'S3ExfilResponderForwardedEvents',
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:123456789012:event-bus/default']],
            },
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
          },
        },
      },
    ]);
  });

  it('without an organization, allows the member accounts by account and no one else', async () => {
    const { template } = await synthStack({ ...BASE_CONFIG, memberAccounts: ['111122223333', '123456789012'] });

    const [policy] = busPolicies(template) as Resource[];
    expect(busPolicies(template)).toHaveLength(1);
    expect(policy?.Properties.Statement).toMatchObject({
      Principal: { AWS: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] }] },
      Action: 'events:PutEvents',
    });
    expect(JSON.stringify(policy)).not.toContain('"*"');
  });

  it('without an organization or member accounts, adds no bus policy (same-account forwarders need none)', () => {
    expect(busPolicies(home.template)).toEqual([]);
  });

  it('refuses an organization id that is not one, naming the field', () => {
    expect(() => parseConfig({ ...BASE_CONFIG, organizationId: '123456789012' })).toThrow(ConfigError);
    expect(() => parseConfig({ ...BASE_CONFIG, organizationId: '123456789012' })).toThrow(/organizationId/);
  });
});
