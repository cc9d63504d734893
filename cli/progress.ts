import { causeMessage } from '../handlers/shared/errors.js';
import type { ChatRecord } from '../local/chat.js';
import { blocksToText } from '../local/chat.js';
import type { SimClock } from '../local/clock.js';
import type { EventLog } from '../local/runner.js';

const QUIET_TYPES = new Set(['Pass', 'Choice', 'Succeed']);
/** The approval task's heartbeat: expected while nobody has decided, not an error. */
const HEARTBEAT = 'States.HeartbeatTimeout';

/** The clock as `HH:MM:SS`, with the date in front once the run has left the day it started on. */
function stamp(now: Date, startDay: string | undefined): string {
  const iso = now.toISOString();
  const day = iso.slice(0, 10);
  return day === startDay || startDay === undefined ? iso.slice(11, 19) : `${day} ${iso.slice(11, 19)}`;
}

/** One progress line per state the execution passes through, with what went wrong if anything did. */
export function progressLine(event: EventLog, clock: SimClock, startDay?: string): string | undefined {
  const name = event.state?.name;
  if (!name) return undefined;
  const time = stamp(clock.now(), startDay);
  const error = typeof event.Error === 'string' ? event.Error : undefined;
  switch (event.type) {
    case 'StateExited':
      return `  ${time}  ${QUIET_TYPES.has(event.state?.type ?? '') ? '·' : '✓'} ${name}`;
    case 'StateRetried':
      return `  ${time}  ↻ ${name} (retrying)`;
    case 'StateFailed':
      return `  ${time}  ✗ ${name}: ${error ?? 'failed'}${typeof event.Cause === 'string' ? ` - ${causeMessage(event.Cause)}` : ''}`;
    case 'StateCaught':
      return `  ${time}  ↳ ${name}: error caught, the flow goes on`;
    default:
      return undefined;
  }
}

/** A Slack message as a terminal box. */
export function chatBox(record: ChatRecord, kind: 'post' | 'update'): string {
  const where = record.threadTs ? 'Slack thread reply' : kind === 'update' ? 'Slack message updated' : 'Slack message';
  const body = blocksToText(record.message)
    .split('\n')
    .map((line) => `  │ ${line}`)
    .join('\n');
  return `  ┌─ ${where} (${record.ref.channel})\n${body}\n  └─`;
}

/**
 * The text-mode progress of one `simulate` run. Compared with printing every event as it comes:
 * a heartbeat of the approval task is one line (it is expected, not an error), an approval message
 * is shown once and its later updates as one line saying what changed, a one-line thread reply (a
 * re-ping) stays one line, and times after the first day carry their date.
 */
export class ProgressPrinter {
  private startDay: string | undefined;
  private readonly heartbeats = new Set<string>();

  constructor(private readonly clock: SimClock) {}

  state(event: EventLog): string | undefined {
    const now = this.clock.now();
    this.startDay ??= now.toISOString().slice(0, 10);
    const name = event.state?.name ?? '';
    if (event.type === 'StateFailed' && event.Error === HEARTBEAT) {
      this.heartbeats.add(name);
      return `  ${stamp(now, this.startDay)}  ⏲ ${name}: no decision yet at the heartbeat; the approvers are re-pinged`;
    }
    if (this.heartbeats.has(name) && (event.type === 'StateCaught' || event.type === 'StateExited')) {
      if (event.type === 'StateExited') this.heartbeats.delete(name);
      return undefined;
    }
    return progressLine(event, this.clock, this.startDay);
  }

  chat(record: ChatRecord, kind: 'post' | 'update'): string {
    const text = blocksToText(record.message);
    if (kind === 'update') {
      const before = blocksToText(record.history.at(-2) ?? record.message).split('\n');
      const changed = text.split('\n').filter((line) => !before.includes(line));
      const what = changed.length === 0 ? 'unchanged' : (changed[0] ?? '').trim();
      const more = changed.length > 1 ? ` (+${changed.length - 1} more changed lines)` : '';
      return `  ✎ Slack message updated (${record.ref.channel}): ${what}${more}`;
    }
    if (record.threadTs && !text.includes('\n')) return `  ↪ Slack thread reply (${record.ref.channel}): ${text}`;
    return chatBox(record, kind);
  }
}
