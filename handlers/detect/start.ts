import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { requireEnv } from '../shared/env.js';
import { mapAwsError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { incidentMetrics } from '../shared/metrics.js';
import { detectionEnvelope } from '../shared/schemas/detection-envelope.js';
import { AccountId } from '../shared/schemas/primitives.js';
import { traced } from '../shared/tracing.js';
import { DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX, type DetectConfig, type Detection, DetectionRule } from './detection.js';
import { type DetectState, detect } from './dispatch.js';

/**
 * The execution name of a detection: the same for every delivery of the same finding (at most 80
 * characters of `[A-Za-z0-9-]`), so Step Functions starts it once.
 */
export function executionName(detection: Detection): string {
  return `${detection.rule}-${createHash('sha256').update(detection.incident.findingId).digest('hex').slice(0, 40)}`;
}

/** Starts a state machine execution; `already` when an execution of that name exists. */
export interface PlaybookStarter {
  start(stateMachineArn: string, name: string, input: string): Promise<'started' | 'already'>;
}

/** Which playbook state machine each rule starts (rules without one are not deployed). */
export const DetectionRoutes = z.partialRecord(DetectionRule, z.string().startsWith('arn:'));
export type DetectionRoutes = z.infer<typeof DetectionRoutes>;

export interface StartOutcome {
  readonly detections: number;
  readonly started: number;
  readonly already: number;
  readonly unrouted: number;
}

/** Detects, then starts the routed playbook once per finding with the detection envelope. */
export async function handleDetectionEvent(
  event: unknown,
  ports: { state: DetectState; starter: PlaybookStarter },
  config: DetectConfig & { routes: DetectionRoutes },
): Promise<StartOutcome> {
  const detections = await detect(event, ports.state, config);
  const outcome = { detections: detections.length, started: 0, already: 0, unrouted: 0 };
  for (const detection of detections) {
    incidentMetrics.detectionFired(detection.rule);
    const arn = config.routes[detection.rule];
    if (!arn) {
      outcome.unrouted += 1;
      continue;
    }
    const input = JSON.stringify(detectionEnvelope(detection));
    const result = await ports.starter.start(arn, executionName(detection), input);
    outcome[result] += 1;
    log.info('detection', { rule: detection.rule, findingId: detection.incident.findingId, result });
  }
  return outcome;
}

/** `states:StartExecution` against AWS; an existing execution of the same name is `already`. */
export function sfnStarter(client = traced(new SFNClient({}))): PlaybookStarter {
  return {
    start: async (stateMachineArn, name, input) => {
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input }));
        return 'started';
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
          return 'already';
        }
        throw mapAwsError('states:StartExecution', error);
      }
    },
  };
}

/** The detection Lambda's configuration, set by the stack (`infra/constructs/detections.ts`). */
export function detectionEnv(): DetectConfig & { routes: DetectionRoutes; newTermsTable: string } {
  const trusted = (process.env.TRUSTED_ACCOUNTS ?? '').split(',').filter((id) => id !== '');
  return {
    trustedAccounts: z.array(AccountId).parse(trusted),
    bulkDownloadAlarmPrefix: process.env.BULK_DOWNLOAD_ALARM_PREFIX || DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
    routes: DetectionRoutes.parse(JSON.parse(requireEnv('DETECTION_ROUTES'))),
    newTermsTable: requireEnv('NEW_TERMS_TABLE'),
  };
}
