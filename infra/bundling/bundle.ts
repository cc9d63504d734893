import { mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

/**
 * How every Lambda handler is bundled, by the stack (`TaskFunction`, through `cli.ts`), by the
 * bundle-size test and by `npm run bench`: one ESM file, minified, the AWS SDK bundled, Powertools
 * left to its layer (`LAYER_PACKAGES`), with a separate source map. Nothing here runs Docker.
 */

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HERE = dirname(fileURLToPath(import.meta.url));

/** The largest a handler bundle may be (minified, source map not counted): `test/infra/bundle-size.test.ts`. */
export const MAX_BUNDLE_BYTES = 500 * 1024;

/**
 * The options shared by every handler (the rest is `buildOptionsFor`). Not `keepNames`: every
 * error class the state machine or the code matches on sets its `name` explicitly, Node maps stack
 * frames back to the source, function names included (`--enable-source-maps`, set on every
 * function), and the `__name` wrappers cost 6 % of every bundle.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  keepNames: false,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
} as const satisfies BuildOptions;

/**
 * Powertools (Logger, Metrics, Tracer and their dependencies, the X-Ray SDK among them) is not in
 * the bundles: every function has the Powertools public Lambda layer of the version in
 * `package.json` (`powertoolsLayer` in `infra/constructs/task-function.ts`), and Node finds the packages there. Bundled,
 * they would add 153 KB to each function (Tracer's X-Ray SDK 121 KB, Logger and Metrics 33 KB)
 * and put the largest over `MAX_BUNDLE_BYTES`. The tests and the local runtime run the TypeScript,
 * which takes them from `node_modules`.
 */
export const LAYER_PACKAGES = ['@aws-lambda-powertools/*'] as const;

/**
 * Makes a bundle outside Lambda find what the layer provides: `node_modules/@aws-lambda-powertools`
 * beside it, linked to the project's. For running a bundle locally (`npm run bench`, the Slack
 * bundle test); never in a deployed asset.
 */
export async function provideLayerLocally(bundleFile: string): Promise<void> {
  const scope = join(dirname(bundleFile), 'node_modules', '@aws-lambda-powertools');
  await mkdir(dirname(scope), { recursive: true });
  await symlink(join(ROOT, 'node_modules', '@aws-lambda-powertools'), scope, 'dir').catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
}

/**
 * In every bundle: the Lambda environment's credentials only (`lambda-credentials.ts`), the
 * endpoint-discovery cache of the DynamoDB client on a `Map` (`lru-cache.ts`), and no event-stream
 * codec, which no operation of ours uses (`event-streams.ts`).
 */
const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': join(HERE, 'lambda-credentials.ts'),
  'mnemonist/lru-cache': join(HERE, 'lru-cache.ts'),
  '@smithy/core/event-streams': join(HERE, 'event-streams.ts'),
};

const SCHEMA_FILE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:submodules[\\/][^\\/]+[\\/])?schemas[\\/]schemas_\d+\.js$/;
const STRING_CONST = /^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm;
const COMPUTED_KEY = /\[(_[A-Za-z0-9_$]+)\]:/g;

/**
 * The generated schema module of an AWS SDK client (`dist-es/schemas/schemas_0.js`) with every
 * computed key `[_x]:` whose `_x` is one of the module's top-level string constants written as
 * the string itself. The generator writes trait keys as computed keys (`{ [_eQN]: "Min" }`);
 * esbuild cannot tell that `_eQN` is a string, counts the object literal as a possible side effect
 * and keeps every schema of the service and every schema they point to (aws/aws-sdk-js-v3#7607,
 * evanw/esbuild#4373; smithy-lang/smithy-typescript#1889 changes the generator). With the value in
 * place of the reference esbuild keeps only the schemas of the commands used: EC2 drops from 540 KB
 * to 7 KB, S3 from 66 KB to 8 KB. The module's meaning is unchanged (a `const` string replaced by
 * its value).
 */
export function inlineSchemaKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONST)) {
    if (name !== undefined && literal !== undefined) strings.set(name, literal);
  }
  if (strings.size === 0) return source;
  return source.replace(COMPUTED_KEY, (whole, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? whole : `[${literal}]:`;
  });
}

const PACKAGE_JSON = /[\\/]node_modules[\\/]@(?:aws-sdk|smithy|slack)[\\/][^\\/]+[\\/]package\.json$/;

/**
 * The SDK's schema modules through `inlineSchemaKeys`; the SDK's and Slack's `package.json` trimmed
 * to `name` and `version`, the only fields their code reads (for the user agent), where a default
 * import of a JSON file would bundle all of it (2-4 KB a client).
 */
const sdkModules: Plugin = {
  name: 'sdk-modules',
  setup(builder) {
    builder.onLoad({ filter: SCHEMA_FILE }, async ({ path }) => ({
      contents: inlineSchemaKeys(await readFile(path, 'utf8')),
      loader: 'js',
    }));
    builder.onLoad({ filter: PACKAGE_JSON }, async ({ path }) => {
      const { name, version } = JSON.parse(await readFile(path, 'utf8')) as { name?: unknown; version?: unknown };
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

const ZOD_TO_JSON_SCHEMA = /[\\/]node_modules[\\/]zod[\\/]v4[\\/]core[\\/]to-json-schema\.js$/;
const EXPORTED = /^export (?:function|const|let|class) ([A-Za-z0-9_$]+)|^export \{([^}]*)\}/gm;

/**
 * zod's JSON Schema generation (`toJSONSchema`, `~standard.jsonSchema`), which no handler calls, as
 * a module of the same exports that throw when called: zod's schema classes reference it, so
 * esbuild keeps all of it otherwise (9 KB a bundle). The two method factories zod calls while
 * building a schema return a function that throws; the rest throw at once.
 */
export function zodJsonSchemaStub(source: string): string {
  const names: string[] = [];
  for (const [, name, list] of source.matchAll(EXPORTED)) {
    if (name) names.push(name);
    for (const entry of list?.split(',') ?? []) {
      const alias = entry
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (alias) names.push(alias);
    }
  }
  const lines = [
    "const absent = () => { throw new Error('zod JSON Schema generation is not in this bundle'); };",
    ...names.map((name) =>
      /^create[A-Za-z]*Method$/.test(name) ? `export const ${name} = () => absent;` : `export const ${name} = absent;`,
    ),
  ];
  return lines.join('\n');
}

/** zod's JSON Schema generation replaced by `zodJsonSchemaStub`. */
const zodModules: Plugin = {
  name: 'zod-modules',
  setup(builder) {
    builder.onLoad({ filter: ZOD_TO_JSON_SCHEMA }, async ({ path }) => ({
      contents: zodJsonSchemaStub(await readFile(path, 'utf8')),
      loader: 'js',
    }));
  },
};

/** Modules a handler's bundle replaces by a stub: each export a function that throws naming it. */
export interface Stubs {
  /** Packages, by the name they are imported by, and their exports. */
  readonly packages: Readonly<Record<string, readonly string[]>>;
  /** Bolt's receivers other than `AwsLambdaReceiver` (`@slack/bolt/dist/receivers/<name>.js`, imported relatively). */
  readonly boltReceivers: readonly string[];
}

/**
 * What a handler's dependencies load at start but never run on its path. Bolt's `App` and entry
 * point load every receiver; the Slack handler only uses `AwsLambdaReceiver`, and the others
 * bring Socket Mode (undici), Express (body-parser, iconv-lite, mime-db) and path-to-regexp; the
 * entry point also loads raw-body and OAuth (jsonwebtoken). 1.5 MB of the 2 MB bundle.
 * `test/slack/bundle.test.ts` runs a signed request through the bundled handler.
 */
export const STUBS: Readonly<Record<string, Stubs>> = {
  slack: {
    packages: {
      'raw-body': ['default'],
      '@slack/oauth': ['InstallProvider', 'FileInstallationStore', 'MemoryInstallationStore'],
    },
    boltReceivers: ['ExpressReceiver', 'HTTPReceiver', 'SocketModeReceiver'],
  },
};

const STUB = 'stub';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Resolves the stubbed modules to generated ones (`stubs/unavailable.ts` for each export). */
function stubPlugin(stubs: Stubs): Plugin {
  const exports = new Map<string, readonly string[]>(Object.entries(stubs.packages));
  for (const name of stubs.boltReceivers) exports.set(`@slack/bolt/dist/receivers/${name}.js`, ['default']);
  const packages = new RegExp(`^(?:${Object.keys(stubs.packages).map(escapeRegExp).join('|')})$`);
  const receivers = new RegExp(`^\\./receivers/(?:${stubs.boltReceivers.map(escapeRegExp).join('|')})$`);
  const inBolt = /[\\/]node_modules[\\/]@slack[\\/]bolt[\\/]dist[\\/][^\\/]+$/;
  return {
    name: 'stubs',
    setup(builder) {
      builder.onResolve({ filter: packages }, ({ path }) => ({ path, namespace: STUB }));
      builder.onResolve({ filter: receivers }, ({ path, importer }) =>
        inBolt.test(importer)
          ? { path: `@slack/bolt/dist/receivers/${basename(path)}.js`, namespace: STUB }
          : undefined,
      );
      builder.onLoad({ filter: /.*/, namespace: STUB }, ({ path }) => ({
        contents: [
          "import { unavailable } from './unavailable.ts';",
          ...(exports.get(path) ?? []).map((name) =>
            name === 'default'
              ? `export default unavailable(${JSON.stringify(path)}, 'default');`
              : `export const ${name} = unavailable(${JSON.stringify(path)}, ${JSON.stringify(name)});`,
          ),
        ].join('\n'),
        resolveDir: join(HERE, 'stubs'),
        loader: 'ts',
      }));
    },
  };
}

/** The folder of a handler entry (`handlers/<folder>/index.ts`). */
export function handlerFolder(entry: string): string {
  return basename(dirname(entry));
}

/** Every option of one handler's build: the shared ones, the Lambda aliases, the SDK plugin and its stubs. */
export function buildOptionsFor(entry: string): BuildOptions {
  const stubs = STUBS[handlerFolder(entry)];
  return {
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
    entryPoints: [entry],
    absWorkingDir: ROOT,
    alias: { ...LAMBDA_ALIASES },
    external: [...LAYER_PACKAGES],
    plugins: stubs ? [sdkModules, zodModules, stubPlugin(stubs)] : [sdkModules, zodModules],
  };
}

export interface BundleResult {
  /** The bundle (`index.mjs`) and its source map. */
  readonly file: string;
  /** Size of the bundle, without the source map. */
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Bundles one handler into `outdir/index.mjs` (+ `index.mjs.map`), as it is deployed. */
export async function bundleHandler(entry: string, outdir: string): Promise<BundleResult> {
  const file = join(outdir, 'index.mjs');
  const result = await build({ ...buildOptionsFor(entry), outfile: file, metafile: true });
  return { file, bytes: (await stat(file)).size, metafile: result.metafile };
}

/** The packages (`node_modules/<name>`) a bundle holds code of. */
export function bundledPackages(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(path);
      if (match?.[1] && bytesInOutput > 0) packages.add(match[1].replace('\\', '/'));
    }
  }
  return packages;
}
