import { describe, expect, it } from 'vitest';
import { random } from '../../examples/src/records.js';
import type { IncidentRecord } from '../../handlers/shared/store/types.js';
import { simulate } from '../../local/simulate.js';
import { anonymousGet, FLOOD_BUCKET, type FloodPolicy as Policy } from '../support/detections.js';
import { variant } from '../support/simulate.js';

const BUCKET = FLOOD_BUCKET;

type Block = { type: string; block_id?: string; elements?: { text?: string }[] };
const signalsLine = (message: { blocks?: unknown[] } | undefined) =>
  (message?.blocks?.find((block) => (block as Block).block_id === 'signals') as Block | undefined)?.elements?.[0]?.text;

describe('an anonymous flood on one bucket', () => {
  it('addresses of one /64 and a few IPv4 callers while the approval is pending: one incident, the Deny written exactly as approved, the later addresses asked in one round of their own', async () => {
    const next = random(14);
    const v6 = Array.from({ length: 20 }, (_, index) => `2a0b:f4c2:4a2b:17::${(index + 1).toString(16)}`);
    const v4 = ['185.220.101.7', '185.220.101.9', '45.155.205.23', '91.240.118.200'];
    const ips = [v4[0] as string, ...v6, ...v4.slice(1)];
    let record: IncidentRecord | undefined;
    let events: { kind: string; text: string; data?: Record<string, unknown> }[] = [];
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = ips.map((ip, index) => anonymousGet(ip, index, next));
      s.approvalDelayMinutes = 10;
    });

    const result = await simulate(input, {
      approve: { kind: 'all' },
      inspect: async (store, incidents) => {
        record = await store.getIncident(incidents[0]?.incidentId as string);
        events = await store.listEvents(incidents[0]?.incidentId as string);
      },
    });

    const [first, ...rest] = result.incidents;
    expect(first?.status).toBe('contained');
    expect(rest).toHaveLength(23);
    expect(rest.every((incident) => incident.status === 'linked' && incident.incidentId === first?.incidentId)).toBe(
      true,
    );
    // The first request, then one round for everything that arrived while it was pending (not one per signal).
    const approvals = result.incidents.flatMap((incident) => incident.states).filter((s) => s === 'Request Approval');
    expect(approvals).toHaveLength(2);
    expect(record?.signalSourceIps).toHaveLength(23);
    // The first Deny was written exactly as approved: the one address known then; the result names the rest.
    const denies = events.filter((event) => event.kind === 'action' && event.data?.action === 'denyBucketAccess');
    expect(denies.map((event) => event.data?.result)).toEqual(['applied', 'applied']);
    expect(denies[0]?.text).toMatch(
      /written exactly as approved; 23 source address\(es\) learned since .* asked in a round of their own/,
    );
    const policy = result.account.bucketPolicies[BUCKET] as Policy;
    const ours = policy.Statement.filter((statement) => statement.Sid?.startsWith('IR'));
    expect(ours).toHaveLength(1);
    // The round's request showed every block of the statement it wrote, the widest block first.
    const written = ours[0]?.Condition?.IpAddress?.['aws:SourceIp'];
    expect(written).toEqual([
      '2a0b:f4c2:4a2b:17::/64',
      '185.220.101.7/32',
      '185.220.101.9/32',
      '45.155.205.23/32',
      '91.240.118.200/32',
    ]);
    const requests = (first?.slackMessages ?? []).filter((message) =>
      JSON.stringify(message.blocks ?? []).includes('Approve selected'),
    );
    const shown = /all (\d+) blocks exactly as written:\\n([^`]*)```/.exec(JSON.stringify(requests.at(-1)?.blocks));
    expect(shown?.[1]).toBe(String(written?.length));
    expect(shown?.[2]?.split(/, |\\n/).filter(Boolean)).toEqual(written);
    expect(JSON.stringify(policy).length).toBeLessThan(20 * 1024);

    // Each signal folded in while the approval was pending refreshed the request in place.
    const posted = first?.slackMessages.find((message) => message.method === 'chat.postMessage');
    const refresh = result.incidents[5]?.slackMessages.find((message) => message.method === 'chat.update');
    const line = /^Signals: (\d+) · last seen (2026-02-23 \d\d:\d\d:\d\d) UTC$/;
    const [, count, seen] = line.exec(signalsLine(posted) ?? '') ?? [];
    const [, laterCount, laterSeen] = line.exec(signalsLine(refresh) ?? '') ?? [];
    expect([count, laterCount]).toEqual(['1', '6']);
    expect((laterSeen ?? '') > (seen ?? '~')).toBe(true);
    expect(refresh?.blocks?.length).toBe(posted?.blocks?.length);
    // The checkboxes and the buttons (with the request's nonce) are the ones posted.
    const interactive = (message: typeof posted) =>
      JSON.stringify(message?.blocks?.filter((block) => ['actions', 'input'].includes((block as Block).type)));
    expect(interactive(refresh)).toBe(interactive(posted));
    expect(interactive(posted)).toMatch(/checkboxes/);
  }, 120_000);

  it('a new address after containment extends the one Deny in place, with its own approval for just that delta', async () => {
    const next = random(21);
    const first = anonymousGet('185.220.101.7', 0, next);
    const later = anonymousGet('45.155.205.23', 30 * 60, next);
    const during = anonymousGet('91.240.118.200', 31 * 60, next);
    const once = variant('compromised-iam-user-key', (s) => {
      s.events = [first];
    });
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [first, later, during];
    });

    const baseline = await simulate(once, { approve: { kind: 'all' } });
    const result = await simulate(input, { approve: { kind: 'all' } });

    const [opened, delta, folded] = result.incidents;
    expect(result.incidents.map((incident) => incident.status)).toEqual(['contained', 'linked', 'linked']);
    expect(new Set(result.incidents.map((incident) => incident.incidentId)).size).toBe(1);
    // One approval for the incident, one for the delta; the signal during the delta's approval folds into it.
    expect(opened?.states).toContain('Request Approval');
    expect(delta?.states).toContain('Request Approval');
    expect(folded?.states).not.toContain('Request Approval');
    // What was in place is confirmed, not asked again: the delta entry's plan asks only for the Deny.
    expect(delta?.applied.find((item) => item.action === 'startMacieJob')?.result).toBe('already');
    expect(delta?.applied.find((item) => item.action === 'denyBucketAccess')?.result).toBe('applied');
    const before = baseline.account.bucketPolicies[BUCKET] as Policy;
    const after = result.account.bucketPolicies[BUCKET] as Policy;
    const ours = after.Statement.filter((statement) => statement.Sid?.startsWith('IR'));
    expect(ours).toHaveLength(1);
    expect(ours[0]?.Sid).toBe(before.Statement.find((statement) => statement.Sid?.startsWith('IR'))?.Sid);
    expect(ours[0]?.Condition?.IpAddress?.['aws:SourceIp']).toEqual([
      '185.220.101.7/32',
      '45.155.205.23/32',
      '91.240.118.200/32',
    ]);
    const grown = JSON.stringify(after).length - JSON.stringify(before).length;
    expect(grown).toBe(',"91.240.118.200/32","45.155.205.23/32"'.length);
  }, 180_000);
});
