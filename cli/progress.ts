import { causeMessage } from '../handlers/shared/errors.js';
import type { ChatRecord } from '../local/chat.js';
import { blocksToText } from '../local/chat.js';
import type { SimClock } from '../local/clock.js';
import type { EventLog } from '../local/runner.js';

const QUIET_TYPES = new Set(['Pass', 'Choice', 'Succeed']);

/** One progress line per state the execution passes through, with what went wrong if anything did. */
export function progressLine(event: EventLog, clock: SimClock): string | undefined {
  const name = event.state?.name;
  if (!name) return undefined;
  const time = clock.now().toISOString().slice(11, 19);
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
