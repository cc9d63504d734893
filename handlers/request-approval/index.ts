import { lazySlackChat } from '../shared/clients/slack-secret.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemRandom } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { requestApproval } from './core.js';

export const handler = lambdaHandler(requestApproval, () => ({
  store: dynamoStore(),
  chat: lazySlackChat(),
  clock: systemClock,
  random: systemRandom,
}));
