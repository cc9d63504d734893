import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireEnv } from '../env.js';
import { DynamoLifecycleStore } from '../store/dynamodb-lifecycle.js';
import { DynamoRecordStore } from '../store/dynamodb-store.js';
import { DynamoSweepStore } from '../store/dynamodb-sweep.js';
import type { IncidentStore, LifecycleStore, SweepStore } from '../store/types.js';
import { traced } from '../tracing.js';

/** The incident store in this deployment (`TABLE_NAME`), without the claims only the registration makes. */
export function dynamoStore(): IncidentStore {
  return new DynamoRecordStore(traced(new DynamoDBClient({})), requireEnv('TABLE_NAME'));
}

/** The incident store with the lifecycle operations (the registration's cap and queue, the closing part). */
export function dynamoLifecycleStore(): LifecycleStore {
  return new DynamoLifecycleStore(traced(new DynamoDBClient({})), requireEnv('TABLE_NAME'));
}

/** The lifecycle store with the close sweep's listing: the close function's store. */
export function dynamoSweepStore(): SweepStore {
  return new DynamoSweepStore(traced(new DynamoDBClient({})), requireEnv('TABLE_NAME'));
}
