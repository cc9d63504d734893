import { describe, expect, it } from 'vitest';
import type { Report } from '../../handlers/shared/render/report.js';
import { summaryMessage } from '../../handlers/shared/render/summary-message.js';

const REPORT = {
  title: 'S3 Data Exfiltration Investigation Report',
  incidentId: '20261204-0123456789ab',
  status: 'contained',
  account: '111122223333',
  region: 'eu-west-1',
  detectionSource: 'GuardDuty Exfiltration:S3/AnomalousBehavior',
  investigationDate: '2026-12-04',
  timeline: [],
  milestones: {},
  principal: { type: 'IAMUser', sourceIps: [], otherKeys: [], recentKeys: [] },
  impact: {
    buckets: [],
    dataEventSourceIps: [],
    sensitiveDataTypes: [],
    crossAccountCopies: [],
    bucketWarnings: [],
    unavailable: [],
  },
  containment: [{ done: true, text: 'Access key AKIA...WXYZ deactivated' }],
  nextSteps: [],
  metrics: {},
  evidenceSources: [],
} satisfies Report;

function context(message: ReturnType<typeof summaryMessage>): string {
  const blocks = message.blocks as { type: string; elements?: { text: string }[] }[];
  return blocks.find((block) => block.type === 'context')?.elements?.[0]?.text ?? '';
}

describe('the closing message links the HTML report', () => {
  it('as one Slack link whose URL cannot close the link or add a label', () => {
    const message = summaryMessage({
      report: REPORT,
      reportKey: 'incidents/x/report.md',
      htmlReport: {
        location: 's3://evidence/incidents/x/report.html',
        url: 'https://console.aws.amazon.com/s3/object/evidence?prefix=a|b>c',
      },
    });

    const links = [...context(message).matchAll(/<([^>]*)>/g)].map((match) => match[1]);
    expect(links).toEqual([
      'https://console.aws.amazon.com/s3/object/evidence?prefix=a%7Cb%3Ec|HTML report with timeline',
    ]);
  });

  it('as its escaped location when no console URL is known', () => {
    const message = summaryMessage({
      report: REPORT,
      reportKey: 'incidents/x/report.md',
      htmlReport: { location: 's3://evidence/incidents/<x>/report.html' },
    });

    expect(context(message)).toContain('HTML report: s3://evidence/incidents/&lt;x&gt;/report.html');
    expect(context(message)).not.toMatch(/<[^@!#]/);
  });
});
