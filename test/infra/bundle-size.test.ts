import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleResult,
  bundledPackages,
  bundleHandler,
  inlineSchemaKeys,
  MAX_BUNDLE_BYTES,
  ROOT,
  zodJsonSchemaStub,
} from '../../infra/bundling/bundle.js';
import { TaskFunction } from '../../infra/constructs/task-function.js';

/** Every Lambda handler, bundled as the stack bundles it (`infra/bundling/bundle.ts`). */
const HANDLERS = readdirSync(join(ROOT, 'handlers'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
  .map((entry) => entry.name)
  .sort();

let outdir: string;
const bundles = new Map<string, BundleResult>();

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'bundles-'));
  await Promise.all(
    HANDLERS.map(async (name) => {
      bundles.set(name, await bundleHandler(join(ROOT, 'handlers', name, 'index.ts'), join(outdir, name)));
    }),
  );
});
afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

describe('handler bundles', () => {
  it('bundles every handler folder, the Slack endpoint and the detection Lambda among them', () => {
    expect(HANDLERS).toEqual(expect.arrayContaining(['slack', 'detect', 'register-incident', 'rollback-incident']));
    expect([...bundles.keys()].sort()).toEqual(HANDLERS);
  });

  it(`keeps every bundle at most ${kb(MAX_BUNDLE_BYTES)} minified (source map apart)`, () => {
    const sizes = Object.fromEntries([...bundles].map(([name, bundle]) => [name, kb(bundle.bytes)]));
    const over = [...bundles].filter(([, bundle]) => bundle.bytes > MAX_BUNDLE_BYTES).map(([name]) => name);
    expect(over, `bundle sizes: ${JSON.stringify(sizes, null, 1)}`).toEqual([]);
  });

  it('carries the claim operations only in the functions that claim', () => {
    const withClaims = [...bundles]
      .filter(([, bundle]) =>
        Object.values(bundle.metafile.outputs).some((output) =>
          Object.keys(output.inputs).some((input) => input.endsWith('handlers/shared/store/dynamodb-claims.ts')),
        ),
      )
      .map(([name]) => name);
    // The close function shares the registration's lifecycle store (the auto-close sweep).
    expect(withClaims.sort()).toEqual(['close-incident', 'register-incident']);
  });

  it('bundles the AWS SDK and only the Lambda credential provider of it', () => {
    for (const [name, bundle] of bundles) {
      const packages = bundledPackages(bundle.metafile);
      expect(packages, name).not.toContain('@aws-sdk/credential-provider-node');
      expect(packages, name).not.toContain('@aws-sdk/credential-provider-sso');
    }
    expect(bundledPackages(bundles.get('rollback-incident')?.metafile ?? { inputs: {}, outputs: {} })).toContain(
      '@aws-sdk/client-ec2',
    );
  });
});

describe('Powertools', () => {
  it('is left to the layer: no bundle holds it or the X-Ray SDK, and every bundle imports the Logger from outside', () => {
    for (const [name, bundle] of bundles) {
      const held = [...bundledPackages(bundle.metafile)].filter(
        (pkg) => pkg.startsWith('@aws-lambda-powertools/') || pkg === 'aws-xray-sdk-core' || pkg === 'cls-hooked',
      );
      const external = Object.values(bundle.metafile.outputs).flatMap((output) =>
        output.imports.filter((entry) => entry.external).map((entry) => entry.path),
      );

      expect(held, name).toEqual([]);
      expect(external, name).toContain('@aws-lambda-powertools/logger');
      const builtin = (path: string) => builtinModules.includes(path.replace(/^node:/, ''));
      expect(
        external.filter((path) => !builtin(path) && !path.startsWith('@aws-lambda-powertools/')),
        name,
      ).toEqual([]);
    }
  });
});

describe('zodJsonSchemaStub', () => {
  it("exports every name of zod's module, the method factories returning a function that throws", async () => {
    const file = join(ROOT, 'node_modules/zod/v4/core/to-json-schema.js');
    const source = readFileSync(file, 'utf8');
    const real = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const stub = (await import(
      `data:text/javascript;base64,${Buffer.from(zodJsonSchemaStub(source)).toString('base64')}`
    )) as Record<string, (...args: unknown[]) => unknown>;

    expect(Object.keys(stub).sort()).toEqual(Object.keys(real).sort());
    const factory = stub.createToJSONSchemaMethod;
    if (!factory) throw new Error('no createToJSONSchemaMethod');
    expect(() => factory({})).not.toThrow();
    expect(() => (factory({}) as () => unknown)()).toThrow(/not in this bundle/);
    expect(() => stub.processSchema?.({})).toThrow(/not in this bundle/);
  });

  it('leaves no JSON Schema generation in any bundle', () => {
    for (const [name, bundle] of bundles) {
      const inputs = Object.values(bundle.metafile.outputs).flatMap((output) => Object.entries(output.inputs));
      const jsonSchema = inputs.find(([path]) => path.endsWith('zod/v4/core/to-json-schema.js'));
      expect(jsonSchema?.[1].bytesInOutput ?? 0, name).toBeLessThan(600);
    }
  });
});

describe('inlineSchemaKeys', () => {
  it("writes a schema module's string constants in place of its computed trait keys, and nothing else", () => {
    const source = [
      'const _eQN = "ec2QueryName";',
      'const _xN = "xmlName";',
      'const _m = "min";',
      'export var A$ = [3, n0, _m, 0, [_m], [[1, { [_eQN]: `Min`, [_xN]: _m }]]];',
      'var other = x[_m] ? { [_m]: 1 } : { [unknown]: 2 };',
    ].join('\n');

    expect(inlineSchemaKeys(source).split('\n').slice(3)).toEqual([
      'export var A$ = [3, n0, _m, 0, [_m], [[1, { ["ec2QueryName"]: `Min`, ["xmlName"]: _m }]]];',
      'var other = x[_m] ? { ["min"]: 1 } : { [unknown]: 2 };',
    ]);
  });
});

describe('the stack', () => {
  it('deploys exactly the bundle bundleHandler builds, one per function', { timeout: 60_000 }, async () => {
    const cdkOut = await mkdtemp(join(tmpdir(), 'cdk-bundling-'));
    try {
      const app = new App({ outdir: cdkOut });
      const stack = new Stack(app, 'Bundling', { env: { account: '123456789012', region: 'us-east-1' } });
      const names = ['detect', 'describe-principal'];
      const functions = names.map(
        (name) => new TaskFunction(stack, name, { entry: join(ROOT, 'handlers', name, 'index.ts'), description: name }),
      );
      const template = app.synth().getStackByName('Bundling').template as {
        Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
      };
      const assets = functions.map((fn) => {
        const id = stack.getLogicalId(fn.fn.node.defaultChild as CfnElement);
        return `asset.${template.Resources[id]?.Properties?.Code?.S3Key?.replace(/\.zip$/, '')}`;
      });
      expect(new Set(assets).size).toBe(names.length);
      for (const [index, name] of names.entries()) {
        const deployed = readFileSync(join(cdkOut, assets[index] ?? '', 'index.mjs'));
        const built = readFileSync(bundles.get(name)?.file ?? '');
        expect(deployed.equals(built), name).toBe(true);
      }
    } finally {
      await rm(cdkOut, { recursive: true, force: true });
    }
  });
});
