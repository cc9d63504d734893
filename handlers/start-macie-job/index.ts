import { awsMaciePort } from '../shared/clients/macie.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { startMacieJob } from './core.js';

export const handler = lambdaHandler(startMacieJob, () => ({
  macie: awsMaciePort(),
  store: dynamoStore(),
  clock: systemClock,
}));
