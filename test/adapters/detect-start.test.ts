import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { sfnStarter } from '../../handlers/detect/start.js';
import { AwsThrottling } from '../../handlers/shared/errors.js';
import { failure } from '../support/errors.js';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:S3Exfiltration';

describe('sfnStarter', () => {
  beforeEach(() => sfn.reset());

  it('starts the execution with the given name and input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });

    const result = await sfnStarter(new SFNClient({})).start(ARN, 'cross-account-copy-abc', '{"detail":{}}');

    expect(result).toBe('started');
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARN,
      name: 'cross-account-copy-abc',
      input: '{"detail":{}}',
    });
  });

  it('reports an execution of the same name as already started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    expect(await sfnStarter(new SFNClient({})).start(ARN, 'n', '{}')).toBe('already');
  });

  it('maps other errors to the named errors', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    expect(await failure(sfnStarter(new SFNClient({})).start(ARN, 'n', '{}'))).toBeInstanceOf(AwsThrottling);
  });
});
