import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { CASES, type CaseName } from './cases.js';

/**
 * `npm run integ:deploy [case…]`: for each integration case, in turn, `cdk deploy --all` into the
 * account and Region of the current AWS credentials (the DeployAssert stack's assertions run
 * during the deploy and fail it if they fail), then empty the evidence bucket and `cdk destroy
 * --all`, whatever the outcome. Never in CI: it needs a sandbox account.
 */
const OUTDIR = 'cdk.out.integ';

function cdk(args: string[]): number {
  const result = spawnSync('npx', ['cdk', ...args, '--no-notices'], { stdio: 'inherit' });
  return result.status ?? 1;
}

/** Deletes every version and delete marker in the bucket, so CloudFormation can delete it. */
async function empty(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(({ Key, VersionId }) => ({
      Key,
      VersionId,
    }));
    if (objects.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
}

/** The `…BucketName` outputs of the case's stacks, from `cdk deploy --outputs-file`. */
function bucketsOf(outputsFile: string): string[] {
  if (!existsSync(outputsFile)) return [];
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  return Object.values(outputs).flatMap((stack) =>
    Object.entries(stack).flatMap(([key, value]) => (key.endsWith('BucketName') ? [value] : [])),
  );
}

async function run(name: CaseName, s3: S3Client): Promise<boolean> {
  const app = ['-a', `npx tsx test/integ/integ.${name}.ts`, '-o', `${OUTDIR}/${name}`];
  const outputsFile = `${OUTDIR}/${name}.outputs.json`;
  process.stdout.write(`\n== ${name}: deploy (the assertions run now)\n`);
  const deployed = cdk(['deploy', '--all', '--require-approval', 'never', '--outputs-file', outputsFile, ...app]);
  process.stdout.write(`\n== ${name}: ${deployed === 0 ? 'assertions passed' : 'FAILED'}; destroying\n`);
  for (const bucket of bucketsOf(outputsFile)) await empty(s3, bucket);
  const destroyed = cdk(['destroy', '--all', '--force', ...app]);
  if (destroyed !== 0) {
    process.stderr.write(
      `${name}: destroy failed: delete the stacks ResponderUserKey*/ResponderAssumedRole* by hand\n`,
    );
  }
  return deployed === 0 && destroyed === 0;
}

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in CASES));
if (unknown.length > 0) {
  process.stderr.write(`unknown case ${unknown.join(', ')}: the cases are ${Object.keys(CASES).join(', ')}\n`);
  process.exit(2);
}
const s3 = new S3Client({ followRegionRedirects: true });
let failed = 0;
for (const name of (names.length > 0 ? names : Object.keys(CASES)) as CaseName[]) {
  if (!(await run(name, s3))) failed += 1;
}
process.exitCode = failed > 0 ? 1 : 0;
