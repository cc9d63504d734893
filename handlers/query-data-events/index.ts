import { athenaDataEventsPort } from '../shared/clients/athena.js';
import { unconfiguredDataEventsPort } from '../shared/clients/data-events.js';
import { lambdaHandler } from '../shared/define-task.js';
import { queryDataEvents } from './core.js';

const { ATHENA_DATABASE: database, ATHENA_TABLE: table, ATHENA_WORKGROUP: workgroup } = process.env;

export const handler = lambdaHandler(queryDataEvents, () => ({
  dataEvents:
    database && table && workgroup
      ? athenaDataEventsPort({ database, table, workgroup, timeoutMs: 12 * 60_000, maxBytesScanned: 200 * 1024 ** 3 })
      : unconfiguredDataEventsPort(),
}));
