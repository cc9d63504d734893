import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSweepStore } from '../../handlers/shared/store/dynamodb-sweep.js';
import { InMemoryAccount } from '../../local/account.js';
import { SimClock } from '../../local/clock.js';
import { createDocumentClient, createIncidentTable, startDynalite } from '../../local/dynalite.js';
import { FaultInjector } from '../../local/faults.js';
import type { Fault, Scenario } from '../../local/scenario.js';

/** A real store on dynalite, started once per test file; `rawItem` reads an item as stored. */
export async function dynaliteStore(table = 'responder-test') {
  const dynamo = await startDynalite();
  await createIncidentTable(dynamo.client, table);
  const doc = createDocumentClient(dynamo.client);
  return {
    store: new DynamoSweepStore(doc, table),
    doc,
    stop: () => dynamo.stop(),
    rawItem: async (pk: string, sk: string) =>
      (await doc.send(new GetCommand({ TableName: table, Key: { pk, sk } }))).Item,
  };
}

/** The in-memory account of a scenario, with optional faults, and a simulated clock. */
export function account(input: Scenario, faults: Fault[] = []) {
  return {
    account: new InMemoryAccount(input, new FaultInjector(faults)),
    clock: new SimClock(new Date('2026-02-23T04:20:00Z')),
  };
}
