import { DynamoCaps } from './dynamodb-caps.js';
import { incidentKey } from './dynamodb-items.js';
import { DynamoQueue } from './dynamodb-queue.js';
import { DynamoIncidentStore } from './dynamodb-store.js';
import { DynamoTable, type TableClient } from './dynamodb-table.js';
import type { IncidentRecord, LifecycleStore, NewIncidentCount } from './types.js';

type Args<M extends keyof LifecycleStore> = Parameters<LifecycleStore[M]>;

/**
 * The incident store with the lifecycle operations the registration (the per-bucket cap, the queue of deltas) and the
 * close function (the sweep) need. The other functions use `DynamoIncidentStore` and do not carry them.
 */
export class DynamoLifecycleStore extends DynamoIncidentStore implements LifecycleStore {
  private readonly caps: DynamoCaps;
  private readonly queue: DynamoQueue;
  private readonly table: DynamoTable;

  constructor(client: TableClient, tableName: string) {
    super(client, tableName);
    this.table = new DynamoTable(client, tableName);
    this.caps = new DynamoCaps(this.table);
    this.queue = new DynamoQueue(this.table);
  }

  queueDelta(...args: Args<'queueDelta'>) {
    return this.queue.queueDelta(...args);
  }

  takeQueuedDeltas(...args: Args<'takeQueuedDeltas'>) {
    return this.queue.takeQueuedDeltas(...args);
  }

  dropQueuedDeltas(...args: Args<'dropQueuedDeltas'>) {
    return this.queue.dropQueuedDeltas(...args);
  }

  countNewIncident(args: Parameters<DynamoCaps['countNewIncident']>[0]): Promise<NewIncidentCount> {
    return this.caps.countNewIncident(args);
  }

  /** A filtered Scan of the incident records (`META`): not closed, or closed with the report pending. */
  async listIncidentsToSweep(): Promise<IncidentRecord[]> {
    return this.table.scan<IncidentRecord>({
      FilterExpression:
        'sk = :meta AND begins_with(pk, :incident) AND (attribute_not_exists(#closure) OR attribute_exists(#pending))',
      ExpressionAttributeNames: { '#closure': 'closure', '#pending': 'closureReportPending' },
      ExpressionAttributeValues: { ':meta': 'META', ':incident': 'INCIDENT#' },
    });
  }

  /** Conditional on the flag being there: a second clear (a redelivered stream record, the sweep) changes nothing. */
  async clearReportPending(incidentId: string): Promise<void> {
    await this.table.update(incidentKey(incidentId), {
      UpdateExpression: 'REMOVE #pending',
      ConditionExpression: 'attribute_exists(#pending)',
      ExpressionAttributeNames: { '#pending': 'closureReportPending' },
    });
  }
}
