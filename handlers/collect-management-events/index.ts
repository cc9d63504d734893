import { awsCloudTrailPort } from '../shared/clients/cloudtrail.js';
import { lambdaHandler } from '../shared/define-task.js';
import { collectManagementEvents } from './core.js';

export const handler = lambdaHandler(collectManagementEvents, () => ({ cloudtrail: awsCloudTrailPort() }));
