import { lastSignalAt } from '../shared/lifecycle.js';
import { log } from '../shared/log.js';
import type { ChatPort } from '../shared/ports.js';
import { withSignals } from '../shared/render/signals.js';
import { type IncidentRecord, type IncidentStore, signalCount } from '../shared/store/types.js';

/**
 * While the incident's approval request is pending, a signal folding in refreshes the request's
 * signals line (count, last seen) in place: `chat.update` of the message as posted, every other
 * block (checkboxes, buttons and their nonce) unchanged. Nothing happens once the request is
 * decided, superseded or gone (the decision has replaced the message). Best effort: the fold is
 * recorded either way. True when the message was updated.
 */
export async function refreshApproval(
  record: IncidentRecord,
  ports: { store: IncidentStore; chat: ChatPort },
): Promise<boolean> {
  if (record.status !== 'awaiting_approval' || !record.approval || !record.slack) return false;
  try {
    const approval = await ports.store.getApproval(record.approval.nonce);
    if (approval?.status !== 'pending' || !approval.message) return false;
    const message = withSignals(approval.message, {
      count: signalCount(record),
      lastSeen: lastSignalAt(record),
    });
    await ports.chat.update({ ref: record.slack, message });
    return true;
  } catch (error) {
    log.warn('approval message refresh failed', { incidentId: record.incidentId, error: (error as Error).name });
    return false;
  }
}
