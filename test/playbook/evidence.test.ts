import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../handlers/shared/format.js';
import type { DataEventsPort } from '../../handlers/shared/ports.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import type { ChatRecord } from '../../local/chat.js';
import { parseScenario } from '../../local/scenario.js';
import { simulate } from '../../local/simulate.js';
import { readJson, scenario } from '../support/fixtures.js';
import { run, variant } from '../support/simulate.js';

const KEY = 'AKIA3EXAMPLEJNE7WXYZ';

/** The slow branch's follow-up in the approval thread. */
const isEvidenceReply = (record: ChatRecord) =>
  record.threadTs !== undefined && record.message.text.includes('Data-event evidence');
/** The approval request: the first top-level message of the incident. */
const isApprovalRequest = (record: ChatRecord) => record.threadTs === undefined && record.message.blocks !== undefined;

/**
 * The seed scenario's data events counted by hand, straight from its CloudTrail records: the
 * finding key's successful GetObjects in [firstSeen − 72 h, lastSeen + 1 h].
 */
function handCount() {
  const raw = readJson<{
    cloudtrail: { dataEvents: CloudTrailRecord[] };
    events: { detail: { service: { eventFirstSeen: string; eventLastSeen: string } } }[];
  }>('examples/compromised-iam-user-key.json');
  const service = raw.events[0]?.detail.service;
  if (!service) throw new Error('the seed scenario has no finding');
  const from = Date.parse(service.eventFirstSeen) - 72 * 3600_000;
  const to = Date.parse(service.eventLastSeen) + 3600_000;
  const mine = raw.cloudtrail.dataEvents.filter(
    (record) =>
      record.userIdentity?.accessKeyId === KEY &&
      Date.parse(record.eventTime) >= from &&
      Date.parse(record.eventTime) <= to,
  );
  const downloads = mine.filter((record) => record.eventName === 'GetObject' && !record.errorCode);
  const times = mine.map((record) => record.eventTime).sort();
  const ips = new Map<string, number>();
  for (const record of mine) ips.set(record.sourceIPAddress ?? '', (ips.get(record.sourceIPAddress ?? '') ?? 0) + 1);
  return {
    requests: mine.length,
    objects: downloads.length,
    bytes: downloads.reduce((sum, record) => sum + Number(record.additionalEventData?.bytesTransferredOut ?? 0), 0),
    first: times[0] ?? '',
    last: times.at(-1) ?? '',
    ips: [...ips.entries()].sort((a, b) => b[1] - a[1]),
  };
}

describe('data-event evidence: counted right, never in the way of the approval', () => {
  it('the seed report shows the data-event counts and Macie categories that a hand count of the scenario gives', async () => {
    const count = handCount();
    expect(count.objects).toBeGreaterThan(100); // the scenario is the bulk download it claims to be

    const report = (await run(scenario('compromised-iam-user-key'))).incidents[0]?.reportMarkdown ?? '';

    expect(report).toContain(`  Objects downloaded: ${count.objects.toLocaleString('en-US')}\n`);
    expect(report).toContain(`  Total data volume: ${formatBytes(count.bytes)}\n`);
    expect(report).toContain(
      `  Activity window: ${count.first.slice(0, 10)} ${count.first.slice(11, 16)}-${count.last.slice(11, 16)} UTC\n`,
    );
    expect(report).toContain(
      `  Source IPs in the data events: ${count.ips.map(([ip, n]) => `${ip} (${n} requests)`).join('; ')}\n`,
    );
    expect(report).toContain(`(${count.requests} S3 requests in all)`);
    expect(report).toContain(
      'Sensitive data types: PERSONAL_INFORMATION: EMAIL_ADDRESS, USA_SOCIAL_SECURITY_NUMBER; FINANCIAL_INFORMATION: CREDIT_CARD_NUMBER',
    );
    expect(report).toContain('Macie severity: HIGH');
  });

  it('the approval request is posted while the Athena query is still running, and the evidence follows in its thread', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const athenaDone = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowAthena = (port: DataEventsPort): DataEventsPort => ({
      summarize: async (args) => {
        order.push('athena started');
        await athenaDone; // Athena answers only once the approval request is out
        order.push('athena finished');
        return port.summarize(args);
      },
    });
    const chat: ChatRecord[] = [];

    const result = await simulate(scenario('compromised-iam-user-key'), {
      approve: { kind: 'all' },
      dataEvents: slowAthena,
      onChat: (record, kind) => {
        if (kind !== 'post') return;
        chat.push(record);
        if (isApprovalRequest(record)) {
          order.push('approval posted');
          release();
        }
        if (isEvidenceReply(record)) order.push('evidence posted in thread');
      },
      onEvent: (event) => {
        if (event.type === 'StateEntered' && event.state?.name === 'Request Approval') order.push('approval state');
        if (event.type === 'StateExited' && event.state?.name === 'Query Data Events') order.push('query state done');
      },
    });

    expect(result.incidents[0]?.status).toBe('contained');
    const first = (label: string) => order.indexOf(label);
    expect(first('athena started')).toBeGreaterThanOrEqual(0);
    expect(first('approval state')).toBeLessThan(first('athena finished'));
    expect(first('approval posted')).toBeLessThan(first('athena finished'));
    expect(first('athena finished')).toBeLessThan(first('query state done'));
    expect(first('evidence posted in thread')).toBeGreaterThan(first('athena finished'));
    const approval = chat.find(isApprovalRequest);
    const replies = chat.filter(isEvidenceReply);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.threadTs).toBe(approval?.ref.ts);
    expect(replies[0]?.message.text).toContain(`${handCount().objects} objects read`);
  });

  it('when Athena answers before the approval is posted, the approval task posts the follow-up, once', async () => {
    const chat: ChatRecord[] = [];
    await simulate(scenario('compromised-iam-user-key'), {
      approve: { kind: 'all' },
      onChat: (record, kind) => {
        if (kind === 'post') chat.push(record);
      },
    });
    const approval = chat.find(isApprovalRequest);
    const replies = chat.filter(isEvidenceReply);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.threadTs).toBe(approval?.ref.ts);
    expect(chat.indexOf(replies[0] as ChatRecord)).toBeGreaterThan(chat.indexOf(approval as ChatRecord));
  });

  it('Macie disabled and no Athena table: approval and containment still happen, and the report says what was missing and why', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.macie = { ...s.macie, enabled: false };
      s.cloudtrail = { ...s.cloudtrail, athenaTable: false };
    });
    const chat: ChatRecord[] = [];

    const result = await simulate(input, {
      approve: { kind: 'all' },
      onChat: (record, kind) => {
        if (kind === 'post') chat.push(record);
      },
    });

    const incident = result.incidents[0];
    expect(incident?.status).toBe('contained');
    expect(incident?.states).toContain('Request Approval');
    expect(incident?.applied.map((entry) => [entry.action, entry.result])).toEqual([
      ['deactivateAccessKey', 'applied'],
      ['deactivateAccessKey', 'applied'],
      ['revokeUserSessions', 'applied'],
      ['denyBucketAccess', 'applied'],
    ]);
    const report = incident?.reportMarkdown ?? '';
    expect(report).toContain('Objects downloaded: unknown (data events unavailable)');
    expect(report).toMatch(/Sensitivity \(Macie\): unavailable \(.*Macie is not enabled/);
    expect(report).toMatch(/Data events \(CloudTrail via Athena\): unavailable \(.*needs an Athena table/);
    expect(report).toContain('Evidence unavailable: Sensitivity (Macie); Data events (CloudTrail via Athena)');
    const reply = chat.find(isEvidenceReply);
    expect(reply?.message.text).toMatch(/unavailable: .*needs an Athena table/);
  });

  it('real CloudTrail records load into the in-memory account unchanged', () => {
    const raw = readJson<{ cloudtrail: { dataEvents: unknown[]; managementEvents: unknown[] } }>(
      'examples/compromised-iam-user-key.json',
    );
    const parsed = parseScenario(raw);
    expect(parsed.cloudtrail.dataEvents).toEqual(raw.cloudtrail.dataEvents);
    expect(parsed.cloudtrail.managementEvents).toEqual(raw.cloudtrail.managementEvents);
  });
});
