import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HANDLERS = path.join(ROOT, 'handlers');

/** Every relative module a source file imports, re-exports or loads dynamically, resolved against its folder. */
function importsOf(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((entry) => entry.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The handler folder a path is in (`shared` included), or undefined outside handlers/. */
function handlerFolder(file: string): string | undefined {
  const relative = path.relative(HANDLERS, file);
  return relative.startsWith('..') ? undefined : relative.split(path.sep)[0];
}

/** `from → to` for each import that leaves its handler folder for another one (shared may import only shared). */
function crossings(files: readonly string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = handlerFolder(file);
    for (const target of importsOf(file, read(file))) {
      const to = handlerFolder(target);
      if (from === undefined || to === undefined || to === from || to === 'shared') continue;
      found.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
    }
  }
  return found;
}

describe('each handler folder is one Lambda that reaches others only through handlers/shared', () => {
  it('the import reader sees static, type-only, re-exported and dynamic imports across folders', () => {
    const source = [
      "import { a } from '../slack/a.js';",
      "import type { B } from '../describe-buckets/core.js';",
      "export { c } from '../write-report/c.js';",
      "const d = await import('../detect/d.js');",
      "import { e } from '../shared/e.js';",
      "import { f } from './f.js';",
    ].join('\n');
    const file = path.join(HANDLERS, 'request-approval', 'core.ts');

    const found = crossings([file], () => source);

    expect(found).toEqual([
      'handlers/request-approval/core.ts → handlers/slack/a.js',
      'handlers/request-approval/core.ts → handlers/describe-buckets/core.js',
      'handlers/request-approval/core.ts → handlers/write-report/c.js',
      'handlers/request-approval/core.ts → handlers/detect/d.js',
    ]);
  });

  it('the reader flags handlers/shared importing a handler folder', () => {
    const file = path.join(HANDLERS, 'shared', 'clients', 'athena.ts');

    const found = crossings([file], () => "import { sql } from '../../query-data-events/sql.js';");

    expect(found).toEqual(['handlers/shared/clients/athena.ts → handlers/query-data-events/sql.js']);
  });

  it('no file in a handler folder imports another handler folder, and handlers/shared imports none', () => {
    const files = sourceFiles(HANDLERS);

    const found = crossings(files, (file) => readFileSync(file, 'utf8'));

    expect(files.length).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });

  it('the simulator reaches the AWS adapters only through the ports', () => {
    const file = path.join(ROOT, 'local', 'simulate.ts');
    const clients = path.join(HANDLERS, 'shared', 'clients');

    const targets = importsOf(file, readFileSync(file, 'utf8'));

    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !path.relative(clients, target).startsWith('..'))).toEqual([]);
  });
});
