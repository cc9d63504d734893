import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface AccessCheck {
  /** The calling identity (a user ARN, or an STS session ARN); omit for an unsigned request. */
  readonly principal?: string;
  /** `aws:PrincipalArn` (for a session, the role ARN). Defaults to `principal`. */
  readonly principalArn?: string;
  readonly action: string;
  readonly resource: string;
  readonly bucketPolicy?: unknown;
  /** The caller's identity policy. Default: allows s3:* (so only the bucket policy can refuse). */
  readonly identityPolicy?: unknown;
  readonly sourceIp?: string;
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
}

const ALLOW_S3 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

/**
 * What IAM would decide for one S3 request, evaluated by @cloud-copilot/iam-simulate (a test-only
 * oracle). `aws:PrincipalArn` is set explicitly: the simulator does not derive it.
 */
export async function decide(check: AccessCheck): Promise<Decision> {
  const anonymous = check.principal === undefined;
  const contextVariables: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    ...(check.sourceIp ? { 'aws:SourceIp': check.sourceIp } : {}),
    ...(anonymous
      ? {}
      : {
          'aws:PrincipalArn': check.principalArn ?? (check.principal as string),
          // The account of the principal's ARN, as AWS sets it.
          'aws:PrincipalAccount': (check.principal as string).split(':')[4] || '123456789012',
        }),
    ...check.context,
  };
  const response = await runSimulation(
    {
      request: {
        principal: anonymous ? anonymousPrincipal : (check.principal as string),
        action: check.action,
        resource: { resource: check.resource, accountId: check.resourceAccount ?? '123456789012' },
        contextVariables,
      },
      identityPolicies: anonymous ? [] : [{ name: 'identity', policy: (check.identityPolicy ?? ALLOW_S3) as never }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: check.bucketPolicy as never,
    } as never,
    {},
  );
  if (response.resultType === 'error')
    throw new Error(`iam-simulate rejected the request: ${JSON.stringify(response.errors)}`);
  return response.overallResult as Decision;
}
