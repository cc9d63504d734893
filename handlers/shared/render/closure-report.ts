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

/** The Markdown report with a CLOSED section at its end (each line through the report's escaper). */
export function markdownWithClosure(markdown: string, closure: Closure): string {
  const section = ['CLOSED:', ...closedLines(closure)].map(markdownLine).join('\n');
  return `${markdown.replace(/\n*$/, '')}\n\n${section}\n`;
}

/** The JSON report with a `closure` field. */
export function jsonWithClosure(json: string, closure: Closure): string {
  const report = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...report, closure }, null, 2);
}

/** The HTML report with a "Closed" section at the end of its main content (every value escaped). */
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
  const end = html.lastIndexOf('</main>');
  return end === -1 ? `${html}${section}` : `${html.slice(0, end)}\n${section}${html.slice(end)}`;
}
