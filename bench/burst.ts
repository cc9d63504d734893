import { performance } from 'node:perf_hooks';
import { registerIncident } from '../handlers/register-incident/core.js';
import type { Registration } from '../handlers/register-incident/schema.js';
import { requestApproval } from '../handlers/request-approval/core.js';
import { runTask } from '../handlers/shared/define-task.js';
import { DynamoIncidentStore } from '../handlers/shared/store/dynamodb-store.js';
import { parseConfig, toSettings } from '../infra/config.js';
import { SimClock } from '../local/clock.js';
import { createDocumentClient, createIncidentTable } from '../local/dynalite.js';
import type { Scenario } from '../local/scenario.js';
import { localConfig } from '../local/simulate.js';
import { loadPlaybooks } from '../playbooks/index.js';
import { startDynaliteProcess } from './dynalite-process.js';

/** Adds a row to the bench's table and a figure to bench/results.json. */
export type Recorder = (label: string, key: string, value: number, unit: string, digits?: number) => void;

/**
 * The two burst figures of `npm run bench`, against one dynalite running in a child process of its
 * own (as DynamoDB never shares the caller's thread: the figures are our registration path's, not
 * dynalite's server, HTTP parsing and storage competing with it for one thread):
 * - 500 concurrent `claimFinding` calls on 50 finding ids, after one untimed round: the median of
 *   5 timed rounds, each on finding ids of its own, and the first of them;
 * - 10,000 GuardDuty events for 20 principals arriving at once (25 findings each, every finding
 *   delivered 20 times with rising counts, in shuffled order), registered through the real
 *   registration core, at most CONCURRENCY at a time (the Lambda concurrency the burst gets);
 *   StoreConflict is retried after a pause that holds no slot, as the state machine's Retry does.
 *   Then one approval request per incident opened. Must give exactly 20 incidents and 20 requests.
 * Also counts the DynamoDB requests the registrations send, by operation.
 */
export async function burstSection(record: Recorder, seed: Scenario): Promise<void> {
  const dynamo = await startDynaliteProcess(CONCURRENCY);
  const requests = new Map<string, number>();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.set(context.commandName ?? '?', (requests.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  try {
    await createIncidentTable(dynamo.client, 'bench');
    const store = new DynamoIncidentStore(createDocumentClient(dynamo.client), 'bench');
    const claims = 500;
    const claimAll = (prefix: string) =>
      Promise.all(
        Array.from({ length: claims }, (_, index) =>
          store.claimFinding({
            findingId: `${prefix}-${index % 50}`,
            incidentId: `i-${index}`,
            executionName: `e-${index}`,
            count: index,
            now: '2026-01-01T00:00:00Z',
          }),
        ),
      );
    // The database is warm in production: one untimed round on other finding ids first, so the
    // figure is not the new process compiling its code and the client opening its connections.
    // Then CLAIM_ROUNDS timed rounds, each on finding ids of its own: one round lasts about a
    // second, so the first is still mostly this process compiling its code; the median is the
    // figure, the first round is shown beside it.
    await claimAll('warm-up');
    const rounds: number[] = [];
    for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
      const { ms } = await timed(() => claimAll(`round${round}`));
      rounds.push((claims / ms) * 1000);
    }
    record(
      `burst registration (${claims} claims at once on 50 finding ids, dynalite in its own process; median of ${CLAIM_ROUNDS} rounds)`,
      'claimsPerSecond',
      median(rounds),
      'claims/s',
    );
    record('  first timed round', 'claimsFirstRoundPerSecond', rounds[0] ?? 0, 'claims/s');
    requests.clear();
    await registrationBurst(record, seed, store, requests);
  } finally {
    await dynamo.stop();
  }
}

const CONCURRENCY = 100;
const CLAIM_ROUNDS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const PRINCIPALS = 20;
const FINDINGS_PER_PRINCIPAL = 25;
const DELIVERIES = 20;

async function registrationBurst(
  record: Recorder,
  seed: Scenario,
  store: DynamoIncidentStore,
  requests: Map<string, number>,
): Promise<void> {
  const [playbook] = await loadPlaybooks();
  if (!playbook) throw new Error('no playbooks found');
  const settings = toSettings(parseConfig(localConfig(seed)), playbook, { responderRoleArns: [] });
  const burstEvents = shuffled(burstOf(seed.events[0] as { detail: Record<string, unknown> }));
  const clock = new SimClock(new Date('2026-02-23T04:20:00Z'));
  const chat = {
    post: async () => ({ channel: settings.slackChannel, ts: '1.0001' }),
    update: async () => undefined,
  };
  const registerPorts = { store, clock, chat, guardduty: { getFindings: async () => [] } };
  let conflicts = 0;
  let mostAttempts = 1;
  const slot = slots(CONCURRENCY);
  async function registerWithRetry(event: unknown, executionName: string): Promise<Registration> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const registration = await slot(() =>
          runTask(registerIncident, { event, settings, executionName }, registerPorts),
        );
        mostAttempts = Math.max(mostAttempts, attempt);
        return registration;
      } catch (error) {
        if ((error as Error).name !== 'StoreConflict' || attempt === 30) throw error;
        conflicts += 1;
        await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
      }
    }
  }
  const { ms: burstRegistrationMs, value: registrations } = await timed(() =>
    Promise.all(burstEvents.map(({ event, executionName }) => registerWithRetry(event, executionName))),
  );
  const sent = new Map(requests);
  const opened = registrations.filter((registration) => registration.status === 'open');
  const linked = registrations.filter((registration) => registration.status === 'linked');
  const folded = linked.filter((registration) => registration.reason?.startsWith('folded into')).length;
  let nonce = 0;
  const approvals = await Promise.all(
    opened.map((registration) =>
      runTask(
        requestApproval,
        {
          taskToken: `bench-token-${registration.incidentId}`,
          incidentId: registration.incidentId,
          incident: registration.incident,
          settings,
          plan: { items: [], recommendations: [], notPlanned: [], count: 0 },
          enrichment: {},
          executionName: `bench-${registration.incidentId}`,
          redriveCount: 0,
        },
        {
          store,
          chat,
          clock,
          random: {
            token: () => {
              nonce += 1;
              return `bench-nonce-${nonce}-0123456789abcdef`;
            },
          },
        },
      ),
    ),
  );
  if (opened.length !== PRINCIPALS || approvals.length !== PRINCIPALS) {
    throw new Error(
      `burst: expected ${PRINCIPALS} incidents and approval requests, got ${opened.length} and ${approvals.length}`,
    );
  }
  const label = `burst of ${burstEvents.length.toLocaleString('en-US')} events, ${PRINCIPALS} principals, ${CONCURRENCY} at a time (dynalite in its own process)`;
  record(`${label}: incidents created`, 'burstIncidents', opened.length, 'incidents');
  record(`  approval requests`, 'burstApprovals', approvals.length, 'requests');
  record(`  duplicates suppressed (linked)`, 'burstLinked', linked.length, 'events');
  record(`    same finding id (FINDING#)`, 'burstLinkedFinding', linked.length - folded, 'events');
  record(`    same principal and bucket (CORRELATION#)`, 'burstLinkedCorrelation', folded, 'events');
  record(
    `  StoreConflict retries (most attempts for one event: ${mostAttempts})`,
    'burstConflicts',
    conflicts,
    'retries',
  );
  const total = [...sent.values()].reduce((sum, count) => sum + count, 0);
  const byKind = [...sent.entries()]
    .sort(([, a], [, b]) => b - a)
    .map(([command, count]) => `${command.replace(/Command$/, '')} ${count}`)
    .join(', ');
  record(`  DynamoDB requests per event (${byKind})`, 'burstRequestsPerEvent', total / burstEvents.length, '', 2);
  record(
    `  registrations per second`,
    'burstRegistrationsPerSecond',
    (burstEvents.length / burstRegistrationMs) * 1000,
    'registrations/s',
  );
}

/** Every delivery of every finding of every principal, each a clone of the seed's event. */
function burstOf(seedEvent: { detail: Record<string, unknown> }): { event: unknown; executionName: string }[] {
  const events: { event: unknown; executionName: string }[] = [];
  for (let p = 0; p < PRINCIPALS; p += 1) {
    for (let f = 0; f < FINDINGS_PER_PRINCIPAL; f += 1) {
      for (let d = 0; d < DELIVERIES; d += 1) {
        const event = structuredClone(seedEvent) as {
          detail: {
            id: string;
            resource: {
              accessKeyDetails: { userName: string; accessKeyId: string };
              s3BucketDetails: { name: string }[];
            };
            service: { count: number; action: { awsApiCallAction: { affectedResources: Record<string, string> } } };
          };
        };
        event.detail.id = `burst${String(p).padStart(2, '0')}f${String(f).padStart(2, '0')}`;
        event.detail.resource.accessKeyDetails.userName = `bench-user-${p}`;
        event.detail.resource.accessKeyDetails.accessKeyId = `AKIABENCH${String(p).padStart(11, '0')}`;
        event.detail.service.count = d + 1;
        // One bucket per principal: another caller on an open incident's bucket would fold into it.
        for (const bucket of event.detail.resource.s3BucketDetails) bucket.name = `bench-bucket-${p}`;
        event.detail.service.action.awsApiCallAction.affectedResources = { 'AWS::S3::Bucket': `bench-bucket-${p}` };
        events.push({ event, executionName: `burst-${events.length + 1}` });
      }
    }
  }
  return events;
}

/** The same order every run (a fixed linear congruential sequence). */
function shuffled<T>(items: T[]): T[] {
  let shuffle = 42;
  for (let i = items.length - 1; i > 0; i -= 1) {
    shuffle = (shuffle * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = shuffle % (i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Runs at most `limit` of the functions given at a time. */
function slots(limit: number): <T>(run: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (run) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await run();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}
