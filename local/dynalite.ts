import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { SWEEP_ATTRIBUTE, SWEEP_INDEX } from '../handlers/shared/store/sweep-index.js';

/**
 * Starts dynalite (the DynamoDB API, in memory, in this process, tables ACTIVE at once) on a random
 * loopback port, with a client pointed at it that never retries. `stop` destroys the client and
 * closes the server and its store.
 */
export async function startDynalite(): Promise<{ endpoint: string; client: DynamoDBClient; stop(): Promise<void> }> {
  const { server, endpoint } = await listenDynalite();
  const client = dynaliteClient(endpoint);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** dynalite's server, listening on a random loopback port of this process. */
export async function listenDynalite(): Promise<{ server: Server; endpoint: string }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // The client reuses idle connections; a server closing one after the default 5 s can meet a
  // request already on its way (ECONNRESET, and the client never retries): keep them open.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

/** A client of the dynalite at `endpoint` that never retries (local credentials; `config` adds to it). */
export function dynaliteClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    ...config,
  });
}
/**
 * Creates the incident table as the stack defines it (pk/sk strings, on demand, the sweep index)
 * and waits for it.
 */
export async function createIncidentTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: SWEEP_ATTRIBUTE, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: SWEEP_INDEX,
          KeySchema: [{ AttributeName: SWEEP_ATTRIBUTE, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/**
 * A document client for reading and writing the incident table directly (tests, the local runtime):
 * undefined attributes are dropped, as the store drops them.
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
