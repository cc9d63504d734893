import { awsIamPort } from '../shared/clients/iam.js';
import { lambdaHandler } from '../shared/define-task.js';
import { describePrincipal } from './core.js';

export const handler = lambdaHandler(describePrincipal, () => ({ iam: awsIamPort() }));
