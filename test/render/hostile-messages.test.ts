import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../handlers/shared/ports.js';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import { dataEvidenceMessage } from '../../handlers/shared/render/evidence-message.js';
import { renderHtmlReport } from '../../handlers/shared/render/html-report.js';
import { renderReport } from '../../handlers/shared/render/markdown-report.js';
import { buildReport } from '../../handlers/shared/render/report.js';
import { decidedMessage, reminderMessage, rollbackStartedMessage } from '../../handlers/shared/render/slack-blocks.js';
import { summaryMessage } from '../../handlers/shared/render/summary-message.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import type { Decision, PlanItem } from '../../handlers/shared/schemas/plan.js';
import { HOSTILE_STRINGS, PLAIN_STRINGS } from '../support/hostile-text.js';

type Strings = readonly string[];
const pick = (strings: Strings, index: number) => strings[index % strings.length] ?? '';

/** An incident whose every free-text field a finding lets an attacker write carries `strings`. */
function incident(strings: Strings): Incident {
  return {
    source: 'guardduty',
    findingId: 'f0123456789abcdef',
    findingType: 'Exfiltration:S3/AnomalousBehavior',
    severity: 8,
    accountId: '123456789012',
    region: 'us-east-1',
    principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/dev', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
    buckets: ['customer-records'],
    sourceIps: ['198.51.100.23'],
    ipDetails: [{ ip: '198.51.100.23', city: pick(strings, 2), country: pick(strings, 4), org: pick(strings, 3) }],
    firstSeen: '2026-02-23T02:47:00Z',
    lastSeen: '2026-02-23T04:12:00Z',
    count: 1,
    title: pick(strings, 0),
    partition: 'aws',
    createdAt: '2026-02-23T04:15:00Z',
  } as Incident;
}

const ITEM = {
  action: 'deactivateAccessKey',
  target: 'AKIAIOSFODNN7EXAMPLE',
  userName: 'dev',
} as unknown as PlanItem;

/** Enrichment and evidence as the flow records them, with the attacker's text in the strings a person reads. */
function enrichment(strings: Strings): Record<string, unknown> {
  return {
    describeBuckets: {
      status: 'ok',
      buckets: [
        { bucket: 'customer-records', warnings: [`replication rule ${pick(strings, 0)} copies ${pick(strings, 2)}`] },
      ],
    },
    assessSensitivity: {
      status: 'ok',
      buckets: [{ bucket: 'customer-records', sensitiveDataTypes: [pick(strings, 1)], highestSeverity: 'HIGH' }],
    },
    collectManagementEvents: {
      status: 'unavailable',
      error: 'AwsAccessDenied',
      reason: JSON.stringify({ errorType: 'AwsAccessDenied', errorMessage: pick(strings, 3), trace: [] }),
    },
  };
}

function dataEvents(strings: Strings) {
  return {
    status: 'ok' as const,
    requests: 155,
    objectsRead: 150,
    bytesOut: 4_300_000_000,
    firstEventTime: '2026-02-23T02:47:00Z',
    lastEventTime: '2026-02-23T04:12:00Z',
    byBucket: [{ bucket: 'customer-records', objects: 150, bytes: 4_300_000_000 }],
    byEventName: [{ eventName: 'GetObject', count: 152 }],
    sourceIps: [{ ip: '198.51.100.23', count: 155 }],
    userAgents: [{ userAgent: pick(strings, 1), count: 155 }],
    crossAccountCopies: [{ destinationBucket: pick(strings, 5), destinationAccount: '444455556666', count: 1 }],
  };
}

function denial(strings: Strings): Decision {
  return {
    outcome: 'denied',
    via: 'slack',
    decidedBy: ['U024BE7LH'],
    decidedAt: '2026-02-23T04:21:00Z',
    reason: pick(strings, 2),
    approvedPlan: [],
  } as Decision;
}

/** An approval by a configured approver and a second decider whose id is `text` (not a Slack user id). */
function approval(text: string): Decision {
  return {
    outcome: 'approved',
    via: 'slack',
    decidedBy: ['U024BE7LH', text],
    decidedAt: '2026-02-23T04:21:00Z',
    approvedPlan: [ITEM],
  } as Decision;
}

/**
 * The report of a denied request: `denied`, or `contained` for a later round whose plan found the
 * earlier containment in place (the report then says the latest request was denied, with its reason).
 */
function report(strings: Strings, status: 'denied' | 'contained' = 'denied') {
  return buildReport({
    incidentId: '20260223-16e8db698d27',
    incident: incident(strings),
    status,
    now: '2026-02-23T04:30:00Z',
    events: [{ at: '2026-02-23T04:21:00Z', kind: 'denied', text: `Denied by U024BE7LH: ${pick(strings, 3)}` }],
    enrichment: enrichment(strings),
    evidence: { queryDataEvents: dataEvents(strings) },
    plan: {
      items: [ITEM],
      recommendations: [pick(strings, 4)],
      notPlanned: [{ action: 'startMacieJob', reason: pick(strings, 5) }],
      ...(status === 'contained' ? { inPlace: [ITEM] } : {}),
    },
    decision: denial(strings),
    applied: [],
    failure: undefined,
  } as Parameters<typeof buildReport>[0]);
}

/** Every Slack message a person sees for an incident, built with `strings` wherever data goes. */
function messages(strings: Strings): Record<string, ChatMessage> {
  const view = {
    incidentId: '20260223-16e8db698d27',
    incident: incident(strings),
    plan: { items: [ITEM], recommendations: [], notPlanned: [{ action: 'startMacieJob', reason: pick(strings, 5) }] },
    enrichment: enrichment(strings),
    nonce: 'n0nce',
    deadline: '2026-02-24T04:17:00Z',
    now: '2026-02-23T04:17:00Z',
  } as Parameters<typeof approvalMessage>[0];
  return {
    approval: approvalMessage(view),
    approvalOfCraftedType: approvalMessage({ ...view, incident: { ...view.incident, findingType: pick(strings, 0) } }),
    reminder: reminderMessage({ approvers: ['U024BE7LH', 'S0614TZR7'], deadline: view.deadline, now: view.now }),
    evidence: dataEvidenceMessage('20260223-16e8db698d27', { ...dataEvents(strings), at: view.now }),
    evidenceUnavailable: dataEvidenceMessage('20260223-16e8db698d27', {
      status: 'unavailable',
      reason: pick(strings, 0),
      at: view.now,
    }),
    rejection: decidedMessage({
      incidentId: '20260223-16e8db698d27',
      decision: denial(strings),
      title: `${pick(strings, 1)} · incident 20260223-16e8db698d27`,
    }),
    approved: decidedMessage({
      incidentId: '20260223-16e8db698d27',
      decision: approval(pick(strings, 0)),
      title: `${pick(strings, 4)} · incident 20260223-16e8db698d27`,
    }),
    rollbackStarted: rollbackStartedMessage({
      incidentId: '20260223-16e8db698d27',
      startedBy: ['U024BE7LH', pick(strings, 0)],
    }),
    closing: summaryMessage({ report: report(strings), reportKey: 'incidents/20260223-16e8db698d27/report.md' }),
    closingAfterRefusedRound: summaryMessage({
      report: report(strings, 'contained'),
      reportKey: 'incidents/20260223-16e8db698d27/report.md',
    }),
  };
}

/** Every string Slack reads as mrkdwn: the fallback text and each mrkdwn or section text. */
function mrkdwnTexts(message: ChatMessage): string[] {
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

/** What Slack would interpret: `<…>` and formatting characters at a word edge not kept apart by zero-width spaces. */
function markup(message: ChatMessage): string[] {
  return mrkdwnTexts(message)
    .flatMap((text) => {
      const angle = text.match(/<[^>]*>/g) ?? [];
      const live = text.replace(/\u200b[*_~`]\u200b/g, ' ');
      const formatting = [...live.matchAll(/(?<![\p{L}\p{N}])[*_~`]|[*_~`](?![\p{L}\p{N}])/gu)].map((m) => m[0]);
      return [...angle, ...formatting];
    })
    .sort();
}

const tags = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[0]);

describe('every message and report shows attacker-written text as text', () => {
  const hostile = messages(HOSTILE_STRINGS);
  const plain = messages(PLAIN_STRINGS);

  it.each(Object.keys(hostile))('the %s message has the markup of the plain one and no more', (name) => {
    const message = hostile[name] as ChatMessage;

    expect(markup(message)).toEqual(markup(plain[name] as ChatMessage));
    expect(mrkdwnTexts(message).join('\n')).not.toMatch(/<!channel>|<@U024BE7LH>\*|<https:\/\/evil/);
  });

  it('the hostile text does reach each message that shows data, escaped', () => {
    const all = JSON.stringify(hostile);

    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('&lt;https://evil.example/login|the runbook&gt;');
  });

  it.each(['denied', 'contained'] as const)(
    'Markdown (%s): data starts no line, section or checklist item and brings in no HTML',
    (status) => {
      const lines = (strings: Strings) => renderReport(report(strings, status)).split('\n');
      const structure = (strings: Strings) =>
        lines(strings).filter((line) => /^[A-Z][A-Z ]+:$/.test(line) || /^\s*(\[[x ]\]|-)\s/.test(line)).length;

      expect(lines(HOSTILE_STRINGS)).toHaveLength(lines(PLAIN_STRINGS).length);
      expect(structure(HOSTILE_STRINGS)).toBe(structure(PLAIN_STRINGS));
      expect(renderReport(report(HOSTILE_STRINGS, status))).not.toMatch(/<[a-z!/]/i);
    },
  );

  it.each(['denied', 'contained'] as const)(
    'HTML (%s): the same elements as the plain report, and the data only as escaped text',
    (status) => {
      const html = renderHtmlReport(report(HOSTILE_STRINGS, status));

      expect(tags(html)).toEqual(tags(renderHtmlReport(report(PLAIN_STRINGS, status))));
      expect(html).toContain('&lt;script&gt;');
    },
  );

  it('a report that keeps its containment after a denied request names that request, with its reason as text', () => {
    const markdown = renderReport(report(HOSTILE_STRINGS, 'contained'));

    expect(markdown).toMatch(/^Latest request: The latest request was denied/m);
    expect(markdown).toMatch(/^ {2}\[x\] .*\(in place from an earlier round\)$/m);
    expect(JSON.stringify(messages(HOSTILE_STRINGS).closingAfterRefusedRound)).toContain(
      'The latest request was denied',
    );
  });
});
