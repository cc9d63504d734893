import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from './log.js';

/** The CloudWatch namespace of every responder metric (the dashboard reads it). */
export const METRICS_NAMESPACE = 'S3ExfilResponder';

/** Every metric the responder emits, by name. Dimensions stay low-cardinality: `service`, plus `action` or `rule`. */
export const METRIC = {
  incidentsOpened: 'IncidentsOpened',
  incidentsLinked: 'IncidentsLinked',
  incidentsIgnored: 'IncidentsIgnored',
  incidentsFailed: 'IncidentsFailed',
  timeToApprove: 'TimeToApprove',
  timeToContain: 'TimeToContain',
  actionFailed: 'ActionFailed',
  detectionsFired: 'DetectionsFired',
} as const;

let metrics: Metrics | undefined;

/**
 * Powertools Metrics (EMF on stdout, which CloudWatch turns into metrics), made on first use.
 * Outside Lambda (the tests, `responder simulate`) nothing is written unless
 * `POWERTOOLS_METRICS_DISABLED=false` asks for it: a JSON line on stdout would corrupt the CLI's
 * output.
 */
function emitter(): Metrics | undefined {
  const inLambda = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  if (!inLambda && process.env.POWERTOOLS_METRICS_DISABLED !== 'false') return undefined;
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  return metrics;
}

/** One count with one extra dimension, written at once (its dimension does not leak onto other metrics). */
function countBy(name: string, dimension: string, value: string): void {
  const single = emitter()?.singleMetric();
  if (!single) return;
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

const SECONDS_PER_MINUTE = 60;

/**
 * What the responder counts. Each call adds to the invocation's buffer, written by `flushMetrics`
 * at the end of the invocation (`observe`), except the dimensioned ones, written at once.
 */
export const incidentMetrics = {
  /** A signal registered: a new incident, folded into an open one, or ignored (sample, archived, out of scope). */
  registered(status: 'open' | 'linked' | 'ignored'): void {
    const name = { open: METRIC.incidentsOpened, linked: METRIC.incidentsLinked, ignored: METRIC.incidentsIgnored }[
      status
    ];
    emitter()?.addMetric(name, MetricUnit.Count, 1);
  },
  /**
   * An incident's report written: a failed flow counts in `IncidentsFailed`; the approval and
   * containment times go in seconds (EMF has no minutes; unknown times are not sent); each action
   * that ended `failed` (its task threw, timed out or was cut off: the state machine's Action
   * Failed path) counts once in `ActionFailed` by action id, however many attempts it took.
   */
  reported(
    status: string,
    applied: readonly { action: string; result: string }[],
    times: { timeToApprovalMinutes?: number; timeToContainMinutes?: number },
  ): void {
    const sink = emitter();
    if (!sink) return;
    if (status === 'failed') sink.addMetric(METRIC.incidentsFailed, MetricUnit.Count, 1);
    if (times.timeToApprovalMinutes !== undefined) {
      sink.addMetric(
        METRIC.timeToApprove,
        MetricUnit.Seconds,
        Math.round(times.timeToApprovalMinutes * SECONDS_PER_MINUTE),
      );
    }
    if (times.timeToContainMinutes !== undefined) {
      sink.addMetric(
        METRIC.timeToContain,
        MetricUnit.Seconds,
        Math.round(times.timeToContainMinutes * SECONDS_PER_MINUTE),
      );
    }
    for (const entry of applied) if (entry.result === 'failed') countBy(METRIC.actionFailed, 'action', entry.action);
  },
  /** A detection rule that fired, by rule id. */
  detectionFired(rule: string): void {
    countBy(METRIC.detectionsFired, 'rule', rule);
  },
};

/** Writes the invocation's buffered metrics, if any (one EMF line). */
export function flushMetrics(): void {
  if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
}
