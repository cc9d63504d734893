import {
  AwsApiCall,
  ExpectedResult,
  type IApiCall,
  type IDeployAssert,
  IntegTest,
  Match,
} from '@aws-cdk/integ-tests-alpha';
import { type App, Aws, CfnOutput, Duration, type Environment, Fn, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REVOKE_SESSIONS_POLICY } from '../../handlers/shared/policy/statements.js';
import { parseConfig } from '../../infra/config.js';
import { Evidence } from '../../infra/constructs/evidence.js';
import { RollbackStateMachine } from '../../infra/constructs/rollback-state-machine.js';
import { ResponderStack } from '../../infra/responder-stack.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { guardDutyEvent, withField } from '../support/fixtures.js';

/**
 * The integration test cases: each deploys the responder with throwaway resources to contain, and
 * a DeployAssert stack whose assertions (custom resources, run by a plain `cdk deploy`) start an
 * execution with a crafted finding, check the account after containment, roll back and check
 * again. No human and no Slack workspace: approval is put to a stand-in Slack endpoint nobody
 * answers, and the timeout policy auto-contains after a minute (`autoContainSeverity: 0`).
 */
export const CASES = {
  'user-key': userKeyCase,
  'assumed-role': assumedRoleCase,
} as const;
export type CaseName = keyof typeof CASES;

/** How long an assertion waits for an execution: approval alone takes one to two minutes. */
const WAIT = { totalTimeout: Duration.minutes(15), interval: Duration.seconds(20) };
/** IAM and S3 configuration is eventually consistent: a check after a write retries for a while. */
const SETTLE = { totalTimeout: Duration.minutes(3), interval: Duration.seconds(15) };
const OUR_SID = '^IR[0-9]{8}[0-9a-f]{12}';
const FINDING_TYPE = 'Exfiltration:S3/AnomalousBehavior';

/** The responder, configured to contain without a human, in a stack everything of which is destroyed. */
async function responder(app: App, id: string, env: Required<Environment>) {
  const config = parseConfig({
    irRoleArns: [`arn:aws:iam::${env.account}:role/IncidentResponder`],
    approvers: ['U0000000000'],
    slackChannel: 'C0000000000',
    autoContainSeverity: 0,
    approvalTimeout: '1m',
    approvalHeartbeat: '45s',
    detections: { enabled: false },
  });
  const stack = new ResponderStack(app, id, { config, playbooks: await loadPlaybooks(), env });
  new StandInSlack(stack, 'StandInSlack');
  // Everything goes on destroy: no retained evidence, and no access logs arriving after the
  // evidence bucket has been emptied (`npm run integ:deploy` empties it before destroying).
  const evidence = stack.node.findAll().find((child) => child instanceof Evidence);
  if (!(evidence instanceof Evidence)) throw new Error('the responder has no evidence bucket');
  (evidence.bucket.node.defaultChild as s3.CfnBucket).addPropertyDeletionOverride('LoggingConfiguration');
  RemovalPolicies.of(stack).destroy();
  return stack;
}

/**
 * A Slack Web API stand-in (a Function URL answering `ok` to every method with a fresh `ts`), so
 * the approval request is posted and then waits, unanswered, until the timeout policy decides.
 */
class StandInSlack extends Construct {
  constructor(scope: ResponderStack, id: string) {
    super(scope, id);
    const fn = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      description: 'Integration test: answers the Slack Web API with ok',
      code: lambda.Code.fromInline(
        [
          'exports.handler = async (event) => {',
          "  const raw = event.isBase64Encoded ? Buffer.from(event.body || '', 'base64').toString() : event.body || '';",
          '  const form = new URLSearchParams(raw);',
          '  const ts = (Date.now() / 1000).toFixed(6);',
          "  return { statusCode: 200, headers: { 'content-type': 'application/json' },",
          "    body: JSON.stringify({ ok: true, channel: form.get('channel') || 'C0000000000', ts }) };",
          '};',
        ].join('\n'),
      ),
    });
    const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    for (const child of scope.node.findAll()) {
      if (child instanceof lambda.Function && child !== fn) child.addEnvironment('SLACK_API_URL', url.url);
    }
  }
}

/** A bucket of the test's own, with a policy of its own (TLS only, and a read grant with a Sid). */
function throwawayBucket(stack: Stack) {
  const bucket = new s3.Bucket(stack, 'ThrowawayBucket', {
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
  });
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'IntegAuditorRead',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('audit/*')],
    }),
  );
  new CfnOutput(stack, 'ThrowawayBucketName', { value: bucket.bucketName });
  return bucket;
}

const ORIGINAL_STATEMENTS = [
  Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
  Match.objectLike({ Sid: 'IntegAuditorRead', Effect: 'Allow' }),
];

/** A finding as GuardDuty publishes it to EventBridge, for this account, Region, bucket and caller. */
function craftedFinding(stack: Stack, findingId: string, bucketName: string, accessKeyDetails: object): string {
  let event = guardDutyEvent();
  const fields: [string, unknown][] = [
    ['account', Aws.ACCOUNT_ID],
    ['region', Aws.REGION],
    ['detail.accountId', Aws.ACCOUNT_ID],
    ['detail.region', Aws.REGION],
    ['detail.id', findingId],
    ['detail.type', FINDING_TYPE],
    [
      'detail.arn',
      `arn:${Aws.PARTITION}:guardduty:${Aws.REGION}:${Aws.ACCOUNT_ID}:detector/integ/finding/${findingId}`,
    ],
    ['detail.resource.accessKeyDetails', accessKeyDetails],
    ['detail.resource.s3BucketDetails.0.name', bucketName],
    ['detail.resource.s3BucketDetails.0.arn', `arn:${Aws.PARTITION}:s3:::${bucketName}`],
    ['detail.resource.s3BucketDetails.0.defaultServerSideEncryption', { encryptionType: 'AES256' }],
    ['detail.service.action.awsApiCallAction.affectedResources', { 'AWS::S3::Bucket': bucketName }],
  ];
  for (const [path, value] of fields) event = withField(event, path, value);
  return stack.toJsonString(event);
}

/**
 * Grants the assertion's providers (the one that calls, and the waiter's, once it waits) the
 * actions the call needs: SDK method names are not all IAM actions. Call it after
 * `waitForAssertions`.
 */
function allowAssertions<T extends IApiCall>(call: T, actions: string[]): T {
  const statement = { Effect: 'Allow', Action: actions, Resource: ['*'] };
  call.provider.addToRolePolicy(statement);
  if (call instanceof AwsApiCall) call.waiterProvider?.addToRolePolicy(statement);
  return call;
}

/**
 * Starts the playbook with the finding and waits for the execution to succeed; answers the
 * incident id from its output.
 */
function runPlaybook(assertions: IDeployAssert, stack: ResponderStack, input: string) {
  const [machine] = stack.stateMachines;
  if (!machine) throw new Error('the responder has no playbook state machine');
  const start = assertions.awsApiCall('StepFunctions', 'startExecution', {
    stateMachineArn: machine.stateMachine.stateMachineArn,
    input,
  });
  allowAssertions(start, ['states:StartExecution']);
  const done = assertions
    .awsApiCall('StepFunctions', 'describeExecution', { executionArn: start.getAttString('executionArn') }, [
      'status',
      'output.incidentId',
    ])
    .assertAtPath('status', ExpectedResult.stringLikeRegexp('^SUCCEEDED$'))
    .waitForAssertions(WAIT);
  allowAssertions(done, ['states:DescribeExecution']);
  return { done, incidentId: done.getAttString('output.incidentId') };
}

/** Rolls the incident back with the rollback state machine and waits for it to succeed. */
function rollBack(assertions: IDeployAssert, stack: ResponderStack, incidentId: string, after: IApiCall) {
  const rollback = stack.node.findAll().find((child) => child instanceof RollbackStateMachine);
  if (!(rollback instanceof RollbackStateMachine)) throw new Error('the responder has no rollback state machine');
  const start = assertions.awsApiCall('StepFunctions', 'startExecution', {
    stateMachineArn: rollback.stateMachine.stateMachineArn,
    input: Stack.of(stack).toJsonString({ incidentId, reactivateKeys: true }),
  });
  allowAssertions(start, ['states:StartExecution']);
  after.next(start);
  const done = assertions
    .awsApiCall('StepFunctions', 'describeExecution', { executionArn: start.getAttString('executionArn') }, ['status'])
    .assertAtPath('status', ExpectedResult.stringLikeRegexp('^SUCCEEDED$'))
    .waitForAssertions(WAIT);
  return allowAssertions(done, ['states:DescribeExecution']);
}

function policyOf(assertions: IDeployAssert, bucketName: string, statements: unknown) {
  const call = assertions
    .awsApiCall('S3', 'getBucketPolicy', { Bucket: bucketName })
    .expect(ExpectedResult.objectLike({ Policy: Match.serializedJson(Match.objectLike({ Statement: statements })) }))
    .waitForAssertions(SETTLE);
  return allowAssertions(call, ['s3:GetBucketPolicy']);
}

function accessKeyIs(assertions: IDeployAssert, userName: string, accessKeyId: string, status: 'Active' | 'Inactive') {
  const call = assertions
    .awsApiCall('IAM', 'listAccessKeys', { UserName: userName })
    .expect(
      ExpectedResult.objectLike({
        AccessKeyMetadata: Match.arrayWith([Match.objectLike({ AccessKeyId: accessKeyId, Status: status })]),
      }),
    )
    .waitForAssertions(SETTLE);
  return allowAssertions(call, ['iam:ListAccessKeys']);
}

function reportExists(assertions: IDeployAssert, stack: ResponderStack, incidentId: string) {
  const evidence = stack.node.findAll().find((child) => child instanceof Evidence);
  if (!(evidence instanceof Evidence)) throw new Error('the responder has no evidence bucket');
  const call = assertions.awsApiCall('S3', 'listObjectsV2', {
    Bucket: evidence.bucket.bucketName,
    Prefix: Fn.join('', ['incidents/', incidentId, '/report.md']),
  });
  call.expect(ExpectedResult.objectLike({ KeyCount: 1 })).waitForAssertions(SETTLE);
  return allowAssertions(call, ['s3:ListBucket']);
}

/**
 * A leaked IAM user key: the execution succeeds; the key is Inactive; the bucket policy holds our
 * Deny and every original statement; the report is in the evidence bucket. Rollback then leaves the
 * original statements only, and (asked to) reactivates the key.
 */
export async function userKeyCase(app: App, env: Required<Environment>): Promise<IntegTest> {
  const stack = await responder(app, 'ResponderUserKey', env);
  const bucket = throwawayBucket(stack);
  const user = new iam.User(stack, 'LeakedUser');
  const key = new iam.AccessKey(stack, 'LeakedKey', { user });
  const integ = new IntegTest(app, 'UserKey', {
    testCases: [stack],
    assertionStack: new Stack(app, 'ResponderUserKeyAssertions', { env }),
  });
  const { assertions } = integ;
  const input = craftedFinding(stack, 'integ-user-key-0001', bucket.bucketName, {
    accessKeyId: key.accessKeyId,
    principalId: 'AIDAINTEGTESTLEAKED01',
    userName: user.userName,
    userType: 'IAMUser',
  });
  const { done, incidentId } = runPlaybook(assertions, stack, input);
  const inactive = accessKeyIs(assertions, user.userName, key.accessKeyId, 'Inactive');
  const contained = policyOf(
    assertions,
    bucket.bucketName,
    Match.arrayWith([
      ...ORIGINAL_STATEMENTS,
      Match.objectLike({ Sid: Match.stringLikeRegexp(OUR_SID), Effect: 'Deny' }),
    ]),
  );
  const report = reportExists(assertions, stack, incidentId);
  done.next(inactive).next(contained).next(report);
  const rolledBack = rollBack(assertions, stack, incidentId, report);
  rolledBack
    .next(policyOf(assertions, bucket.bucketName, ORIGINAL_STATEMENTS))
    .next(accessKeyIs(assertions, user.userName, key.accessKeyId, 'Active'));
  return integ;
}

/**
 * An assumed-role session: the execution succeeds and the role carries the revoke-older-sessions
 * Deny; rollback removes it, and our bucket statement, again.
 */
export async function assumedRoleCase(app: App, env: Required<Environment>): Promise<IntegTest> {
  const stack = await responder(app, 'ResponderAssumedRole', env);
  const bucket = throwawayBucket(stack);
  const role = new iam.Role(stack, 'SessionRole', {
    assumedBy: new iam.AccountRootPrincipal(),
    description: 'Integration test: the role whose session leaked',
  });
  const integ = new IntegTest(app, 'AssumedRole', {
    testCases: [stack],
    assertionStack: new Stack(app, 'ResponderAssumedRoleAssertions', { env }),
  });
  const { assertions } = integ;
  const input = craftedFinding(stack, 'integ-assumed-role-0001', bucket.bucketName, {
    accessKeyId: 'ASIAINTEGTESTSESSION',
    principalId: Fn.join(':', [(role.node.defaultChild as iam.CfnRole).attrRoleId, 'integ-session']),
    userName: role.roleName,
    userType: 'AssumedRole',
  });
  const { done, incidentId } = runPlaybook(assertions, stack, input);
  const revoked = assertions.awsApiCall('IAM', 'getRolePolicy', {
    RoleName: role.roleName,
    PolicyName: REVOKE_SESSIONS_POLICY,
  });
  revoked
    .expect(ExpectedResult.objectLike({ PolicyDocument: Match.stringLikeRegexp('TokenIssueTime') }))
    .waitForAssertions(SETTLE);
  allowAssertions(revoked, ['iam:GetRolePolicy']);
  const contained = policyOf(
    assertions,
    bucket.bucketName,
    Match.arrayWith([
      ...ORIGINAL_STATEMENTS,
      Match.objectLike({ Sid: Match.stringLikeRegexp(OUR_SID), Effect: 'Deny' }),
    ]),
  );
  done.next(revoked).next(contained);
  const rolledBack = rollBack(assertions, stack, incidentId, contained);
  const noPolicies = assertions.awsApiCall('IAM', 'listRolePolicies', { RoleName: role.roleName });
  noPolicies.expect(ExpectedResult.objectLike({ PolicyNames: [] })).waitForAssertions(SETTLE);
  allowAssertions(noPolicies, ['iam:ListRolePolicies']);
  rolledBack.next(noPolicies).next(policyOf(assertions, bucket.bucketName, ORIGINAL_STATEMENTS));
  return integ;
}
