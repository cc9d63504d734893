import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynaliteClient } from '../local/dynalite.js';

/**
 * Starts dynalite in a child process (dynalite-server.ts) and a client of it, so a bench measures
 * our side against a database that does not share its thread (DynamoDB never does). The client
 * keeps up to `sockets` connections open, one per request in flight, as that many Lambda
 * instances would each hold their own. `stop` destroys the client and ends the process.
 */
export async function startDynaliteProcess(
  sockets: number,
): Promise<{ endpoint: string; client: DynamoDBClient; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'dynalite-server.ts')], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n');
      if (line.length > 1) resolve(line[0] as string);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite process exited (${code}) before naming its endpoint`)));
  });
  const client = dynaliteClient(endpoint, {
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) },
  });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      child.stdin.end();
      await exited;
    },
  };
}
