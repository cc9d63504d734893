import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { measureRegistration } from '../../handlers/register-incident/index.js';
import { lambdaHandler, task } from '../../handlers/shared/define-task.js';
import { correlationOf, log } from '../../handlers/shared/log.js';
import { incidentMetrics, METRICS_NAMESPACE } from '../../handlers/shared/metrics.js';
import { observe } from '../../handlers/shared/observe.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { guardDutyEvent, withField } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

/** What Powertools writes during a test: Logger and Metrics use the global console in development mode. */
const written: string[] = [];
beforeEach(() => {
  written.length = 0;
  const keep = (...args: unknown[]) => {
    written.push(args.map(String).join(' '));
  };
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(keep);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** The EMF documents written, as parsed JSON. */
const emf = () =>
  written
    .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws?: { CloudWatchMetrics: unknown[] } })
    .filter((document) => document._aws !== undefined);

const INCIDENT_ID = '20260223-0123456789ab';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeTaskTokenMark';

describe('log lines', () => {
  it('carry the incident, execution and finding of the invocation, and neither its task token nor its finding', async () => {
    vi.stubEnv('RESPONDER_SILENT', '0');
    const event = guardDutyEvent();
    const detail = event.detail as { id: string; resource: { accessKeyDetails: { accessKeyId: string } } };
    const logs = task({
      name: 'requestApproval',
      input: z.looseObject({}),
      run: async () => {
        log.info('asked for approval', { channel: 'C0SECOPS01' });
        return { incidentId: INCIDENT_ID };
      },
    });
    const handler = lambdaHandler(logs, () => ({}));

    await handler({ incidentId: INCIDENT_ID, executionName: 'exec-1', taskToken: TOKEN, event, finding: detail });

    expect(written).toHaveLength(2);
    for (const line of written) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).toMatchObject({ incidentId: INCIDENT_ID, execution: 'exec-1', findingId: detail.id });
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(detail.resource.accessKeyDetails.accessKeyId);
      expect(Object.keys(parsed)).not.toContain('event');
    }
    expect(JSON.parse(written[0] ?? '{}')).toMatchObject({ level: 'INFO', message: 'asked for approval' });
  });

  it('drop the correlation keys when the invocation ends, so a warm container starts clean', async () => {
    vi.stubEnv('RESPONDER_SILENT', '0');
    const handler = observe('test', async (_event: unknown) => log.info('inside'));

    await handler({ incidentId: INCIDENT_ID });
    log.info('after');

    expect(JSON.parse(written[0] ?? '{}')).toMatchObject({ incidentId: INCIDENT_ID });
    expect(JSON.parse(written[1] ?? '{}')).not.toHaveProperty('incidentId');
  });

  it('take only correlation values of the expected shape', () => {
    expect(
      correlationOf({
        incidentId: `${INCIDENT_ID}\n{"level":"ERROR"}`,
        executionName: 'x'.repeat(81),
        incident: { findingId: '<!channel>' },
        taskToken: TOKEN,
      }),
    ).toEqual({});
  });

  it('are not written when the log is silenced', async () => {
    vi.stubEnv('RESPONDER_SILENT', '1');

    log.error('never shown', { incidentId: INCIDENT_ID });

    expect(written).toEqual([]);
  });
});

describe('metrics (EMF)', () => {
  let store: IncidentStore;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, stop } = await dynaliteStore('responder-metrics'));
  });
  afterAll(async () => {
    await stop();
  });

  it('are not written outside Lambda unless asked for', () => {
    incidentMetrics.registered('open');
    incidentMetrics.detectionFired('cross-account-copy');

    expect(written).toEqual([]);
  });

  it('count the opened, linked and ignored registrations of register-incident runs, one document per run', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const handler = lambdaHandler(
      registerIncident,
      () => ({
        store,
        clock: new SimClock(new Date('2026-02-23T04:20:00Z')),
        guardduty: { getFindings: async () => [] },
        chat: new RecordingChat(),
      }),
      measureRegistration,
    );
    const event = guardDutyEvent();
    const sample = withField(event, 'detail.service.additionalInfo', { sample: true });
    const run = (input: unknown, execution: string) =>
      handler({ event: input, settings: testSettings(), executionName: execution });

    await run(event, 'first');
    await run(event, 'second');
    await run(sample, 'third');

    const documents = emf();
    expect(documents).toHaveLength(3);
    expect(documents.map((document) => Object.keys(document).filter((key) => /^Incidents/.test(key)))).toEqual([
      ['IncidentsOpened'],
      ['IncidentsLinked'],
      ['IncidentsIgnored'],
    ]);
    for (const document of documents) {
      expect(document._aws?.CloudWatchMetrics).toEqual([
        expect.objectContaining({ Namespace: METRICS_NAMESPACE, Dimensions: [['service']] }),
      ]);
      expect(document).toMatchObject({ service: 's3-exfil-responder' });
      expect(Object.values(document).filter((value) => value === 1)).toHaveLength(1);
    }
  });

  it('write the approval and containment times in seconds, a failed flow, and each failed action by action', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const handler = observe('writeReport', async (_event: unknown) =>
      incidentMetrics.reported(
        'failed',
        [
          { action: 'denyBucketAccess', result: 'failed' },
          { action: 'deactivateAccessKey', result: 'applied' },
          { action: 'revokeRoleSessions', result: 'failed' },
        ],
        { timeToApprovalMinutes: 12, timeToContainMinutes: 15 },
      ),
    );

    await handler({ incidentId: INCIDENT_ID });

    const documents = emf();
    const failedActions = documents.filter((document) => 'ActionFailed' in document);
    expect(failedActions.map((document) => [document.action, document.ActionFailed])).toEqual([
      ['denyBucketAccess', 1],
      ['revokeRoleSessions', 1],
    ]);
    for (const document of failedActions) {
      expect(document._aws?.CloudWatchMetrics).toEqual([
        expect.objectContaining({
          Dimensions: [['service', 'action']],
          Metrics: [{ Name: 'ActionFailed', Unit: 'Count' }],
        }),
      ]);
    }
    const flushed = documents.find((document) => 'TimeToApprove' in document);
    if (!flushed?._aws) throw new Error('no EMF document with the times');
    expect(flushed).toMatchObject({ IncidentsFailed: 1, TimeToApprove: 720, TimeToContain: 900 });
    expect((flushed._aws.CloudWatchMetrics[0] as { Metrics: unknown[] }).Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'TimeToApprove', Unit: 'Seconds' },
        { Name: 'TimeToContain', Unit: 'Seconds' },
      ]),
    );
  });

  it('count each detection by rule', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');

    incidentMetrics.detectionFired('cross-account-copy');

    expect(emf()).toEqual([
      expect.objectContaining({ DetectionsFired: 1, rule: 'cross-account-copy', service: 's3-exfil-responder' }),
    ]);
  });
});
