import { awsEc2Port } from '../shared/clients/ec2.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock, systemTimer } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { restrictVpcEndpoint } from './core.js';

export const handler = lambdaHandler(restrictVpcEndpoint, () => ({
  ec2: awsEc2Port(),
  store: dynamoStore(),
  clock: systemClock,
  timer: systemTimer,
}));
