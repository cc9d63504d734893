import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../local/simulate.js';
import { ROOT } from '../support/fixtures.js';
import { hostileSeedScenario } from '../support/hostile-report.js';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or `CHROMIUM_PATH`. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'test-results', 'html-report.png');

describe('the HTML report in a browser', () => {
  it('renders with no console error and no request, and its timeline has a mark per entry', async () => {
    expect(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`).toBe(
      true,
    );
    let html = '';
    const result = await simulate(hostileSeedScenario(), {
      approve: { kind: 'all' },
      onReportFiles: (files) => {
        html = [...files].find(([name]) => name.endsWith('.html'))?.[1] ?? '';
      },
    });
    expect(result.incidents[0]?.status).toBe('contained');

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });

      await page.setContent(html, { waitUntil: 'load' });
      const marks = await page.locator('svg circle, svg rect').count();
      const entries = await page.locator('h2:text("Incident timeline") ~ table').first().locator('tr').count();
      const svgBox = await page.locator('svg').first().boundingBox();
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(marks).toBe(entries);
      expect(svgBox?.width ?? 0).toBeGreaterThan(500);
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
