import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Decision } from './iam.js';

/** The S3 endpoint every request in an endpoint check goes through. */
export const ENDPOINT_ID = 'vpce-0a1b2c3d4e5f60789';
export const ENDPOINT_VPC = 'vpc-0f1e2d3c4b5a69788';

export interface EndpointCheck {
  /** The calling identity (a user ARN, or an STS session ARN). */
  readonly principal: string;
  /** `aws:PrincipalArn` (for a session, the role ARN). Defaults to `principal`. */
  readonly principalArn?: string;
  readonly action: string;
  readonly resource: string;
  /** The bucket owner, also sent as `s3:ResourceAccount`. Default: 123456789012. */
  readonly resourceAccount?: string;
  readonly endpointPolicy: unknown;
  /** The bucket's policy (needed for a cross-account request to be allowed at all). */
  readonly bucketPolicy?: unknown;
  /** The caller's identity policy. Default: allows s3:*. */
  readonly identityPolicy?: unknown;
  readonly context?: Record<string, string | string[]>;
}

export interface EndpointDecision {
  /** What IAM decides for the whole request (identity, bucket and endpoint policies). */
  readonly decision: Decision;
  /** What the endpoint policy alone decides (Allowed means it lets the request through). */
  readonly endpoint: Decision;
}

const ALLOW_S3 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

/**
 * What IAM would decide for one S3 request made through the VPC endpoint, evaluated by
 * @cloud-copilot/iam-simulate (a test-only oracle). The simulator derives neither `aws:PrincipalArn`
 * nor `s3:ResourceAccount`, so both are set here. It accepts only `"Principal": "*"` in an endpoint
 * policy and does not match principals there, so endpoint fixtures state whom they admit with
 * conditions (as AWS recommends).
 */
export async function decideThroughEndpoint(check: EndpointCheck): Promise<EndpointDecision> {
  const resourceAccount = check.resourceAccount ?? '123456789012';
  const response = await runSimulation(
    {
      request: {
        principal: check.principal,
        action: check.action,
        resource: { resource: check.resource, accountId: resourceAccount },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:SourceVpce': ENDPOINT_ID,
          'aws:SourceVpc': ENDPOINT_VPC,
          'aws:PrincipalArn': check.principalArn ?? check.principal,
          'aws:PrincipalAccount': accountOf(check.principal),
          's3:ResourceAccount': resourceAccount,
          ...check.context,
        },
      },
      identityPolicies: [{ name: 'identity', policy: withoutUnknownFields(check.identityPolicy ?? ALLOW_S3) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: check.bucketPolicy === undefined ? undefined : withoutUnknownFields(check.bucketPolicy),
      vpcEndpointPolicies: [{ name: 'endpoint', policy: withoutUnknownFields(check.endpointPolicy) }],
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`iam-simulate rejected the request: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') throw new Error(`expected one simulation, got ${response.resultType}`);
  const endpoint = response.result.analysis.endpointAnalysis?.result;
  if (endpoint === undefined) throw new Error('the endpoint policy was not evaluated');
  return { decision: response.overallResult as Decision, endpoint: endpoint as Decision };
}

function accountOf(arn: string): string {
  const account = arn.split(':')[4];
  if (!account) throw new Error(`not an IAM or STS ARN: ${arn}`);
  return account;
}

const DOCUMENT_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/**
 * The policy as the oracle can read it: fields outside the policy grammar are dropped (the
 * simulator's validator rejects them). Our merge must keep such fields, so tests check the merged
 * document itself for them and evaluate only this view.
 */
export function withoutUnknownFields(policy: unknown): unknown {
  if (typeof policy !== 'object' || policy === null) return policy;
  const document = pick(policy as Record<string, unknown>, DOCUMENT_FIELDS);
  const statements = document.Statement;
  if (Array.isArray(statements)) {
    document.Statement = statements.map((statement) => pick(statement as Record<string, unknown>, STATEMENT_FIELDS));
  } else if (typeof statements === 'object' && statements !== null) {
    document.Statement = pick(statements as Record<string, unknown>, STATEMENT_FIELDS);
  }
  return document;
}

function pick(value: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => keys.has(key)));
}
