import { DynamoCaps } from './dynamodb-caps.js';
import { incidentKey } from './dynamodb-items.js';
import { DynamoQueue } from './dynamodb-queue.js';
import { DynamoIncidentStore } from './dynamodb-store.js';
import { DynamoTable, type TableClient } from './dynamodb-table.js';
import { SWEEP_ATTRIBUTE } from './sweep-index.js';
import type { LifecycleStore, NewIncidentCount } from './types.js';

type Args<M extends keyof LifecycleStore> = Parameters<LifecycleStore[M]>;

/**
 * The incident store with the lifecycle operations the registration (the per-bucket cap, the queue of deltas) and the
 * close function need. The other functions use `DynamoIncidentStore` and do not carry them; the sweep's listing is
 * in `DynamoSweepStore` (dynamodb-sweep.ts), which only the close function carries.
 */
export class DynamoLifecycleStore extends DynamoIncidentStore implements LifecycleStore {
  private readonly caps: DynamoCaps;
  private readonly queue: DynamoQueue;
  protected readonly table: DynamoTable;

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

  /**
   * Conditional on the flag being there on a closed incident: a second clear (a redelivered stream
   * record, the sweep) changes nothing. The same write takes the incident out of the sweep index.
   */
  async clearReportPending(incidentId: string): Promise<void> {
    await this.table.update(incidentKey(incidentId), {
      UpdateExpression: 'REMOVE #pending, #sweep',
      ConditionExpression: 'attribute_exists(#pending) AND attribute_exists(#closure)',
      ExpressionAttributeNames: {
        '#pending': 'closureReportPending',
        '#sweep': SWEEP_ATTRIBUTE,
        '#closure': 'closure',
      },
    });
  }
}
