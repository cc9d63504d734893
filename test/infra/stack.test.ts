import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../handlers/shared/errors.js';
import { parseConfig } from '../../infra/config.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type Built = Awaited<ReturnType<typeof synthStack>>;
let built: Built;

beforeAll(async () => {
  built = await synthStack();
});

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function roleStatements(): Map<string, PolicyStatement[]> {
  const roles = new Map<string, PolicyStatement[]>();
  for (const [, policy] of Object.entries(built.template.findResources('AWS::IAM::Policy'))) {
    const properties = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: PolicyStatement[] };
    };
    for (const role of properties.Roles) {
      roles.set(role.Ref, [...(roles.get(role.Ref) ?? []), ...properties.PolicyDocument.Statement]);
    }
  }
  return roles;
}

const READ_ONLY =
  /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|macie2:(DescribeBuckets|ListFindings|GetFindings)|cloudtrail:LookupEvents|ec2:DescribeVpcEndpoints|dynamodb:ListStreams)$/;

describe('the responder stack', () => {
  it('routes GuardDuty S3 exfiltration findings to the playbook with a prefix pattern', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { type: Match.arrayWith([{ prefix: 'Exfiltration:S3/' }, 'AttackSequence:S3/CompromisedData']) },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
  });

  it('gives no role a write action on "*": only APIs without resource-level permissions, all reads', () => {
    const offenders: string[] = [];
    for (const [role, statements] of roleStatements()) {
      for (const statement of statements) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (statement.Effect !== 'Allow' || !resources.includes('*')) continue;
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        offenders.push(...actions.filter((action) => !READ_ONLY.test(action)).map((action) => `${role}: ${action}`));
      }
    }
    expect(offenders).toEqual([]);
  });

  it('scopes bucket-policy writes to our account by condition, and key writes to our account’s users', () => {
    const statements = [...roleStatements().values()].flat();
    const putPolicy = statements.filter((statement) =>
      ([] as string[]).concat(statement.Action).includes('s3:PutBucketPolicy'),
    );
    const updateKey = statements.filter((statement) =>
      ([] as string[]).concat(statement.Action).includes('iam:UpdateAccessKey'),
    );

    expect(putPolicy).toHaveLength(2);
    for (const statement of putPolicy) {
      expect(statement).toMatchObject({ Condition: { StringEquals: { 'aws:ResourceAccount': ['123456789012'] } } });
    }
    expect(JSON.stringify(updateKey.map((statement) => statement.Resource))).toContain(':iam::123456789012:user/*');
  });

  it('runs every function on Node.js 22, ARM64, traced, with its own role', () => {
    const functions = Object.values(built.template.findResources('AWS::Lambda::Function'));
    const roles = new Set(functions.map((fn) => JSON.stringify((fn.Properties as { Role: unknown }).Role)));

    expect(functions.length).toBe(19);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
    expect(roles.size).toBe(functions.length);
  });

  it('runs the auto-close sweep hourly on the close function, whose ARN is an output for responder close', () => {
    const rules = built.template.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(1 hour)' },
    });
    const targets = Object.values(rules).flatMap(
      (rule) => (rule.Properties as { Targets: { Arn: unknown }[] }).Targets,
    );

    expect(targets).toHaveLength(1);
    expect(JSON.stringify(targets[0]?.Arn)).toContain('IncidentCloserHandler');
    built.template.hasOutput('CloseFunctionArn', {});
  });

  it('keeps incidents in an on-demand table with PITR and TTL, retained', () => {
    built.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    });
  });

  it('gives the incident table the sweep index: keyed on the sparse sweep attribute, keys only', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'sweep', AttributeType: 'S' }]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'sweep',
          KeySchema: [{ AttributeName: 'sweep', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('writes evidence to a KMS-encrypted, versioned, TLS-only bucket with public access blocked', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs a Standard state machine that logs no execution data, traced, with alarms', () => {
    built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }),
    });
    expect(Object.keys(built.template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(3);
  });

  it('exposes the Slack endpoint as a Function URL backed by the Secrets Manager secret', () => {
    built.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    built.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('lets the Slack handler start the rollback state machine and no other (the Undo button)', () => {
    const rollback = Object.keys(built.template.findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
      id.startsWith('Rollback'),
    );
    expect(rollback).toHaveLength(1);
    const slack = Object.values(built.template.findResources('AWS::Lambda::Function')).filter((fn) =>
      String(fn.Properties.Description).startsWith('Slack interactions'),
    );
    expect(slack).toHaveLength(1);
    const { Environment, Role } = (slack[0] ?? { Properties: {} }).Properties as {
      Environment: { Variables: Record<string, unknown> };
      Role: { 'Fn::GetAtt': [string, string] };
    };
    expect(Environment.Variables.ROLLBACK_STATE_MACHINE_ARN).toEqual({ Ref: rollback[0] });
    const role = Role['Fn::GetAtt'][0];
    const starts = (roleStatements().get(role) ?? []).filter((statement) =>
      [statement.Action].flat().includes('states:StartExecution'),
    );
    expect(starts).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: rollback[0] } }]);
  });

  it('passes cdk-nag AwsSolutions with every exception acknowledged one by one', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.app);

    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    // Nor does the synth itself warn (least-privilege.test.ts checks the same with every option set).
    expect(Annotations.fromStack(built.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(built.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('configuration', () => {
  it.each([
    [{ ...BASE_CONFIG, irRoleArns: [] }, 'irRoleArns'],
    [{ ...BASE_CONFIG, approvers: ['not-a-slack-id'] }, 'approvers[0]'],
    [{ ...BASE_CONFIG, approvalTimeout: 'forever' }, 'approvalTimeout'],
    [{ ...BASE_CONFIG, trustedAcounts: [] }, ''],
    [{ ...BASE_CONFIG, twoPersonRule: true }, 'approvers'],
  ])('refuses bad config with a message naming the field (%#)', (config, path) => {
    let error: unknown;
    try {
      parseConfig(config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
  });
});

describe('with an Athena table configured', () => {
  it('lets only the evidence task query that workgroup and read that trail, and still passes cdk-nag', async () => {
    const { app, template } = await synthStack({
      ...BASE_CONFIG,
      athena: {
        database: 'security',
        table: 'cloudtrail_logs',
        workgroup: 'responder',
        cloudTrailBucket: 'org-trail-logs',
        cloudTrailPrefix: 'AWSLogs/',
      },
    });

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'athena:StartQueryExecution',
              'athena:GetQueryExecution',
              'athena:GetQueryResults',
              'athena:StopQueryExecution',
            ],
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':workgroup/responder$')])] },
          }),
        ]),
      },
    });
    expect(new AwsSolutionsChecks(app).validateScope(app).violations.map((violation) => violation.ruleName)).toEqual(
      [],
    );
  });
});

describe('the closing part of a report, from the incident table stream', () => {
  it('gives the incident table a stream of new images', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('maps the stream to the close function only for incident records with the closing part pending', () => {
    const mappings = Object.values(built.template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    const properties = mappings[0]?.Properties as Record<string, unknown>;
    expect(JSON.stringify(properties.FunctionName)).toContain('IncidentCloserHandler');
    expect(JSON.stringify(properties.EventSourceArn)).toContain('StreamArn');
    expect(properties).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const filters = (properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { dynamodb: { Keys: { sk: { S: ['META'] } }, NewImage: { closureReportPending: { BOOL: [true] } } } },
    ]);
  });
});
