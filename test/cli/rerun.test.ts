import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rerunCommand } from '../../cli/commands/rerun.js';
import { guardDutyEvent } from '../support/fixtures.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:S3ExfiltrationPlaybook1A2B3C';
const NOW = () => new Date('2026-02-24T09:30:00Z');
const sfn = mockClient(SFNClient);

function started(name: string) {
  return `arn:aws:states:eu-west-1:123456789012:execution:S3ExfiltrationPlaybook1A2B3C:${name}`;
}

describe('responder rerun', () => {
  beforeEach(() => {
    sfn.reset();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: started(input.name) }));
  });
  afterEach(() => sfn.restore());
  const options = () => ({ client: new SFNClient({ region: 'eu-west-1' }), now: NOW });

  it('re-runs an incident by id: {incidentId, rerun: true}, a readable unique name, and the console link', async () => {
    const output = await rerunCommand(['20260223-16e8db698d27', '--state-machine', ARN], options());

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'rerun-20260223-16e8db698d27-20260224093000',
      input: '{"incidentId":"20260223-16e8db698d27","rerun":true}',
    });
    expect(output.split('\n')).toEqual([
      'Started rerun-20260223-16e8db698d27-20260224093000',
      started('rerun-20260223-16e8db698d27-20260224093000'),
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${started('rerun-20260223-16e8db698d27-20260224093000')}`,
    ]);
  });

  it('re-runs a finding by id with its detector', async () => {
    await rerunCommand(
      ['b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', '--state-machine', ARN, '--detector', '12abc34d567e8fa901bc2d34e56789f0'],
      options(),
    );

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'rerun-b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b-20260224093000',
      input: '{"findingId":"b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b","detectorId":"12abc34d567e8fa901bc2d34e56789f0"}',
    });
  });

  it('starts a file’s input as it is, named after its finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rerun-'));
    const file = join(dir, 'event.json');
    const event = guardDutyEvent();
    writeFileSync(file, JSON.stringify(event));

    await rerunCommand([file, '--state-machine', ARN], options());

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'rerun-b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b-20260224093000',
      input: JSON.stringify(event),
    });
  });

  it('checks a file’s input before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rerun-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ findingId: 'f1' }));

    await expect(rerunCommand([file, '--state-machine', ARN], options())).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: expect.stringMatching(/^detectorId: is required/),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    [['20260223-16e8db698d27'], /usage: responder rerun/],
    [['20260223-16e8db698d27', '--state-machine', 'arn:aws:iam::1:role/x'], /not a state machine ARN/],
    [['b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', '--state-machine', ARN], /needs its detector: --detector/],
    [['missing/event.json', '--state-machine', ARN], /cannot read missing\/event\.json/],
    [['not an id', '--state-machine', ARN], /is not an incident id/],
  ])('refuses bad arguments %#', async (args, message) => {
    await expect(rerunCommand(args as string[], options())).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(message),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
