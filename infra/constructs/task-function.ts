import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { AssetHashType, Duration, type ILocalBundling, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROOT } from '../bundling/bundle.js';
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
  /** Concurrent executions reserved for (and the most allowed to) this function. @default none: the account's unreserved pool */
  readonly reservedConcurrency?: number;
}

/**
 * Bundles one handler with `infra/bundling/bundle.ts`, run by the local esbuild in a child process
 * (CDK's local bundling is synchronous, esbuild's plugins are not); never Docker.
 */
class HandlerBundling implements ILocalBundling {
  /**
   * The entry, relative to the project. Also what tells the functions' assets apart: CDK keys its
   * asset cache on the source path and the bundling options as JSON, where only this field shows.
   */
  readonly entry: string;

  constructor(entry: string) {
    this.entry = relative(ROOT, entry);
  }

  tryBundle(outputDir: string): boolean {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'infra/bundling/cli.ts'), join(ROOT, this.entry), outputDir],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (child.status !== 0) {
      throw new Error(`bundling ${this.entry} failed (${child.error?.message ?? `exit code ${child.status}`})`);
    }
    return true;
  }
}

/**
 * The code of one handler, as `NodejsFunction` would stage it: the asset hash is the bundle's, and
 * a synth with bundling skipped (the unit tests) does not bundle.
 */
export function handlerCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; never pulled: the local bundling either succeeds or throws.
      image: lambda.Runtime.NODEJS_22_X.bundlingImage,
      local: new HandlerBundling(entry),
    },
  });
}

/**
 * One responder function: Node 22 on ARM64, ESM, minified with the AWS SDK bundled (`handlerCode`),
 * X-Ray tracing, its own log group and its own role holding only the permission to write to that
 * log group. Task permissions are added by `infra/tasks.ts`.
 */
export class TaskFunction extends Construct {
  readonly fn: lambda.Function;
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
    this.fn = new lambda.Function(this, 'Function', {
      code: handlerCode(props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      role: this.role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        AWS_PARTITION: Stack.of(this).partition,
        HOME_ACCOUNT_ID: Stack.of(this).account,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
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
