import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtmlReport } from '../../handlers/shared/render/html-report.js';
import type { Report } from '../../handlers/shared/render/report.js';
import { simulate } from '../../local/simulate.js';
import { HOSTILE_TEXT, hostileSeedScenario, reportJsonOf } from '../support/hostile-report.js';

/** The elements a report may contain: text structure and inline SVG, nothing that loads or runs. */
const ALLOWED_ELEMENTS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'main',
  'h1',
  'h2',
  'p',
  'span',
  'i',
  'code',
  'table',
  'tr',
  'th',
  'td',
  'ul',
  'li',
  'svg',
  'line',
  'text',
  'rect',
  'circle',
]);

/** Every tag name; escaped text has no `<`, so each match is markup the renderer wrote. */
function elements(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => (match[1] ?? '').toLowerCase());
}

async function htmlOfHostileRun(): Promise<{ html: string; report: Report }> {
  let files: ReadonlyMap<string, string> = new Map();
  const result = await simulate(hostileSeedScenario(), {
    approve: { kind: 'all' },
    onReportFiles: (written) => {
      files = written;
    },
  });
  const incidentId = result.incidents[0]?.incidentId ?? '';
  return { html: files.get(`${incidentId}.html`) ?? '', report: reportJsonOf(files, incidentId) };
}

describe('the HTML report', () => {
  it('escapes the five characters that could open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('shows attacker-written text as text: only the report’s own elements, no handler, script or link', async () => {
    const { html } = await htmlOfHostileRun();

    expect(html.startsWith('<!doctype html>')).toBe(true);
    const unexpected = elements(html).filter((name) => !ALLOWED_ELEMENTS.has(name));
    expect(unexpected).toEqual([]);
    const markup = (html.match(/<[^>]*>/g) ?? []).join('\n');
    expect(markup).not.toMatch(/\son[a-z]+\s*=/i);
    expect(markup).not.toMatch(/\b(src|href)\s*=/i);
    expect(markup).not.toMatch(/https?:\/\//);
    const style = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
    expect(style).not.toMatch(/url\(|@import/i);
    for (const text of HOSTILE_TEXT) expect(html).toContain(escapeHtml(text));
  });

  it('forbids loading anything through its Content-Security-Policy', async () => {
    const { html } = await htmlOfHostileRun();

    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it('holds the timeline picture, the data-impact table and the checklist of the same report', async () => {
    const { html, report } = await htmlOfHostileRun();

    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    const marks = (svg.match(/<circle|<rect/g) ?? []).length;
    expect(marks).toBe(report.timeline.length);
    for (const label of ['TTD', 'TTA', 'TTC']) expect(svg).toMatch(new RegExp(`>${label} \\d+ (min|h)`));
    expect(html).toContain('<h2>Data impact</h2>');
    const checked = (html.match(/<li class="done">☑/g) ?? []).length;
    expect(checked).toBe(report.containment.filter((item) => item.done).length);
    expect(checked).toBeGreaterThan(0);
  });

  it('says so in place of a picture when nothing has a time', () => {
    const empty = {
      title: 'S3 Data Exfiltration Investigation Report',
      incidentId: 'i-1',
      status: 'failed',
      account: '111122223333',
      region: 'eu-west-1',
      detectionSource: 'Detection',
      investigationDate: '2026-12-04',
      timeline: [],
      milestones: {},
      principal: { type: 'Unknown', sourceIps: [], otherKeys: [], recentKeys: [] },
      impact: {
        buckets: [],
        dataEventSourceIps: [],
        sensitiveDataTypes: [],
        crossAccountCopies: [],
        bucketWarnings: [],
        unavailable: [],
      },
      containment: [],
      nextSteps: [],
      metrics: {},
      evidenceSources: [],
    } satisfies Report;

    expect(renderHtmlReport(empty)).toContain('No timed events were recorded.');
  });
});
