import {
  AccessDeniedException,
  ConflictException,
  CreateClassificationJobCommand,
  InternalServerException,
  Macie2Client,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-macie2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsMaciePort } from '../../handlers/shared/clients/macie.js';
import { AwsAccessDenied, AwsServiceDisabled, AwsServiceError, AwsThrottling } from '../../handlers/shared/errors.js';

const macie = mockClient(Macie2Client);
const ACCOUNT = '123456789012';
const JOB = {
  accountId: ACCOUNT,
  region: 'us-east-1',
  name: 'inc-20240601-abcd customer-records',
  clientToken: 'inc-20240601-abcd-classify-1',
  buckets: ['customer-records'],
  description: 'S3 exfiltration incident inc-20240601-abcd: what was in the buckets read',
};
const JOB_ARN = `arn:aws:macie2:us-east-1:${ACCOUNT}:classification-job/3ce05dbb7ec5505def334104bf1cafe2`;

describe('awsMaciePort.createClassificationJob', () => {
  beforeEach(() => {
    macie.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('creates one ONE_TIME job on the buckets of the account, with the client token, and returns its id and ARN', async () => {
    macie.on(CreateClassificationJobCommand).resolves({ jobId: '3ce05dbb7ec5505def334104bf1cafe2', jobArn: JOB_ARN });

    const job = await awsMaciePort().createClassificationJob(JOB);

    expect(job).toEqual({ jobId: '3ce05dbb7ec5505def334104bf1cafe2', jobArn: JOB_ARN });
    expect(macie).toHaveReceivedCommandTimes(CreateClassificationJobCommand, 1);
    expect(macie).toHaveReceivedCommandWith(CreateClassificationJobCommand, {
      clientToken: JOB.clientToken,
      jobType: 'ONE_TIME',
      s3JobDefinition: { bucketDefinitions: [{ accountId: '123456789012', buckets: ['customer-records'] }] },
    });
    expect(macie.commandCalls(CreateClassificationJobCommand)[0]?.args[0].input).toEqual({
      clientToken: 'inc-20240601-abcd-classify-1',
      jobType: 'ONE_TIME',
      name: 'inc-20240601-abcd customer-records',
      description: 'S3 exfiltration incident inc-20240601-abcd: what was in the buckets read',
      s3JobDefinition: { bucketDefinitions: [{ accountId: '123456789012', buckets: ['customer-records'] }] },
      managedDataIdentifierSelector: 'RECOMMENDED',
    });
  });

  it('names every bucket in one bucket definition for the account', async () => {
    macie.on(CreateClassificationJobCommand).resolves({ jobId: 'job-2' });

    const job = await awsMaciePort().createClassificationJob({ ...JOB, buckets: ['customer-records', 'exports'] });

    expect(job).toEqual({ jobId: 'job-2', jobArn: undefined });
    expect(macie.commandCalls(CreateClassificationJobCommand)[0]?.args[0].input.s3JobDefinition).toEqual({
      bucketDefinitions: [{ accountId: ACCOUNT, buckets: ['customer-records', 'exports'] }],
    });
  });

  it('sends the same client token again on a retry, so Macie answers the same job', async () => {
    macie.on(CreateClassificationJobCommand).resolves({ jobId: 'job-1', jobArn: JOB_ARN });
    const port = awsMaciePort();

    const first = await port.createClassificationJob(JOB);
    const again = await port.createClassificationJob(JOB);

    expect(again).toEqual(first);
    const tokens = macie.commandCalls(CreateClassificationJobCommand).map((call) => call.args[0].input.clientToken);
    expect(tokens).toEqual([JOB.clientToken, JOB.clientToken]);
  });

  it('fails on an answer without a job id', async () => {
    macie.on(CreateClassificationJobCommand).resolves({});

    const result = awsMaciePort().createClassificationJob(JOB);

    await expect(result).rejects.toBeInstanceOf(AwsServiceError);
    await expect(result).rejects.toThrow(/macie2:CreateClassificationJob answered without jobId/);
  });

  it('reports Macie not enabled as AwsServiceDisabled', async () => {
    macie
      .on(CreateClassificationJobCommand)
      .rejects(new AccessDeniedException({ message: 'Macie is not enabled.', $metadata: {} }));

    const result = awsMaciePort().createClassificationJob(JOB);

    await expect(result).rejects.toBeInstanceOf(AwsServiceDisabled);
    await expect(result).rejects.toThrow(
      /^macie2:CreateClassificationJob failed: AccessDeniedException: Macie is not enabled/,
    );
  });

  it.each([
    [
      'ValidationException (not the administrator for the bucket owner)',
      new ValidationException({
        message: `The account ${ACCOUNT} is not a member account of your Macie administrator account.`,
        $metadata: {},
      }),
    ],
    [
      'AccessDeniedException (cannot analyze buckets of another account)',
      new AccessDeniedException({
        message: 'Only the Macie administrator account can create jobs that analyze buckets owned by other accounts.',
        $metadata: {},
      }),
    ],
    [
      'ResourceNotFoundException (no Macie account here)',
      new ResourceNotFoundException({ message: 'Macie account not found', $metadata: {} }),
    ],
    [
      'ConflictException (Macie suspended)',
      new ConflictException({ message: 'Macie is suspended for this account', $metadata: {} }),
    ],
  ])('reports %s as AwsServiceDisabled', async (_case, error) => {
    macie.on(CreateClassificationJobCommand).rejects(error);

    const result = awsMaciePort().createClassificationJob(JOB);

    await expect(result).rejects.toBeInstanceOf(AwsServiceDisabled);
    await expect(result).rejects.toThrow(/^macie2:CreateClassificationJob failed: /);
    await expect(result).rejects.toThrow(/Macie administrator/);
  });

  it('keeps a missing IAM permission as AwsAccessDenied, even from a role named Administrator…', async () => {
    macie.on(CreateClassificationJobCommand).rejects(
      new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_1/bob is not authorized to perform: macie2:CreateClassificationJob',
        $metadata: {},
      }),
    );

    await expect(awsMaciePort().createClassificationJob(JOB)).rejects.toBeInstanceOf(AwsAccessDenied);
  });

  it.each([
    [
      'a constraint failure',
      new ValidationException({
        message:
          "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 200",
        $metadata: {},
      }),
    ],
    [
      'a client token reused with other settings',
      new ConflictException({ message: 'The client token was already used for a different request.', $metadata: {} }),
    ],
    ['a quota', new ServiceQuotaExceededException({ message: 'Job quota exceeded', $metadata: {} })],
    ['an internal error', new InternalServerException({ message: 'Internal failure', $metadata: {} })],
  ])('reports %s as AwsServiceError, not as Macie disabled', async (_case, error) => {
    macie.on(CreateClassificationJobCommand).rejects(error);

    const result = awsMaciePort().createClassificationJob(JOB);

    await expect(result).rejects.toBeInstanceOf(AwsServiceError);
    await expect(result).rejects.toThrow(/^macie2:CreateClassificationJob failed: /);
  });

  it('maps throttling to AwsThrottling', async () => {
    macie
      .on(CreateClassificationJobCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    const result = awsMaciePort().createClassificationJob(JOB);

    await expect(result).rejects.toBeInstanceOf(AwsThrottling);
    await expect(result).rejects.toThrow(/^macie2:CreateClassificationJob failed: ThrottlingException/);
  });
});
