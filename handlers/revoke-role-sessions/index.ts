import { awsIamPort } from '../shared/clients/iam.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemTimer } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { revokeRoleSessions } from './core.js';

export const handler = lambdaHandler(revokeRoleSessions, () => ({
  iam: awsIamPort(),
  store: dynamoStore(),
  clock: systemClock,
  timer: systemTimer,
}));
