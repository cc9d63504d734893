import { maskKey } from '../shared/ids.js';
import { Persistence } from '../shared/schemas/persistence.js';
import { AccessKeyId, IamName } from '../shared/schemas/primitives.js';
import { ok } from '../shared/schemas/task-input.js';
import type { Draft } from './draft.js';
import type { PlanContainmentInput } from './schema.js';

/** The footholds the management-event lookup found, or none when it was unavailable. */
export function persistenceFound(input: PlanContainmentInput): Persistence {
  const events = ok<{ persistence?: unknown }>(input.enrichment.collectManagementEvents);
  const parsed = Persistence.safeParse(events?.persistence);
  return parsed.success ? parsed.data : { createdKeys: [], changes: [] };
}

/**
 * Each access key the compromised credentials created (CloudTrail `CreateAccessKey`, for any user)
 * is its own `deactivateAccessKey` item, named with its user, time and source address. The finding's
 * own key is planned once; a key or user name that is not a valid IAM value is reported, not planned.
 */
export function planCreatedKeys(input: PlanContainmentInput, draft: Draft): void {
  const { incident } = input;
  const found = persistenceFound(input).createdKeys;
  // Without the finding's key nothing proves who signed the CreateAccessKey: name the keys, plan none.
  if (!incident.principal.accessKeyId) {
    for (const created of found)
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        target: created.accessKeyId,
        reason: `created by ${created.userName}'s credentials at ${created.eventTime}, but the finding names no key to prove it was the attacker: review it`,
      });
    return;
  }
  for (const created of found) {
    const id = `deactivateAccessKey:${created.accessKeyId}`;
    if (draft.items.some((item) => item.id === id)) continue;
    if (!AccessKeyId.safeParse(created.accessKeyId).success || !IamName.safeParse(created.userName).success) {
      draft.notPlanned.push({
        action: 'deactivateAccessKey',
        reason: `CreateAccessKey at ${created.eventTime} names a key or user IAM would not accept; review it in CloudTrail`,
      });
      continue;
    }
    const from = created.sourceIp ? ` from ${created.sourceIp}` : '';
    draft.items.push({
      id,
      action: 'deactivateAccessKey',
      target: created.accessKeyId,
      accountId: incident.accountId,
      region: incident.region,
      userName: created.userName,
      accessKeyId: created.accessKeyId,
      summary: `Deactivate access key ${maskKey(created.accessKeyId)} of IAM user ${created.userName}: created by the compromised credentials at ${created.eventTime}${from}`,
    });
  }
}
