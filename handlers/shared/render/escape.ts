/**
 * One escaper per target for text that comes from a finding, a record, a tag or a policy: such text
 * is shown, never interpreted. Our own markup (mentions of configured approvers, console links,
 * headings) is written by the renderers around it, never through these.
 */

/** Every control character (CR, LF, tab, VT, FF, NEL and the rest of C0 and C1) and the Unicode line and paragraph separators. */
const BREAKS_AND_CONTROLS = /[\p{Cc}\u2028\u2029]/gu;

/** One line: every line break and control character becomes a space, so data cannot start a line. */
export function oneLine(text: string): string {
  return text.replace(BREAKS_AND_CONTROLS, ' ');
}

/** A Slack formatting character at the edge of a word (no letter or digit before it, or none after it). */
const FORMATTING_EDGE = /(?<![\p{L}\p{N}])[*_~`]|[*_~`](?![\p{L}\p{N}])/gu;
const ZERO_WIDTH_SPACE = '\u200b';
/** `@here`, `@channel`, `@everyone` as a word of their own, which Slack may parse into a mention. */
const BROADCAST_WORD = /(?<![\p{L}\p{N}_])@(?=(?:here|channel|everyone)(?![\p{L}\p{N}_]))/giu;

/**
 * Text for Slack mrkdwn, on one line: `&`, `<` and `>` escaped (so `<!channel>`, `<@U…>` and
 * `<url|label>` stay text), line breaks removed, and zero-width spaces put around a `*`, `_`, `~` or
 * backtick at the edge of a word so data cannot open or close formatting. A plain `@here`,
 * `@channel` or `@everyone` (a role session name may be exactly that) gets a zero-width space after
 * its `@`: text objects are not verbatim, and Slack parses some plain-text mentions in them.
 * Characters inside a word (the `_` of `AWSReservedSSO_Admin`, the `@` of an e-mail address) are
 * left as they are, so names still copy exactly.
 */
export function mrkdwn(text: string): string {
  return oneLine(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(FORMATTING_EDGE, (mark) => `${ZERO_WIDTH_SPACE}${mark}${ZERO_WIDTH_SPACE}`)
    .replace(BROADCAST_WORD, `@${ZERO_WIDTH_SPACE}`);
}

/**
 * Text inside a Slack code block (```…```): `&`, `<` and `>` escaped and backticks replaced by a
 * look-alike (U+02CB), so data can neither close the block nor mention anyone; formatting does not
 * apply inside code, so `*` and `_` stay as they are. Line breaks are the caller's.
 */
export function mrkdwnCode(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('`', 'ˋ');
}

/**
 * One line of the Markdown report: line breaks removed (so no data can start a heading, a section
 * or a checklist item of its own), `<`, `>` written as entities (so no raw HTML renders), and the
 * `](` of an inline link and the `![` of an image escaped (so data links nowhere and loads nothing).
 */
export function markdownLine(line: string): string {
  return oneLine(line)
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('](', ']\\(')
    .replaceAll('![', '!\\[');
}

/**
 * Text for HTML: the five characters that could open a tag, an entity or leave an attribute are
 * replaced, so a finding's or record's text is shown, never interpreted.
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
