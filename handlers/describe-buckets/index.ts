import { awsS3Port } from '../shared/clients/s3.js';
import { lambdaHandler } from '../shared/define-task.js';
import { describeBuckets } from './core.js';

export const handler = lambdaHandler(describeBuckets, () => ({ s3: awsS3Port() }));
