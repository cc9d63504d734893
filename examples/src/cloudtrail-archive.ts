import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Writes batches of records as CloudTrail delivers them to S3, one file a batch:
 * `AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<id>.json.gz`,
 * each a gzipped `{"Records":[…]}` on one line. The account, Region and time come from each
 * batch's first record. Returns the files written, in order; the names sort in batch order within
 * a day. For the archive tests and `npm run bench` (written to a temporary folder, never committed).
 */
export function writeCloudTrailArchive(root: string, batches: Iterable<readonly Record<string, unknown>[]>): string[] {
  const files: string[] = [];
  for (const batch of batches) {
    const first = batch[0];
    if (!first) continue;
    const account = String(first.recipientAccountId ?? '123456789012');
    const region = String(first.awsRegion ?? 'us-east-1');
    const time = new Date(String(first.eventTime));
    const [yyyy, mm, dd] = time.toISOString().slice(0, 10).split('-') as [string, string, string];
    const stamp = `${yyyy}${mm}${dd}T${time.toISOString().slice(11, 16).replace(':', '')}Z`;
    const dir = join(root, 'AWSLogs', account, 'CloudTrail', region, yyyy, mm, dd);
    mkdirSync(dir, { recursive: true });
    const id = String(files.length).padStart(16, '0');
    const file = join(dir, `${account}_CloudTrail_${region}_${stamp}_${id}.json.gz`);
    writeFileSync(file, gzipSync(JSON.stringify({ Records: batch }), { level: 1 }));
    files.push(file);
  }
  return files;
}

/** A CloudTrail digest file, which CloudTrail writes beside the logs (no records in it). */
export function writeDigest(root: string, account: string, region: string, day: string): string {
  const [yyyy, mm, dd] = day.split('-') as [string, string, string];
  const dir = join(root, 'AWSLogs', account, 'CloudTrail-Digest', region, yyyy, mm, dd);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${account}_CloudTrail-Digest_${region}_trail_${region}_${yyyy}${mm}${dd}T000000Z.json.gz`);
  const digest = {
    awsAccountId: account,
    digestStartTime: `${day}T00:00:00Z`,
    digestEndTime: `${day}T01:00:00Z`,
    digestS3Bucket: 'org-trail-logs',
    digestS3Object: file,
    digestPublicKeyFingerprint: '0123456789abcdef0123456789abcdef',
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: `${day}T00:59:00Z`,
    oldestEventTime: `${day}T00:00:00Z`,
    previousDigestS3Bucket: null,
    previousDigestS3Object: null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: null,
    previousDigestSignature: null,
    logFiles: [],
  };
  writeFileSync(file, gzipSync(JSON.stringify(digest)));
  return file;
}
