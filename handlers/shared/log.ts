import { Logger } from '@aws-lambda-powertools/logger';

type Fields = Record<string, string | number | boolean | undefined>;

/** The service name on every log line, metric and trace. */
export const SERVICE_NAME = 's3-exfil-responder';

/**
 * The keys every line of one invocation carries, so the lines of one incident can be found
 * together: the incident, the execution and the finding. Only these three, each checked for shape
 * (`correlationOf`): never a task token, never a finding.
 */
export interface Correlation {
  readonly incidentId?: string;
  readonly execution?: string;
  readonly findingId?: string;
}

const INCIDENT_ID = /^\d{8}-[0-9a-f]{12}$/;
const EXECUTION_NAME = /^[\w.:-]{1,80}$/;
const FINDING_ID = /^[\w.:/-]{1,300}$/;

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const matching = (value: unknown, shape: RegExp): string | undefined =>
  typeof value === 'string' && shape.test(value) ? value : undefined;

/**
 * The correlation keys found in a task's input or output: `incidentId` (or `registration.incidentId`),
 * `executionName`, and the finding id of `incident.findingId` or of an EventBridge GuardDuty event.
 * A value of the wrong shape is left out, and nothing else of the input is read.
 */
export function correlationOf(value: unknown): Correlation {
  const top = record(value);
  const incident = record(top.incident);
  const event = record(top.event);
  const keys: { incidentId?: string; execution?: string; findingId?: string } = {};
  const incidentId =
    matching(top.incidentId, INCIDENT_ID) ?? matching(record(top.registration).incidentId, INCIDENT_ID);
  const execution = matching(top.executionName, EXECUTION_NAME);
  const findingId =
    matching(incident.findingId, FINDING_ID) ??
    (event['detail-type'] === 'GuardDuty Finding' ? matching(record(event.detail).id, FINDING_ID) : undefined);
  if (incidentId) keys.incidentId = incidentId;
  if (execution) keys.execution = execution;
  if (findingId) keys.findingId = findingId;
  return keys;
}

let logger: Logger | undefined;

/**
 * Powertools Logger, made on first use so the environment of that moment counts (the level from
 * `POWERTOOLS_LOG_LEVEL`, pretty-printed to the global console under `POWERTOOLS_DEV`).
 */
function powertools(): Logger {
  logger ??= new Logger({ serviceName: SERVICE_NAME });
  return logger;
}

/**
 * One JSON line per log call (Powertools Logger), with the invocation's correlation keys. Callers
 * pass a few named scalar fields only: never an event, a finding, a task token or a policy (never
 * log whole inputs). `RESPONDER_SILENT=1` (the tests, the local runtime) writes nothing.
 */
function write(level: 'info' | 'warn' | 'error', message: string, fields: Fields = {}): void {
  if (process.env.RESPONDER_SILENT === '1') return;
  const extra = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  powertools()[level](message, extra);
}

export const log = {
  info: (message: string, fields?: Fields) => write('info', message, fields),
  warn: (message: string, fields?: Fields) => write('warn', message, fields),
  error: (message: string, fields?: Fields) => write('error', message, fields),
  /** Adds correlation keys to every following line of this invocation (until `endInvocation`). */
  correlate: (keys: Correlation) => {
    if (Object.keys(keys).length > 0) powertools().appendKeys({ ...keys });
  },
  /** Drops the invocation's correlation keys: a warm container's next invocation starts clean. */
  endInvocation: () => {
    logger?.resetKeys();
  },
};
