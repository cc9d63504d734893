import { describe, expect, it } from 'vitest';
import { ProgressPrinter } from '../../cli/progress.js';
import type { ChatRecord } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';

const heartbeat = {
  type: 'StateFailed',
  state: { name: 'Request Approval', type: 'Task' },
  Error: 'States.HeartbeatTimeout',
  Cause: 'no response within the task heartbeat',
};
const caught = { type: 'StateCaught', state: { name: 'Request Approval', type: 'Task' } };
const exited = { type: 'StateExited', state: { name: 'Request Approval', type: 'Task' } };

function message(text: string): ChatRecord {
  const first = { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  return { ref: { channel: 'C0SECOPS01', ts: '1700000000.000001' }, message: first, history: [first] };
}

describe('simulate progress in text mode', () => {
  it('shows an approval heartbeat as one line that is not an error', () => {
    const clock = new SimClock(new Date('2026-02-23T05:17:49Z'));
    const printer = new ProgressPrinter(clock);

    const lines = [heartbeat, caught, exited].map((event) => printer.state(event)).filter(Boolean);

    expect(lines).toEqual([
      '  05:17:49  ⏲ Request Approval: no decision yet at the heartbeat; the approvers are re-pinged',
    ]);
  });

  it('still shows a real failure of the same state as an error', () => {
    const printer = new ProgressPrinter(new SimClock(new Date('2026-02-23T05:17:49Z')));

    const line = printer.state({ ...heartbeat, Error: 'States.Timeout' });

    expect(line).toMatch(/✗ Request Approval: States.Timeout/);
  });

  it('puts the date in front of times once the run has passed midnight', () => {
    const clock = new SimClock(new Date('2026-02-23T23:30:00Z'));
    const printer = new ProgressPrinter(clock);
    const first = printer.state(exited);

    clock.advance(3_600_000);
    const second = printer.state({ type: 'StateExited', state: { name: 'Contain', type: 'Task' } });

    expect(first).toBe('  23:30:00  ✓ Request Approval');
    expect(second).toBe('  2026-02-24 00:30:00  ✓ Contain');
  });

  it('shows the approval message once, then each update as one line naming what changed', () => {
    const printer = new ProgressPrinter(new SimClock(new Date('2026-02-23T05:00:00Z')));
    const record = message('Plan: deny developer-jane\ncount 1 · last seen 04:12');
    const posted = printer.chat(record, 'post');
    const refreshed = {
      text: 'x',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Plan: deny developer-jane\ncount 5 · last seen 05:40' } },
      ],
    };
    record.message = refreshed;
    record.history.push(refreshed);

    const updated = printer.chat(record, 'update');

    expect(posted.split('\n').length).toBeGreaterThan(2);
    expect(updated).toBe('  ✎ Slack message updated (C0SECOPS01): count 5 · last seen 05:40');
  });

  it('prints a one-line thread reply (a re-ping) as one line', () => {
    const printer = new ProgressPrinter(new SimClock(new Date('2026-02-23T05:00:00Z')));
    const reply = { ...message('<@U024BE7LH> still waiting for a decision'), threadTs: '1700000000.000001' };

    const line = printer.chat(reply, 'post');

    expect(line).toBe('  ↪ Slack thread reply (C0SECOPS01): <@U024BE7LH> still waiting for a decision');
  });
});
