import { awsEc2Port } from '../shared/clients/ec2.js';
import { awsIamPort } from '../shared/clients/iam.js';
import { awsS3Port } from '../shared/clients/s3.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { rollbackIncident } from './core.js';

export const handler = lambdaHandler(rollbackIncident, () => ({
  store: dynamoStore(),
  s3: awsS3Port(),
  ec2: awsEc2Port(),
  iam: awsIamPort(),
  clock: systemClock,
}));
