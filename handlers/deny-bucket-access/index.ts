import { awsS3Port } from '../shared/clients/s3.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemTimer } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { denyBucketAccess } from './core.js';

export const handler = lambdaHandler(denyBucketAccess, () => ({
  s3: awsS3Port(),
  store: dynamoStore(),
  clock: systemClock,
  timer: systemTimer,
}));
