import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runResponder } from '../support/cli.js';

function simulateWith(reportDir: string) {
  return runResponder(
    'simulate',
    '--scenario',
    'examples/compromised-iam-user-key.json',
    '--approve',
    'all',
    '--json',
    '--report-dir',
    reportDir,
  );
}

describe('responder simulate --report-dir', () => {
  it('writes each incident’s Markdown, JSON and HTML report, the Markdown equal to the printed one', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'responder-reports-')), 'nested', 'reports');

    const { code, stdout } = await simulateWith(dir);

    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { incidents: { incidentId: string; reportMarkdown: string }[] };
    const first = result.incidents[0];
    expect(first).toBeDefined();
    const id = first?.incidentId ?? '';
    expect(readdirSync(dir).sort()).toEqual([`${id}.html`, `${id}.json`, `${id}.md`]);
    expect(readFileSync(join(dir, `${id}.md`), 'utf8')).toBe(first?.reportMarkdown);
    expect(JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8'))).toMatchObject({ incidentId: id });
    expect(readFileSync(join(dir, `${id}.html`), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('a directory that cannot be made is one line naming it, exit 2', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'responder-reports-')), 'a-file');
    writeFileSync(blocker, '');

    const { code, stderr } = await simulateWith(join(blocker, 'reports'));

    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(join(blocker, 'reports'));
  });
});
