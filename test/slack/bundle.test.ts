import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleResult, bundledPackages, bundleHandler, ROOT, STUBS } from '../../infra/bundling/bundle.js';
import { unavailable } from '../../infra/bundling/stubs/unavailable.js';
import { runBundledSlackRequest, type SlackFakes, startSlackFakes } from '../../local/bundled-slack.js';

/**
 * The Slack handler as deployed: bundled by `infra/bundling` (Bolt's unused receivers stubbed out,
 * the Lambda credential provider in place of the SDK's chain), run in a fresh `node` on one signed
 * click. The other Slack tests import the real modules; this one proves the stubs are never
 * reached on the request path and that the bundle's SDK clients sign with the Lambda variables.
 */
let outdir: string;
let bundle: BundleResult;
let fakes: SlackFakes;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'slack-bundle-'));
  [bundle, fakes] = await Promise.all([
    bundleHandler(join(ROOT, 'handlers/slack/index.ts'), outdir),
    startSlackFakes(),
  ]);
});
afterAll(async () => {
  await fakes?.stop();
  await rm(outdir, { recursive: true, force: true });
});

describe('the bundled Slack handler', () => {
  it("holds no receiver but AwsLambdaReceiver, none of the others' packages, nor the SDK credential chain", () => {
    const packages = bundledPackages(bundle.metafile);
    for (const name of [
      ...Object.keys(STUBS.slack?.packages ?? {}),
      '@slack/socket-mode',
      'undici',
      'express',
      'body-parser',
      'iconv-lite',
      'path-to-regexp',
      'jsonwebtoken',
      '@aws-sdk/credential-provider-node',
    ]) {
      expect(packages, name).not.toContain(name);
    }
    const boltFiles = Object.keys(bundle.metafile.inputs).filter((path) =>
      path.includes('node_modules/@slack/bolt/dist/receivers/'),
    );
    expect(boltFiles.some((path) => path.endsWith('/AwsLambdaReceiver.js'))).toBe(true);
    for (const receiver of ['ExpressReceiver', 'HTTPReceiver', 'SocketModeReceiver']) {
      expect(STUBS.slack?.boltReceivers).toContain(receiver);
      expect(boltFiles.filter((path) => path.endsWith(`/${receiver}.js`))).toEqual([]);
    }
  });

  it('a stub throws naming the module when called, also with new', () => {
    const Stub = unavailable('@slack/oauth', 'InstallProvider') as unknown as new () => unknown;
    expect(() => new Stub()).toThrow(/^@slack\/oauth \(InstallProvider\) is not in this Lambda bundle/);
  });

  it('handles a signed Approve click in a fresh process: 200, SendTaskSuccess, the message updated', async () => {
    const run = await runBundledSlackRequest(bundle.file, fakes);

    expect(run.statusCode, run.output).toBe(200);
    expect(run.output).not.toMatch(/is not in this Lambda bundle/);
    expect(fakes.awsCalls.map((call) => call.target)).toEqual([
      'secretsmanager.GetSecretValue',
      'AWSStepFunctions.SendTaskSuccess',
    ]);
    const success = fakes.awsCalls[1]?.body as { taskToken: string; output: string };
    expect(JSON.parse(success.output)).toMatchObject({
      outcome: 'approved',
      via: 'slack',
      decidedBy: ['U024BE7LH'],
    });
    // Signed with the function's variables by the Lambda credential provider.
    for (const call of fakes.awsCalls) {
      expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIALAMBDAROLEKEY0001\//);
    }
    expect(fakes.slackCalls).toEqual(['chat.update']);
    expect(run.importMs).toBeGreaterThan(0);
  });
});
