import { task } from '../shared/define-task.js';
import { makeIncidentId } from '../shared/ids.js';
import type { Clock } from '../shared/ports.js';
import { normalizeFinding } from '../shared/schemas/normalize.js';
import type { IncidentStore } from '../shared/store/types.js';
import { RegisterIncidentInput, type Registration } from './schema.js';

/**
 * Turns the execution input into an incident, once. Invalid input fails the execution with
 * `InvalidFinding` (nothing written); a sample, archived or out-of-scope finding ends `ignored`; a
 * finding id already claimed by another execution is `linked` to its incident (its timeline gets
 * the update, nobody is asked to approve twice); a retry of this same execution gets its own
 * incident back.
 */
export const registerIncident = task({
  name: 'registerIncident',
  input: RegisterIncidentInput,
  async run(input, ports: { store: IncidentStore; clock: Clock }): Promise<Registration> {
    const { settings } = input;
    const normalized = normalizeFinding(input.event, {
      findingTypes: settings.findingTypes,
      acceptSampleFindings: settings.acceptSampleFindings,
    });
    if (normalized.status === 'ignored') {
      return { status: 'ignored', reason: normalized.reason, incident: normalized.incident };
    }
    const { incident } = normalized;
    const now = ports.clock.now().toISOString();
    const claim = await ports.store.claimFinding({
      findingId: incident.findingId,
      incidentId: makeIncidentId(incident.findingId, input.executionName, ports.clock.now()),
      executionName: input.executionName,
      count: incident.count,
      now,
    });
    if (claim.outcome === 'duplicate') {
      await ports.store.addEvent(claim.incidentId, {
        at: now,
        kind: 'finding-updated',
        text: `${incident.findingType} reported again (count ${claim.previousCount} → ${incident.count}); linked, no new approval`,
        data: { findingId: incident.findingId, count: incident.count, updatedAt: incident.updatedAt },
      });
      return {
        status: 'linked',
        incidentId: claim.incidentId,
        incident,
        reason: `finding ${incident.findingId} already belongs to incident ${claim.incidentId}`,
      };
    }
    await ports.store.createIncident({
      incidentId: claim.incidentId,
      status: 'open',
      createdAt: now,
      updatedAt: now,
      executionName: input.executionName,
      incident,
      findingIds: [incident.findingId],
    });
    if (claim.outcome === 'new') {
      await ports.store.addEvent(claim.incidentId, {
        at: now,
        kind: 'registered',
        text: `Incident opened from ${incident.source === 'guardduty' ? 'GuardDuty' : 'detection'} ${incident.findingType}`,
      });
    }
    return { status: 'open', incidentId: claim.incidentId, incident };
  },
});
