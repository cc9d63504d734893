import {
  type BucketMetadata,
  DescribeBucketsCommand,
  type Finding,
  GetFindingsCommand,
  ListFindingsCommand,
  Macie2Client,
} from '@aws-sdk/client-macie2';
import { summarizeSensitivity } from '../../assess-sensitivity/summarize.js';
import { AwsServiceDisabled, awsErrorCode, mapAwsError } from '../errors.js';
import type { AccountScope, MaciePort } from '../ports.js';
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
  };
}
