import * as z from 'zod';
import { AccountId, Region } from '../shared/schemas/primitives.js';
import {
  bucketOrUndefined,
  DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX,
  type DetectConfig,
  type Detection,
  findingIdFor,
  toIncident,
} from './detection.js';

export const ALARM_SOURCE = 'aws.cloudwatch';
export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
/** The metric our CloudTrail metric filter publishes (one per GetObject data event). */
export const GET_OBJECT_METRIC = { namespace: 'S3ExfilResponder', name: 'GetObjectRequests' } as const;
/** S3 request metrics that also measure downloads, per bucket (seed 002). */
const S3_DOWNLOAD_METRICS = new Set(['BytesDownloaded', 'GetRequests']);

const SEVERITY = 6;

const Metric = z.looseObject({
  metricStat: z
    .looseObject({
      metric: z
        .looseObject({
          namespace: z.string().optional(),
          name: z.string().optional(),
          dimensions: z.record(z.string(), z.unknown()).optional(),
        })
        .optional(),
      period: z.number().optional(),
    })
    .optional(),
});

/** The parts of a `CloudWatch Alarm State Change` event we read (the documented EventBridge shape). */
export const AlarmStateChange = z.looseObject({
  source: z.literal(ALARM_SOURCE),
  'detail-type': z.literal(ALARM_DETAIL_TYPE),
  account: AccountId,
  region: Region,
  time: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    alarmName: z.string(),
    state: z.looseObject({
      value: z.string(),
      timestamp: z.string(),
      reason: z.string().optional(),
      reasonData: z.string().optional(),
    }),
    configuration: z.looseObject({ metrics: z.array(Metric).optional() }).optional(),
  }),
});
export type AlarmStateChange = z.infer<typeof AlarmStateChange>;

const metricsOf = (event: AlarmStateChange) =>
  (event.detail.configuration?.metrics ?? []).flatMap((entry) =>
    entry.metricStat?.metric ? [entry.metricStat.metric] : [],
  );

/** True when the alarm counts requests (our GetObject metric or S3 GetRequests), not bytes. */
function countsRequests(event: AlarmStateChange): boolean {
  return metricsOf(event).some(
    (metric) =>
      (metric.namespace === GET_OBJECT_METRIC.namespace && metric.name === GET_OBJECT_METRIC.name) ||
      (metric.namespace === 'AWS/S3' && metric.name === 'GetRequests'),
  );
}

function isBulkDownloadAlarm(event: AlarmStateChange, config: DetectConfig): boolean {
  const prefix = config.bulkDownloadAlarmPrefix ?? DEFAULT_BULK_DOWNLOAD_ALARM_PREFIX;
  if (event.detail.alarmName.startsWith(prefix)) return true;
  return (
    countsRequests(event) ||
    metricsOf(event).some((metric) => metric.namespace === 'AWS/S3' && S3_DOWNLOAD_METRICS.has(metric.name ?? ''))
  );
}

/** The `BucketName` dimensions of the alarm's metrics (an S3 request-metrics alarm names its bucket). */
function bucketsOf(event: AlarmStateChange): string[] {
  return metricsOf(event).flatMap((metric) => {
    const bucket = bucketOrUndefined(metric.dimensions?.BucketName);
    return bucket ? [bucket] : [];
  });
}

/** What `reasonData` says: the window start and the breaching value. */
function reasonOf(event: AlarmStateChange): { startDate?: string; value?: number; threshold?: number } {
  try {
    const data = JSON.parse(event.detail.state.reasonData ?? '{}') as {
      startDate?: unknown;
      recentDatapoints?: unknown;
      threshold?: unknown;
    };
    const points = Array.isArray(data.recentDatapoints) ? data.recentDatapoints.filter(Number.isFinite) : [];
    return {
      startDate: typeof data.startDate === 'string' ? data.startDate : undefined,
      value: points.length > 0 ? Math.max(...(points as number[])) : undefined,
      threshold: typeof data.threshold === 'number' ? data.threshold : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * Bulk download (seeds 000 and 002): a bulk-download alarm (named with the configured prefix, or
 * alarming on our GetObject metric or S3's BytesDownloaded/GetRequests) going into ALARM. Who
 * downloaded is not in the alarm, so the principal is `Unknown` and left to the evidence queries
 * (the top downloader); the bucket comes from the metric's `BucketName` dimension when there is
 * one. The finding id is the alarm and the transition time, so a redelivered event dedupes and the
 * next transition is a new incident.
 */
export function bulkDownload(event: AlarmStateChange, config: DetectConfig): Detection | undefined {
  if (event.detail.state.value !== 'ALARM' || !isBulkDownloadAlarm(event, config)) return undefined;
  const reason = reasonOf(event);
  const at = event.detail.state.timestamp;
  const buckets = bucketsOf(event);
  const alarm = event.resources?.[0] ?? event.detail.alarmName;
  const volume =
    reason.value === undefined
      ? 'crossed its threshold'
      : `measured ${reason.value}${reason.threshold === undefined ? '' : ` (threshold ${reason.threshold})`}`;
  return {
    rule: 'bulk-download',
    incident: toIncident({
      rule: 'bulk-download',
      findingId: findingIdFor('bulk-download', `${alarm}\n${at}`),
      severity: SEVERITY,
      accountId: event.account,
      region: event.region,
      principal: { type: 'Unknown' },
      buckets,
      sourceIps: [],
      firstSeen: reason.startDate && !Number.isNaN(Date.parse(reason.startDate)) ? reason.startDate : at,
      lastSeen: at,
      count: countsRequests(event) ? Math.max(1, Math.round(reason.value ?? 1)) : 1,
      title: `T1530 Data from Cloud Storage: bulk download alarm ${event.detail.alarmName} ${volume}${buckets.length > 0 ? ` on ${buckets.join(', ')}` : ''}; the downloader is found by the evidence queries`,
    }),
  };
}
