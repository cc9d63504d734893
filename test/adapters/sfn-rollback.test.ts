import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsRollbackStarter, executionArnOf } from '../../handlers/shared/clients/sfn.js';
import { AwsAccessDenied } from '../../handlers/shared/errors.js';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:s3-exfil-rollback';
const NAME = 'undo-20260223-00000000000a-0123456789abcdef';

describe('awsRollbackStarter', () => {
  beforeEach(() => sfn.reset());

  it('starts the rollback machine under the given name with { incidentId, reactivateKeys }', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnOf(MACHINE, NAME), startDate: new Date() });

    const started = await awsRollbackStarter(MACHINE).startRollback({
      incidentId: '20260223-00000000000a',
      executionName: NAME,
      reactivateKeys: false,
    });

    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: NAME,
      input: JSON.stringify({ incidentId: '20260223-00000000000a', reactivateKeys: false }),
    });
    expect(started).toEqual({
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:s3-exfil-rollback:${NAME}`,
      alreadyStarted: false,
    });
  });

  it('treats ExecutionAlreadyExists for the same name as success', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${NAME}'`, $metadata: {} }));

    const started = await awsRollbackStarter(MACHINE).startRollback({
      incidentId: '20260223-00000000000a',
      executionName: NAME,
      reactivateKeys: false,
    });

    expect(started).toEqual({ executionArn: executionArnOf(MACHINE, NAME), alreadyStarted: true });
  });

  it('maps other failures to the named errors', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));

    await expect(
      awsRollbackStarter(MACHINE).startRollback({
        incidentId: '20260223-00000000000a',
        executionName: NAME,
        reactivateKeys: false,
      }),
    ).rejects.toBeInstanceOf(AwsAccessDenied);
  });
});
