import { awsCloudTrailPort } from '../shared/clients/cloudtrail.js';
import { systemClock, systemTimer } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { collectManagementEvents } from './core.js';

export const handler = lambdaHandler(collectManagementEvents, () => ({
  cloudtrail: awsCloudTrailPort(),
  clock: systemClock,
  timer: systemTimer,
}));
