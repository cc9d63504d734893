import { unconfiguredDataEventsPort } from '../shared/clients/data-events.js';
import { lambdaHandler } from '../shared/define-task.js';
import { queryDataEvents } from './core.js';

export const handler = lambdaHandler(queryDataEvents, () => ({ dataEvents: unconfiguredDataEventsPort() }));
