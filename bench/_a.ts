import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createDocumentClient, DynamoIncidentStore } from '/work/burst/handlers/shared/store/dynamodb-store.js';
import { createIncidentTable, startDynalite } from '/work/burst/local/dynalite.js';
const dynamo = await startDynalite();
await createIncidentTable(dynamo.client, 'bench');
const mk = (sockets?: number) => new DynamoIncidentStore(createDocumentClient(sockets ? new DynamoDBClient({
    endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) }),
  }) : dynamo.client), 'bench');
const stores = { default: mk(), s500: mk(500), s100: mk(100) };
for (const s of Object.values(stores)) for (let i = 0; i < 1500; i += 1) await s.getIncident('warm');
let run = 0;
for (const round of [1, 2, 3, 4]) for (const [name, store] of Object.entries(stores)) {
  run += 1;
  const cpu = process.cpuUsage(); const t = performance.now();
  await Promise.all(Array.from({ length: 500 }, (_, index) => store.claimFinding({ findingId: `r${run}-finding-${index % 50}`, incidentId: `i-${index}`, executionName: `e-${index}`, count: index, now: '2026-01-01T00:00:00Z' })));
  const c = process.cpuUsage(cpu); const ms = performance.now() - t;
  console.log(name, round, `${(500 / ms * 1000).toFixed(0)} claims/s wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU`);
}
await dynamo.stop();
