import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireEnv } from '../env.js';
import { DynamoLifecycleStore } from '../store/dynamodb-lifecycle.js';
import { DynamoRecordStore } from '../store/dynamodb-store.js';
import type { IncidentStore, LifecycleStore } from '../store/types.js';
import { traced } from '../tracing.js';

/** The incident store in this deployment (`TABLE_NAME`), without the claims only the registration makes. */
export function dynamoStore(): IncidentStore {
  return new DynamoRecordStore(traced(new DynamoDBClient({})), requireEnv('TABLE_NAME'));
}

/** The incident store with the lifecycle operations (the registration's cap, the close sweep). */
export function dynamoLifecycleStore(): LifecycleStore {
  return new DynamoLifecycleStore(traced(new DynamoDBClient({})), requireEnv('TABLE_NAME'));
}
