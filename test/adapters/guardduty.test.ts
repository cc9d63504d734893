import {
  AccessDeniedException,
  BadRequestException,
  GetFindingsCommand,
  GuardDutyClient,
  InternalServerErrorException,
} from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsGuardDutyPort } from '../../handlers/shared/clients/guardduty.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { failure } from '../support/errors.js';
import { readJson } from '../support/fixtures.js';

const guardduty = mockClient(GuardDutyClient);
const ACCOUNT = '123456789012';
const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';
const FINDING = 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b';
const api = readJson<{ Findings: Record<string, unknown>[] }>('test/fixtures/guardduty/get-findings-output.json');

describe('awsGuardDutyPort.getFindings', () => {
  beforeEach(() => {
    guardduty.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('asks the detector for exactly the finding ids and returns the findings as plain JSON', async () => {
    const finding = structuredClone(api.Findings[0]) as Record<string, unknown>;
    (finding.Resource as { S3BucketDetails: Record<string, unknown>[] }).S3BucketDetails[0] = {
      ...(finding.Resource as { S3BucketDetails: Record<string, unknown>[] }).S3BucketDetails[0],
      CreatedAt: new Date('2021-06-10T19:35:12Z'),
    };
    guardduty.on(GetFindingsCommand).resolves({ Findings: [finding as never] });

    const found = await awsGuardDutyPort().getFindings({
      accountId: ACCOUNT,
      region: 'us-east-1',
      detectorId: DETECTOR,
      findingIds: [FINDING],
    });

    expect(guardduty).toHaveReceivedCommandTimes(GetFindingsCommand, 1);
    expect(guardduty.commandCalls(GetFindingsCommand)[0]?.args[0].input).toEqual({
      DetectorId: DETECTOR,
      FindingIds: [FINDING],
    });
    expect(found).toHaveLength(1);
    const bucket = (found[0] as { Resource: { S3BucketDetails: { CreatedAt: unknown }[] } }).Resource
      .S3BucketDetails[0];
    expect(bucket?.CreatedAt).toBe('2021-06-10T19:35:12.000Z');
    expect(normalizeFinding({ Findings: found })).toMatchObject({
      status: 'accepted',
      incident: { findingId: FINDING, buckets: ['customer-records'] },
    });
  });

  it('asks 50 ids at a time', async () => {
    guardduty.on(GetFindingsCommand).resolves({ Findings: [] });
    const ids = Array.from({ length: 120 }, (_, n) => `f${n}`);

    await awsGuardDutyPort().getFindings({ accountId: ACCOUNT, detectorId: DETECTOR, findingIds: ids });

    expect(guardduty.commandCalls(GetFindingsCommand).map((call) => call.args[0].input.FindingIds?.length)).toEqual([
      50, 50, 20,
    ]);
  });

  it('answers an unknown id with nothing, as GuardDuty does', async () => {
    guardduty.on(GetFindingsCommand).resolves({ Findings: [] });

    expect(
      await awsGuardDutyPort().getFindings({ accountId: ACCOUNT, detectorId: DETECTOR, findingIds: ['nope'] }),
    ).toEqual([]);
  });

  it('turns a refused detector into InvalidExecutionInput naming detectorId', async () => {
    guardduty.on(GetFindingsCommand).rejects(
      new BadRequestException({
        $metadata: {},
        message: 'The request is rejected because the input detectorId is not owned by the current account.',
        Message: 'The request is rejected because the input detectorId is not owned by the current account.',
        Type: 'InvalidInputException',
      }),
    );

    const error = await failure(
      awsGuardDutyPort().getFindings({ accountId: ACCOUNT, detectorId: 'other', findingIds: [FINDING] }),
    );

    expect(error.name).toBe('InvalidExecutionInput');
    expect(error.message).toMatch(/^detectorId: guardduty:GetFindings refused the request in account 123456789012/);
  });

  it('maps access and service failures as every adapter does', async () => {
    guardduty
      .on(GetFindingsCommand)
      .rejectsOnce(new AccessDeniedException({ $metadata: {}, message: 'not authorized', Message: 'not authorized' }))
      .rejectsOnce(new InternalServerErrorException({ $metadata: {}, message: 'boom', Message: 'boom' }));
    const port = awsGuardDutyPort();
    const args = { accountId: ACCOUNT, detectorId: DETECTOR, findingIds: [FINDING] };

    expect((await failure(port.getFindings(args))).name).toBe('AwsAccessDenied');
    expect((await failure(port.getFindings(args))).name).toBe('AwsServiceError');
  });
});
