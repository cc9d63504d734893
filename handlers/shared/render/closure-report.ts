import type { Closure } from '../lifecycle.js';
import { resolutionLabel } from './closure.js';
import { escapeHtml, markdownLine } from './escape.js';

/**
 * The closing part added to a stored report's three files when its incident is closed. Separate
 * from the report renderers: closing rewrites the stored report by adding this part, nothing else.
 */

function closedLines(closure: Closure): string[] {
  return [
    `  Resolution: ${resolutionLabel(closure.resolution)}`,
    `  Closed by: ${closure.by}`,
    `  Closed at: ${closure.at}`,
    ...(closure.note ? [`  Note: ${closure.note}`] : []),
  ];
}

/** A CLOSED section already at the end of a Markdown report (its values are one line each). */
const MARKDOWN_CLOSED = /\n*\nCLOSED:\n(?: {2}(?:Resolution|Closed by|Closed at|Note): [^\n]*\n?)+$/;

/** An HTML report's "Closed" section (every value escaped, so no `<` inside a cell). */
const HTML_CLOSED = /\n<h2 id="closed">Closed<\/h2>\n<table>(?:<tr><th>[^<]*<\/th><td>[^<]*<\/td><\/tr>)*<\/table>\n/;

/**
 * The Markdown report with a CLOSED section at its end (each line through the report's escaper).
 * A report that has one already has it replaced, so rewriting twice (a retried sweep, a report
 * written after the close) never shows two.
 */
export function markdownWithClosure(markdown: string, closure: Closure): string {
  const section = ['CLOSED:', ...closedLines(closure)].map(markdownLine).join('\n');
  return `${markdown.replace(MARKDOWN_CLOSED, '').replace(/\n*$/, '')}\n\n${section}\n`;
}

/** The JSON report with a `closure` field. */
export function jsonWithClosure(json: string, closure: Closure): string {
  const report = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...report, closure }, null, 2);
}

/** The HTML report with a "Closed" section at the end of its main content (every value escaped; an earlier one replaced). */
export function htmlWithClosure(html: string, closure: Closure): string {
  const rows = [
    ['Resolution', resolutionLabel(closure.resolution)],
    ['Closed by', closure.by],
    ['Closed at', closure.at],
    ...(closure.note ? [['Note', closure.note]] : []),
  ]
    .map(([label, value]) => `<tr><th>${escapeHtml(label ?? '')}</th><td>${escapeHtml(value ?? '')}</td></tr>`)
    .join('');
  const section = `<h2 id="closed">Closed</h2>\n<table>${rows}</table>\n`;
  const body = html.replace(HTML_CLOSED, '');
  const end = body.lastIndexOf('</main>');
  return end === -1 ? `${body}\n${section}` : `${body.slice(0, end)}\n${section}${body.slice(end)}`;
}
