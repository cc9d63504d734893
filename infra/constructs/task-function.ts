import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeResource } from '../nag.js';

export interface TaskFunctionProps {
  /** Path of the handler module (`handlers/<task>/index.ts`). */
  readonly entry: string;
  readonly description: string;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default {} */
  readonly environment?: Record<string, string>;
}

/**
 * One responder function: Node 22 on ARM64, ESM, minified with the AWS SDK bundled (built by the
 * local esbuild, never Docker), X-Ray tracing, its own log group and its own role holding only
 * the permission to write to that log group. Task permissions are added by `infra/tasks.ts`.
 */
export class TaskFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (s3-exfil-responder)`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      role: this.role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        AWS_PARTITION: Stack.of(this).partition,
        HOME_ACCOUNT_ID: Stack.of(this).account,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        keepNames: true,
        externalModules: [],
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });
    acknowledgeResource(this.role, `${logGroup.logGroupArn}:*`, 'log streams of the own log group of this function');
    acknowledgeResource(
      this.role,
      '*',
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions',
    );
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Node.js 22 is the deliberate, supported target runtime; upgrades are a tested change',
    );
  }
}
