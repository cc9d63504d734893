import { awsIamPort } from '../shared/clients/iam.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemTimer } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { deactivateAccessKey } from './core.js';

export const handler = lambdaHandler(deactivateAccessKey, () => ({
  iam: awsIamPort(),
  store: dynamoStore(),
  clock: systemClock,
  timer: systemTimer,
}));
