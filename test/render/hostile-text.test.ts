import { beforeAll, describe, expect, it } from 'vitest';
import { type SimulateResult, simulate } from '../../local/simulate.js';
import type { SlackApiMessage } from '../../local/slack-log.js';
import { HOSTILE_STRINGS, hostileScenario, PLAIN_STRINGS } from '../support/hostile-text.js';

interface Run {
  result: SimulateResult;
  files: ReadonlyMap<string, string>;
}

async function runWith(strings: readonly string[]): Promise<Run> {
  let files: ReadonlyMap<string, string> = new Map();
  const result = await simulate(hostileScenario(strings), {
    approve: { kind: 'all' },
    onReportFiles: (written) => {
      files = written;
    },
  });
  return { result, files };
}

/** Every string Slack reads as mrkdwn in a message: the fallback `text` and each mrkdwn text object. */
function mrkdwnTexts(message: SlackApiMessage): string[] {
  const texts = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      if (object.type === 'mrkdwn' && typeof object.text === 'string') texts.push(object.text);
      for (const child of Object.values(object)) walk(child);
    }
  };
  walk(message.blocks);
  return texts;
}

/**
 * What Slack would interpret in mrkdwn: `<…>` (mentions, links, dates) and `*`, `_`, `~` or a
 * backtick at the edge of a word, unless a zero-width space keeps it from pairing.
 */
function markup(text: string): string[] {
  const angle = text.match(/<[^>]*>/g) ?? [];
  const live = text.replace(/\u200b[*_~`]\u200b/g, ' ');
  const formatting = [...live.matchAll(/(?<![\p{L}\p{N}])[*_~`]|[*_~`](?![\p{L}\p{N}])/gu)].map((match) => match[0]);
  return [...angle, ...formatting].sort();
}

function slackMarkup(run: Run): string[] {
  return run.result.incidents.flatMap((incident) =>
    incident.slackMessages.flatMap((message) => mrkdwnTexts(message).flatMap(markup)),
  );
}

const tags = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[0]);

describe('attacker-written text is shown, never interpreted, in every message and report', () => {
  let hostile: Run;
  let plain: Run;
  beforeAll(async () => {
    hostile = await runWith(HOSTILE_STRINGS);
    plain = await runWith(PLAIN_STRINGS);
  });

  it('the hostile run is otherwise the same run: same statuses and as many Slack messages', () => {
    expect(hostile.result.incidents.map((incident) => incident.status)).toEqual(
      plain.result.incidents.map((incident) => incident.status),
    );
    expect(hostile.result.incidents.map((incident) => incident.slackMessages.length)).toEqual(
      plain.result.incidents.map((incident) => incident.slackMessages.length),
    );
  });

  it('Slack: no mention, link or formatting comes from the data', () => {
    expect(slackMarkup(hostile)).toEqual(slackMarkup(plain));
    const all = JSON.stringify(hostile.result.incidents.map((incident) => incident.slackMessages));
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil.example');
  });

  it('Markdown: the data starts no line, heading or checklist item, and brings in no HTML', () => {
    const lines = (run: Run) => (run.result.incidents[0]?.reportMarkdown ?? '').split('\n');
    const headings = (run: Run) => lines(run).filter((line) => /^[A-Z][A-Z ]+:$/.test(line));
    const items = (run: Run) => lines(run).filter((line) => /^\s*(\[[x ]\]|-)\s/.test(line)).length;

    expect(lines(hostile)).toHaveLength(lines(plain).length);
    expect(headings(hostile)).toEqual(headings(plain));
    expect(items(hostile)).toBe(items(plain));
    expect(hostile.result.incidents[0]?.reportMarkdown).not.toMatch(/<[a-z!/]/i);
  });

  it('HTML: the same elements as the plain run, and the data only as escaped text', () => {
    const html = (run: Run) => [...run.files].find(([name]) => name.endsWith('.html'))?.[1] ?? '';

    expect(tags(html(hostile))).toEqual(tags(html(plain)));
    expect(html(hostile)).not.toMatch(/<script|<img|<a /i);
  });
});
