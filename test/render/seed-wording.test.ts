import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { principalOfType } from '../../handlers/shared/render/words.js';
import { parseScenario } from '../../local/scenario.js';
import { type SimulateResult, simulate } from '../../local/simulate.js';
import type { SlackApiMessage } from '../../local/slack-log.js';

/** The scenario the README's main job runs (`npm run simulate`). */
const SEED = path.resolve(import.meta.dirname, '../../examples/compromised-iam-user-key.json');

/** Every text a person reads in a message: the fallback and each text object of its blocks. */
function texts(message: SlackApiMessage): string[] {
  const found = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      if (typeof object.text === 'string') found.push(object.text);
      for (const child of Object.values(object)) walk(child);
    }
  };
  walk(message.blocks);
  return found;
}

const slackText = (result: SimulateResult) =>
  result.incidents.flatMap((incident) => incident.slackMessages.flatMap(texts)).join('\n');
const report = (result: SimulateResult) => result.incidents[0]?.reportMarkdown ?? '';

function seed(change: (scenario: Record<string, unknown>) => void = () => {}) {
  const raw = JSON.parse(readFileSync(SEED, 'utf8')) as Record<string, unknown>;
  change(raw);
  return parseScenario(raw);
}

describe('the seed scenario reads as plain, correct English in Slack and in the report', () => {
  let approved: SimulateResult;
  let degraded: SimulateResult;
  let denied: SimulateResult;
  beforeAll(async () => {
    approved = await simulate(seed(), { approve: { kind: 'all' }, rollback: { reactivateKeys: false } });
    degraded = await simulate(
      seed((raw) => {
        raw.macie = { enabled: false, findings: [] };
        raw.cloudtrail = { ...(raw.cloudtrail as object), athenaTable: false };
      }),
      { approve: { kind: 'all' } },
    );
    denied = await simulate(seed(), { approve: { kind: 'none' } });
  }, 120_000);

  it('a principal type is named in words with the right article', () => {
    const all = [slackText(approved), report(approved)].join('\n');

    expect(all).not.toMatch(/\ba IAMUser\b|\ba IAM\b|\ba AssumedRole\b/);
    expect(slackText(approved)).toContain('(IAM user)');
    expect(principalOfType('IAMUser')).toBe('an IAM user principal');
    expect(principalOfType('AssumedRole')).toBe('an assumed role principal');
  });

  it('the closing message counts only planned containment items', () => {
    const closing = approved.incidents[0]?.slackMessages.find((message) =>
      message.text.includes('containment finished:'),
    );
    const planned = approved.incidents[0]?.plan.length ?? 0;

    expect(planned).toBeGreaterThan(0);
    expect(closing?.text).toContain(`${planned} of ${planned} planned containment items in place`);
    expect(report(approved)).toContain('not planned:');
  });

  it('the approval promises data-event evidence only when an Athena table is configured', () => {
    expect(slackText(approved)).toContain('Data-event evidence follows in the thread');
    expect(slackText(degraded)).not.toContain('follows in the thread');
    expect(slackText(degraded)).toContain('no Athena table over S3 data events is configured');
  });

  it('a source that cannot answer is one readable line, never a JSON error', () => {
    for (const text of [slackText(degraded), report(degraded)]) {
      expect(text).not.toMatch(/errorType|errorMessage|"trace"/);
      expect(text).toContain('Macie is not enabled in this account');
    }
  });

  it('who denied is said once', () => {
    const all = [slackText(denied), report(denied)].join('\n');

    expect(all).toMatch(/denied by U/i);
    expect(all).not.toMatch(/denied by [^:\n]+: denied by/i);
  });

  it('a long user agent is cut with an ellipsis', () => {
    const agents = slackText(approved)
      .split('\n')
      .filter((line) => line.includes('aws-cli/'));

    expect(agents.length).toBeGreaterThan(0);
    for (const line of agents) expect(line).toMatch(/… \(\d+\)$/);
  });

  it('the rollback detail counts the statements it kept in the right number', () => {
    const details = (approved.rollback ?? []).flatMap((entry) => entry.steps.map((step) => step.detail));

    expect(details.some((detail) => /other statements? kept/.test(detail))).toBe(true);
    expect(details.join('\n')).not.toMatch(/\b1 other statements\b/);
  });
});
