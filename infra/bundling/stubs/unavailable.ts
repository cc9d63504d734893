/**
 * What a package stubbed out of a bundle (`STUBBED_PACKAGES` in `../bundle.ts`) exports: a
 * function, also usable with `new`, that throws naming the package and the export. Bolt loads
 * these packages at start but only calls them when another receiver or OAuth is configured, so a
 * call means the handler took a path its bundle was not built for.
 */
export function unavailable(packageName: string, exportName: string): (...args: unknown[]) => never {
  return function stubbed(): never {
    throw new Error(
      `${packageName} (${exportName}) is not in this Lambda bundle: infra/bundling/bundle.ts stubs it out because this handler never uses it`,
    );
  };
}
