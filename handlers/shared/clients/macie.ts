import {
  type BucketMetadata,
  CreateClassificationJobCommand,
  DescribeBucketsCommand,
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  Macie2Client,
} from '@aws-sdk/client-macie2';
import { AwsServiceDisabled, AwsServiceError, awsErrorCode, mapAwsError } from '../errors.js';
import type { AccountScope, MaciePort } from '../ports.js';
import { summarizeSensitivity } from '../sensitivity.js';
import { clientFor } from './accounts.js';

/** ListFindings pages read at most: 250 findings is plenty to name a bucket's sensitive data types. */
export const MAX_FINDING_PAGES = 5;
/** GetFindings takes at most 50 ids; ListFindings and DescribeBuckets return at most 50 a page. */
const PAGE_SIZE = 50;

const macieIn = (scope: AccountScope) => clientFor('macie2', (config) => new Macie2Client(config), scope);

/**
 * Macie answers for an account where it is off or suspended with AccessDeniedException
 * ("Macie is not enabled."), and for some account states with ResourceNotFoundException or
 * ConflictException. None of these calls names a resource, so all three mean "no Macie here".
 */
function macieError(call: string, error: unknown): Error {
  const code = awsErrorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  const disabled =
    code === 'ResourceNotFoundException' ||
    code === 'ConflictException' ||
    (code === 'AccessDeniedException' && /not enabled|isn't enabled|suspended/i.test(text));
  if (disabled) {
    return new AwsServiceDisabled(
      `${call} failed: ${code}: ${text} (Amazon Macie is not enabled for this account and Region)`,
    );
  }
  return mapAwsError(call, error);
}

async function macieCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw macieError(call, error);
  }
}

/** An IAM permission failure ("… is not authorized to perform: macie2:…"): stays AwsAccessDenied. */
const NOT_AUTHORIZED = /not authorized to perform/i;
/**
 * What Macie says when it is off here, or when this account cannot analyze the buckets: Macie
 * analyzes only buckets of its own account or of member accounts it is the administrator for, and
 * refuses others with a ValidationException or AccessDeniedException that says so. (Not a bare
 * "member": a constraint failure reads "Member must have length …".)
 */
const CANNOT_SEE_BUCKETS =
  /not enabled|isn't enabled|suspended|administrator|member account|not a member|isn't a member|not associated|isn't associated|does not own|doesn't own|not the owner|isn't the owner/i;

/**
 * Errors of CreateClassificationJob. Unlike the read calls, a ConflictException here may be
 * Macie's answer to a reused `clientToken` with other settings, so it means "disabled" only when
 * its message says so; ResourceNotFoundException still means there is no Macie account here (the
 * job names no custom identifier or allow list that could be missing).
 */
function createJobError(call: string, error: unknown): Error {
  const code = awsErrorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  const refused =
    (code === 'ValidationException' || code === 'AccessDeniedException' || code === 'ConflictException') &&
    !NOT_AUTHORIZED.test(text) &&
    CANNOT_SEE_BUCKETS.test(text);
  if (code === 'ResourceNotFoundException' || refused) {
    return new AwsServiceDisabled(
      `${call} failed: ${code}: ${text} (Amazon Macie is not enabled for this account and Region, or this account ` +
        'is not the Macie administrator for the account that owns the buckets)',
    );
  }
  return mapAwsError(call, error);
}

async function describeBuckets(client: Macie2Client, names: string[]): Promise<Map<string, BucketMetadata>> {
  const byName = new Map<string, BucketMetadata>();
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeBucketsCommand({ criteria: { bucketName: { eq: names } }, maxResults: PAGE_SIZE, nextToken }),
    );
    for (const bucket of page.buckets ?? []) if (bucket.bucketName) byName.set(bucket.bucketName, bucket);
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return byName;
}

async function listFindingIds(client: Macie2Client, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new ListFindingsCommand({
        findingCriteria: {
          criterion: { 'resourcesAffected.s3Bucket.name': { eq: names }, category: { eq: ['CLASSIFICATION'] } },
        },
        sortCriteria: { attributeName: 'updatedAt', orderBy: 'DESC' },
        maxResults: PAGE_SIZE,
        nextToken,
      }),
    );
    ids.push(...(page.findingIds ?? []));
    nextToken = page.nextToken || undefined;
    pages += 1;
  } while (nextToken && pages < MAX_FINDING_PAGES);
  return ids;
}

async function getFindings(client: Macie2Client, ids: string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (let start = 0; start < ids.length; start += PAGE_SIZE) {
    const page = await client.send(new GetFindingsCommand({ findingIds: ids.slice(start, start + PAGE_SIZE) }));
    findings.push(...(page.findings ?? []));
  }
  return findings;
}

/**
 * The Macie port against AWS, in the incident's account and Region: DescribeBuckets for the
 * named buckets (sensitivity score, classifiable objects), then their sensitive-data findings
 * (ListFindings, newest first, at most MAX_FINDING_PAGES pages; GetFindings 50 at a time), summed
 * up per bucket by `summarizeSensitivity`. A bucket Macie does not know still gets an entry.
 * Throws AwsServiceDisabled when Macie is not enabled.
 *
 * `createClassificationJob` starts a ONE_TIME job with the recommended managed data identifiers
 * on the named buckets of the incident's account. Macie makes it idempotent on `clientToken`.
 * Throws AwsServiceDisabled when Macie is off or cannot analyze the buckets.
 */
export function awsMaciePort(): MaciePort {
  return {
    bucketSensitivity: async ({ buckets, ...scope }) => {
      if (buckets.length === 0) return [];
      const client = macieIn(scope);
      const meta = await macieCall('macie2:DescribeBuckets', () => describeBuckets(client, buckets));
      const ids = await macieCall('macie2:ListFindings', () => listFindingIds(client, buckets));
      const findings = await macieCall('macie2:GetFindings', () => getFindings(client, ids));
      return buckets.map((bucket) => {
        const found = meta.get(bucket);
        return summarizeSensitivity(
          bucket,
          found && { sensitivityScore: found.sensitivityScore, classifiableObjectCount: found.classifiableObjectCount },
          findings,
        );
      });
    },

    createClassificationJob: async ({ name, clientToken, buckets, description, ...scope }) => {
      const call = 'macie2:CreateClassificationJob';
      let answer: { jobId?: string; jobArn?: string };
      try {
        answer = await macieIn(scope).send(
          new CreateClassificationJobCommand({
            clientToken,
            jobType: 'ONE_TIME',
            name,
            description,
            s3JobDefinition: { bucketDefinitions: [{ accountId: scope.accountId, buckets }] },
            managedDataIdentifierSelector: 'RECOMMENDED',
          }),
        );
      } catch (error) {
        throw createJobError(call, error);
      }
      if (!answer.jobId) throw new AwsServiceError(`${call} answered without jobId`);
      return { jobId: answer.jobId, jobArn: answer.jobArn };
    },
  };
}
