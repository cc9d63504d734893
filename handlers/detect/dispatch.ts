import { InvalidFinding } from '../shared/errors.js';
import { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import { firstIssue } from '../shared/schemas/primitives.js';
import { anonymousRareSource } from './anonymous-rare-source.js';
import { ALARM_DETAIL_TYPE, AlarmStateChange, bulkDownload } from './bulk-download.js';
import { crossAccountCopy } from './cross-account-copy.js';
import type { DetectConfig, Detection } from './detection.js';
import { externalKmsCopy } from './external-kms-copy.js';
import type { NewTermsStore } from './new-terms.js';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The detectors' state: it starts empty and persists across the records of one run. */
export interface DetectState {
  readonly newTerms: NewTermsStore;
}

type Item =
  | { readonly path: string; readonly record: CloudTrailRecord }
  | { readonly path: string; readonly alarm: AlarmStateChange };

const at = (path: string, field: string) => (path ? (field ? `${path}.${field}` : path) : field);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function record(value: unknown, path: string): Item {
  const parsed = CloudTrailRecord.safeParse(value);
  if (!parsed.success) {
    const { path: field, message } = firstIssue(parsed.error);
    throw new InvalidFinding(at(path, field), message);
  }
  return { path, record: parsed.data };
}

/** Arrays of records may nest (NDJSON lines that are arrays); this deep is no longer a list of records. */
const MAX_ARRAY_NESTING = 8;

function itemsOf(value: unknown, path: string, nesting = 0): Item[] {
  if (Array.isArray(value)) {
    if (nesting >= MAX_ARRAY_NESTING) {
      throw new InvalidFinding(path || '(input)', `arrays nested more than ${MAX_ARRAY_NESTING} deep`);
    }
    return value.flatMap((entry, index) => itemsOf(entry, `${path}[${index}]`, nesting + 1));
  }
  if (!isObject(value)) {
    throw new InvalidFinding(path || '(input)', 'expected a JSON object: a CloudTrail record or an EventBridge event');
  }
  if ('Records' in value) {
    if (!Array.isArray(value.Records)) throw new InvalidFinding(at(path, 'Records'), 'must be an array of records');
    return value.Records.map((entry, index) => record(entry, at(path, `Records[${index}]`)));
  }
  if ('detail-type' in value || ('source' in value && 'detail' in value)) {
    const type = value['detail-type'];
    if (type === CLOUDTRAIL_DETAIL_TYPE) return [record(value.detail, at(path, 'detail'))];
    if (type === ALARM_DETAIL_TYPE) {
      const parsed = AlarmStateChange.safeParse(value);
      if (!parsed.success) {
        const { path: field, message } = firstIssue(parsed.error);
        throw new InvalidFinding(at(path, field), message);
      }
      return [{ path, alarm: parsed.data }];
    }
    throw new InvalidFinding(
      at(path, 'detail-type'),
      `${JSON.stringify(type)} is neither "${CLOUDTRAIL_DETAIL_TYPE}" nor "${ALARM_DETAIL_TYPE}" (GuardDuty findings go to responder normalize)`,
    );
  }
  if ('eventName' in value || 'eventSource' in value || 'eventTime' in value) return [record(value, path)];
  throw new InvalidFinding(
    path || '(input)',
    'unrecognized input: expected a CloudTrail record, {"Records":[…]}, an EventBridge event or NDJSON of records',
  );
}

/** The error with its field path put under the item's path (`Records[3].recipientAccountId`). */
function within(path: string, error: InvalidFinding): InvalidFinding {
  const detail = error.path ? error.message.slice(error.path.length + 2) : error.message;
  return new InvalidFinding(at(path, error.path), detail);
}

/** JSON, or NDJSON (one JSON value a line); a bad line is named by its number. */
export function parseDetectText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const lines = text.split(/\r?\n/);
    if (lines.filter((line) => line.trim() !== '').length < 2) {
      throw new InvalidFinding('(input)', `not valid JSON: ${(error as Error).message}`);
    }
    return lines.flatMap((line, index) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch (lineError) {
        throw new InvalidFinding(`(line ${index + 1})`, `not valid JSON: ${(lineError as Error).message}`);
      }
    });
  }
}

/**
 * The detectors over any input `responder detect` and the detection Lambda receive: a bare
 * CloudTrail record, `{"Records":[…]}`, an EventBridge "AWS API Call via CloudTrail" event, a
 * "CloudWatch Alarm State Change" event, an array of any of these, or NDJSON text of them. Returns
 * the detections in input order (contract §10), one per finding id. Input that is none of these, or
 * a record without `eventTime`/`eventSource`/`eventName`, throws `InvalidFinding` naming the path.
 */
export async function detect(input: unknown, state: DetectState, config: DetectConfig): Promise<Detection[]> {
  const items = itemsOf(typeof input === 'string' ? parseDetectText(input) : input, '');
  const detections: Detection[] = [];
  const ids = new Set<string>();
  for (const item of items) {
    let found: (Detection | undefined)[];
    try {
      found =
        'alarm' in item
          ? [bulkDownload(item.alarm, config)]
          : [
              crossAccountCopy(item.record, config),
              externalKmsCopy(item.record, config),
              await anonymousRareSource(item.record, state.newTerms),
            ];
    } catch (error) {
      throw error instanceof InvalidFinding && item.path ? within(item.path, error) : error;
    }
    for (const detection of found) {
      if (!detection || ids.has(detection.incident.findingId)) continue;
      ids.add(detection.incident.findingId);
      detections.push(detection);
    }
  }
  return detections;
}
