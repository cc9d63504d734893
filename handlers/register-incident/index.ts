import { awsGuardDutyPort } from '../shared/clients/guardduty.js';
import { dynamoLifecycleStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { incidentMetrics } from '../shared/metrics.js';
import type { ChatPort } from '../shared/ports.js';
import { registerIncident } from './core.js';
import type { Registration } from './schema.js';

/**
 * Slack is only needed when a signal is linked to an incident that has a thread: the Slack client
 * is loaded then, not on every cold start of the registration burst path.
 */
function lazyChat(): ChatPort {
  let port: Promise<ChatPort> | undefined;
  const get = () => {
    port ??= import('../shared/clients/slack-secret.js').then((module) => module.lazySlackChat());
    return port;
  };
  return {
    post: async (args) => (await get()).post(args),
    update: async (args) => (await get()).update(args),
  };
}

/**
 * Counts a registration: opened, linked or ignored. A re-run, and the end of a containment phase
 * taking its queue, open nothing new and are not counted.
 */
export function measureRegistration(registration: Registration): void {
  if (!registration.rerun && !registration.queued) incidentMetrics.registered(registration.status);
}

export const handler = lambdaHandler(
  registerIncident,
  () => ({
    store: dynamoLifecycleStore(),
    clock: systemClock,
    guardduty: awsGuardDutyPort(),
    chat: lazyChat(),
  }),
  measureRegistration,
);
