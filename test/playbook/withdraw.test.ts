import { describe, expect, it } from 'vitest';
import type { IncidentRecord, TimelineEvent } from '../../handlers/shared/store/types.js';
import { simulate } from '../../local/simulate.js';
import { guardDutyEvent, withField } from '../support/fixtures.js';
import { variant } from '../support/simulate.js';

const FINDING = 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b';
const KEY = 'AKIA3EXAMPLEJNE7WXYZ';
const FIRST = Date.parse('2026-02-23T04:15:31Z');

/** The seed's GuardDuty event, delivered `minutes` after the first. */
function delivery(minutes: number): Record<string, unknown> {
  const at = new Date(FIRST + minutes * 60_000).toISOString();
  let event = withField(guardDutyEvent(), 'detail.updatedAt', at);
  event = withField(event, 'time', at);
  return withField(event, 'detail.id', FINDING);
}

/** A close step of incident `@1` at `minutes` after the first event (the approval is asked at about 2). */
function closeAt(minutes: number, extra: Record<string, unknown> = {}) {
  const at = new Date(FIRST + minutes * 60_000).toISOString();
  return { close: { incidentId: '@1', resolution: 'false-positive', at, ...extra } };
}

async function simulateWithStore(events: unknown[], approve: 'all' | 'timeout' = 'all') {
  let record: IncidentRecord | undefined;
  let timeline: TimelineEvent[] = [];
  const input = variant('compromised-iam-user-key', (s) => {
    s.events = events as typeof s.events;
  });
  const result = await simulate(input, {
    approve: { kind: approve },
    inspect: async (store, incidents) => {
      const id = incidents[0]?.incidentId as string;
      record = await store.getIncident(id);
      timeline = await store.listEvents(id);
    },
  });
  return { result, record: record as IncidentRecord, timeline };
}

describe('closing while the approval is pending', () => {
  it('withdraws the request: the approval that follows contains nothing and the account is unchanged', async () => {
    const { result, record, timeline } = await simulateWithStore([delivery(0), closeAt(3)]);

    const [run, closed] = result.incidents;
    expect(run?.states).toContain('Approval Withdrawn');
    expect(run?.states).not.toContain('Contain');
    expect(run?.status).toBe('denied');
    expect(run?.applied).toEqual([]);
    expect(result.account.accessKeys[KEY]).toBe('Active');
    expect(JSON.stringify(result.account.bucketPolicies)).not.toContain('"Sid":"IR');
    expect(closed).toMatchObject({ route: 'close', incidentId: run?.incidentId, status: 'denied' });
    expect(closed?.reason).toContain('Approval request withdrawn: nothing will be contained');
    expect(record.decision?.outcome).toBe('withdrawn');
    expect(record.closure?.resolution).toBe('false_positive');
    expect(timeline.map((event) => event.kind)).toContain('approval-withdrawn');
    expect(timeline.map((event) => event.kind)).not.toContain('approved');
  });

  it('the report says the request was withdrawn and by whom, and carries the closing part', async () => {
    const { result } = await simulateWithStore([delivery(0), closeAt(3)]);

    const report = result.incidents[0]?.reportMarkdown ?? '';
    expect(report).toContain('approval request withdrawn: incident closed by cli:local (false positive)');
    expect(report).toContain('CLOSED:\n  Resolution: false positive');
  });

  it('the approval message loses its buttons for one escaped "withdrawn" line naming the closer and resolution', async () => {
    const { result } = await simulateWithStore([delivery(0), closeAt(3, { by: 'cli:<!channel>&co' })]);

    const updates = (result.incidents[1]?.slackMessages ?? []).filter((message) => message.method === 'chat.update');
    const withdrawn = updates.find((message) => message.text.includes('Withdrawn'));
    expect(withdrawn?.text).toMatch(/Withdrawn: .*closed by cli:&lt;!channel&gt;&amp;co: \*false positive\*/);
    expect(withdrawn?.text).toContain('Nothing will be contained.');
    expect(JSON.stringify(withdrawn?.blocks)).not.toContain('"type":"button"');
    expect(JSON.stringify(withdrawn?.blocks)).not.toContain('<!channel>');
  });

  it('a click on the withdrawn request is refused as closed and sends nothing; the thread says nothing will be contained', async () => {
    const { result, timeline } = await simulateWithStore([delivery(0), closeAt(3)], 'all');

    // The local approvers click after the close (approvalDelayMinutes 4): refused, so no decision is recorded.
    expect(timeline.some((event) => event.kind === 'approved' || event.kind === 'denied')).toBe(false);
    const thread = (result.incidents[1]?.slackMessages ?? []).filter(
      (message) => message.method === 'chat.postMessage',
    );
    expect(thread.map((message) => message.text).join('\n')).toContain('nothing will be contained');
  });
});

describe('closing after containment was approved', () => {
  it('leaves the containment in place and withdraws nothing', async () => {
    const { result, record, timeline } = await simulateWithStore([delivery(0), closeAt(30)]);

    const [run, closed] = result.incidents;
    expect(run?.status).toBe('contained');
    expect(closed?.status).toBe('contained');
    expect(result.account.accessKeys[KEY]).toBe('Inactive');
    expect(record.decision?.outcome).toBe('approved');
    expect(closed?.reason).toBe('closed by cli:local: false positive');
    expect(timeline.map((event) => event.kind)).not.toContain('approval-withdrawn');
  });
});
