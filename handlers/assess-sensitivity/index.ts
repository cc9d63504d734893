import { awsMaciePort } from '../shared/clients/macie.js';
import { lambdaHandler } from '../shared/define-task.js';
import { assessSensitivity } from './core.js';

export const handler = lambdaHandler(assessSensitivity, () => ({ macie: awsMaciePort() }));
