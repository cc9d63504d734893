import {
  AccessDeniedException,
  ConflictException,
  DescribeBucketsCommand,
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  Macie2Client,
  ResourceNotFoundException,
  type SensitiveDataItemCategory,
  ThrottlingException,
} from '@aws-sdk/client-macie2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClientCache } from '../../handlers/shared/clients/accounts.js';
import { awsMaciePort, MAX_FINDING_PAGES } from '../../handlers/shared/clients/macie.js';
import { AwsAccessDenied, AwsServiceDisabled, AwsThrottling } from '../../handlers/shared/errors.js';

const macie = mockClient(Macie2Client);
const ACCOUNT = '111111111111';
const SCOPE = { accountId: ACCOUNT, region: 'us-east-1' };

const finding = (
  id: string,
  bucket: string,
  severity: 'Low' | 'Medium' | 'High',
  category: SensitiveDataItemCategory,
  type: string,
): Finding => ({
  id,
  category: 'CLASSIFICATION',
  severity: { description: severity, score: 1 },
  resourcesAffected: { s3Bucket: { name: bucket } },
  classificationDetails: { result: { sensitiveData: [{ category, detections: [{ type, count: 3 }] }] } },
});

const LIST_INPUT = (nextToken?: string) => ({
  findingCriteria: {
    criterion: {
      'resourcesAffected.s3Bucket.name': { eq: ['customer-data', 'logs'] },
      category: { eq: ['CLASSIFICATION'] },
    },
  },
  sortCriteria: { attributeName: 'updatedAt', orderBy: 'DESC' },
  maxResults: 50,
  nextToken,
});

describe('awsMaciePort', () => {
  beforeEach(() => {
    macie.reset();
    resetClientCache();
    vi.stubEnv('HOME_ACCOUNT_ID', ACCOUNT);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('summarizes score, types and severity per bucket from DescribeBuckets and the findings', async () => {
    macie.on(DescribeBucketsCommand).resolves({
      buckets: [{ bucketName: 'customer-data', sensitivityScore: 87, classifiableObjectCount: 1200 }],
    });
    macie
      .on(ListFindingsCommand)
      .resolvesOnce({ findingIds: ['f1', 'f2'], nextToken: 'page-2' })
      .resolvesOnce({ findingIds: ['f3'] });
    macie.on(GetFindingsCommand).resolves({
      findings: [
        finding('f1', 'customer-data', 'Medium', 'PERSONAL_INFORMATION', 'USA_SOCIAL_SECURITY_NUMBER'),
        finding('f2', 'customer-data', 'High', 'FINANCIAL_INFORMATION', 'CREDIT_CARD_NUMBER'),
        finding('f3', 'logs', 'Low', 'CREDENTIALS', 'AWS_CREDENTIALS'),
      ],
    });

    const result = await awsMaciePort().bucketSensitivity({ ...SCOPE, buckets: ['customer-data', 'logs'] });

    expect(result).toEqual([
      {
        bucket: 'customer-data',
        sensitivityScore: 87,
        classifiableObjectCount: 1200,
        sensitiveDataTypes: [
          'PERSONAL_INFORMATION: USA_SOCIAL_SECURITY_NUMBER',
          'FINANCIAL_INFORMATION: CREDIT_CARD_NUMBER',
        ],
        highestSeverity: 'HIGH',
      },
      {
        bucket: 'logs',
        sensitivityScore: undefined,
        classifiableObjectCount: undefined,
        sensitiveDataTypes: ['CREDENTIALS: AWS_CREDENTIALS'],
        highestSeverity: 'LOW',
      },
    ]);
    expect(macie.commandCalls(DescribeBucketsCommand)[0]?.args[0].input).toEqual({
      criteria: { bucketName: { eq: ['customer-data', 'logs'] } },
      maxResults: 50,
      nextToken: undefined,
    });
    expect(macie.commandCalls(ListFindingsCommand).map((call) => call.args[0].input)).toEqual([
      LIST_INPUT(),
      LIST_INPUT('page-2'),
    ]);
    expect(macie).toHaveReceivedCommandWith(GetFindingsCommand, { findingIds: ['f1', 'f2', 'f3'] });
  });

  it(`reads at most ${MAX_FINDING_PAGES} pages of findings and fetches them 50 at a time`, async () => {
    macie.on(DescribeBucketsCommand).resolves({ buckets: [] });
    let page = 0;
    macie.on(ListFindingsCommand).callsFake(() => {
      page += 1;
      return { findingIds: Array.from({ length: 50 }, (_, index) => `p${page}-${index}`), nextToken: `after-${page}` };
    });
    macie.on(GetFindingsCommand).resolves({ findings: [] });

    await awsMaciePort().bucketSensitivity({ ...SCOPE, buckets: ['customer-data'] });

    expect(macie).toHaveReceivedCommandTimes(ListFindingsCommand, MAX_FINDING_PAGES);
    const batches = macie.commandCalls(GetFindingsCommand).map((call) => call.args[0].input.findingIds ?? []);
    expect(batches).toHaveLength(MAX_FINDING_PAGES);
    expect(batches.every((ids) => ids.length === 50)).toBe(true);
    expect(batches[1]?.[0]).toBe('p2-0');
  });

  it('asks nothing for no buckets', async () => {
    await expect(awsMaciePort().bucketSensitivity({ ...SCOPE, buckets: [] })).resolves.toEqual([]);
    expect(macie.calls()).toHaveLength(0);
  });

  it('reports Macie not enabled as AwsServiceDisabled', async () => {
    macie
      .on(DescribeBucketsCommand)
      .rejects(new AccessDeniedException({ message: 'Macie is not enabled.', $metadata: {} }));

    const result = awsMaciePort().bucketSensitivity({ ...SCOPE, buckets: ['customer-data'] });

    await expect(result).rejects.toBeInstanceOf(AwsServiceDisabled);
    await expect(result).rejects.toThrow(/Macie is not enabled/);
    expect(macie).not.toHaveReceivedCommand(ListFindingsCommand);
  });

  it.each([
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'Macie account not found', $metadata: {} })],
    ['ConflictException', new ConflictException({ message: 'Macie is suspended for this account', $metadata: {} })],
  ])('reports %s as AwsServiceDisabled', async (_code, error) => {
    macie.on(DescribeBucketsCommand).rejects(error);

    await expect(awsMaciePort().bucketSensitivity({ ...SCOPE, buckets: ['customer-data'] })).rejects.toBeInstanceOf(
      AwsServiceDisabled,
    );
  });

  it('keeps a missing permission as AwsAccessDenied and throttling as AwsThrottling', async () => {
    macie.on(DescribeBucketsCommand).resolves({ buckets: [] });
    macie
      .on(ListFindingsCommand)
      .rejectsOnce(
        new AccessDeniedException({ message: 'User is not authorized to perform: macie2:ListFindings', $metadata: {} }),
      )
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const port = awsMaciePort();

    const denied = port.bucketSensitivity({ ...SCOPE, buckets: ['customer-data'] });
    await expect(denied).rejects.toBeInstanceOf(AwsAccessDenied);
    const throttled = port.bucketSensitivity({ ...SCOPE, buckets: ['customer-data'] });
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottling);
    await expect(throttled).rejects.toThrow(/^macie2:ListFindings failed: ThrottlingException/);
  });
});
