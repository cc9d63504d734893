import { describe, expect, it } from 'vitest';
import { mapAwsError, RETRYABLE_ERRORS } from '../../handlers/shared/errors.js';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('mapAwsError and quotas', () => {
  it('maps IAM LimitExceeded on a role policy write to PolicyTooLarge with the 10,240-character limit', () => {
    const mapped = mapAwsError('iam:PutRolePolicy', awsError('LimitExceeded', 'Maximum policy size exceeded'));

    expect(mapped).toMatchObject({ name: 'PolicyTooLarge', limit: 10_240, unit: 'characters', size: undefined });
    expect(RETRYABLE_ERRORS).not.toContain(mapped.name);
  });

  it('maps IAM LimitExceeded on a user policy write to PolicyTooLarge with the 2,048-character limit', () => {
    const mapped = mapAwsError('iam:PutUserPolicy', awsError('LimitExceededException', 'Maximum policy size exceeded'));

    expect(mapped).toMatchObject({ name: 'PolicyTooLarge', limit: 2_048 });
  });

  it('maps IAM LimitExceeded on any other call to a non-retried service error that says it is a quota', () => {
    const mapped = mapAwsError('iam:UpdateAccessKey', awsError('LimitExceeded', 'Cannot exceed quota'));

    expect(mapped.name).toBe('AwsServiceError');
    expect(mapped.message).toMatch(/an IAM quota; not retried/);
    expect(RETRYABLE_ERRORS).not.toContain(mapped.name);
  });

  it('still treats another service\u2019s LimitExceededException as throttling', () => {
    expect(mapAwsError('dynamodb:UpdateItem', awsError('LimitExceededException', 'Too many operations')).name).toBe(
      'AwsThrottling',
    );
  });
});
