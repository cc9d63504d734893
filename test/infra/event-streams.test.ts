import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOptionsFor, ROOT } from '../../infra/bundling/bundle.js';
import { EVENT_STREAMS_UNAVAILABLE } from '../../infra/bundling/event-streams.js';

/**
 * An S3 and a Lambda client built as a handler bundle builds them (the S3 client resolves an
 * event-stream marshaller when it is constructed), run in a fresh `node` against a local endpoint.
 */
const ENTRY = `
import { S3Client, GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { LambdaClient } from '@aws-sdk/client-lambda';
const endpoint = process.env.ENDPOINT;
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
new LambdaClient({ region: 'us-east-1', endpoint, credentials });
const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: 'customer-records' }));
let streaming;
try {
  s3.config.eventStreamMarshaller.deserialize();
} catch (error) {
  streaming = error.message;
}
console.log(JSON.stringify({ Policy, streaming }));
`;

const POLICY = '{"Version":"2012-10-17","Statement":[]}';
let dir: string;
let bundleFile: string;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'event-streams-'));
  const entry = join(dir, 'index.ts');
  await writeFile(entry, ENTRY);
  bundleFile = join(dir, 'probe.mjs');
  // The entry is outside the project: its packages are the project's.
  await build({
    ...buildOptionsFor(entry),
    outfile: bundleFile,
    sourcemap: false,
    nodePaths: [join(ROOT, 'node_modules')],
  });
  server = createServer((_request, reply) => reply.writeHead(200, { 'content-type': 'application/json' }).end(POLICY));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the bundles without the event-stream codec', () => {
  it('hold none of its code', () => {
    const text = readFileSync(bundleFile, 'utf8');

    expect(text).not.toContain('EventStreamCodec');
    expect(text).toContain(EVENT_STREAMS_UNAVAILABLE);
  });

  it('build the S3 and Lambda clients and make calls as before; an event-stream use throws, naming why', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bundleFile], {
      env: { ...process.env, ENDPOINT: endpoint },
    });

    expect(JSON.parse(stdout)).toEqual({ Policy: POLICY, streaming: EVENT_STREAMS_UNAVAILABLE });
  });
});
