import { awsEc2Port } from '../shared/clients/ec2.js';
import { awsS3Port } from '../shared/clients/s3.js';
import { lambdaHandler } from '../shared/define-task.js';
import { planContainment } from './core.js';

export const handler = lambdaHandler(planContainment, () => ({ s3: awsS3Port(), ec2: awsEc2Port() }));
