import { athenaDataEventsPort } from '../shared/clients/athena.js';
import { lazySlackChat } from '../shared/clients/slack-secret.js';
import { dynamoStore } from '../shared/clients/store.js';
import { systemClock } from '../shared/clock.js';
import { unconfiguredDataEventsPort } from '../shared/data-events-unconfigured.js';
import { lambdaHandler } from '../shared/define-task.js';
import { queryDataEvents } from './core.js';

const { ATHENA_DATABASE: database, ATHENA_TABLE: table, ATHENA_WORKGROUP: workgroup } = process.env;
/** The workgroup's scan cutoff (`athena.maxBytesScanned`), checked here too; 200 GiB when unset. */
const maxBytesScanned = Number(process.env.ATHENA_MAX_BYTES_SCANNED) || 200 * 1024 ** 3;

export const handler = lambdaHandler(queryDataEvents, () => ({
  dataEvents:
    database && table && workgroup
      ? athenaDataEventsPort({
          database,
          table,
          workgroup,
          timeoutMs: 12 * 60_000,
          maxBytesScanned,
          accountPartition: process.env.ATHENA_ACCOUNT_PARTITION === 'true',
          // The table and workgroup are the stack's, in its account and Region, whatever the finding's.
          accountId: process.env.HOME_ACCOUNT_ID,
          region: process.env.AWS_REGION,
        })
      : unconfiguredDataEventsPort(),
  store: dynamoStore(),
  chat: lazySlackChat(),
  clock: systemClock,
}));
