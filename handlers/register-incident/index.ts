import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { lambdaHandler } from '../shared/define-task.js';
import { registerIncident } from './core.js';

export const handler = lambdaHandler(registerIncident, () => ({ store: dynamoStore(), clock: systemClock }));
