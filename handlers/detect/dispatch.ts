import { InvalidFinding } from '../shared/errors.js';
import { CloudTrailRecord, isCloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import { firstIssue } from '../shared/schemas/primitives.js';
import { anonymousCall, anonymousRareSource } from './anonymous-rare-source.js';
import { ALARM_DETAIL_TYPE, AlarmStateChange, bulkDownload } from './bulk-download.js';
import { CROSS_ACCOUNT_COPY_EVENTS, crossAccountCopy } from './cross-account-copy.js';
import type { DetectConfig, Detection } from './detection.js';
import { externalKmsCopy, KMS_WRITE_EVENTS } from './external-kms-copy.js';
import type { NewTermsStore } from './new-terms.js';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The detectors' state: it starts empty and persists across the records of one run. */
export interface DetectState {
  readonly newTerms: NewTermsStore;
}

/** One record or alarm of the input, with where it is (`Records[3]`, `detail`, `[2]`, or ''). */
export type Item =
  | { readonly path: string; readonly record: CloudTrailRecord }
  | { readonly path: string; readonly alarm: AlarmStateChange };

/** A part of the input that is neither a record nor an alarm, and why. */
export interface Malformed {
  readonly path: string;
  readonly error: InvalidFinding;
}

const at = (path: string, field: string) => (path ? (field ? `${path}.${field}` : path) : field);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A record of the input as an item, or, when it has the wrong shape, why (the schema names the field). */
export function recordItem(value: unknown, path: string): Item | Malformed {
  if (isCloudTrailRecord(value)) return { path, record: value };
  const parsed = CloudTrailRecord.safeParse(value);
  if (parsed.success) return { path, record: parsed.data };
  const { path: field, message } = firstIssue(parsed.error);
  return { path, error: new InvalidFinding(at(path, field), message) };
}

const malformed = (path: string, field: string, message: string): Malformed => ({
  path,
  error: new InvalidFinding(field, message),
});

/** Arrays of records may nest (NDJSON lines that are arrays); this deep is no longer a list of records. */
const MAX_ARRAY_NESTING = 8;

/**
 * The records and alarms of one parsed input, in order, and in their place each part that is
 * neither (a record of the wrong shape, an unknown event), so a batch can skip it and go on.
 */
export function* itemsOf(value: unknown, path = '', nesting = 0): Generator<Item | Malformed> {
  if (Array.isArray(value)) {
    if (nesting >= MAX_ARRAY_NESTING) {
      yield malformed(path, path || '(input)', `arrays nested more than ${MAX_ARRAY_NESTING} deep`);
      return;
    }
    for (let index = 0; index < value.length; index += 1)
      yield* itemsOf(value[index], `${path}[${index}]`, nesting + 1);
    return;
  }
  if (!isObject(value)) {
    yield malformed(path, path || '(input)', 'expected a JSON object: a CloudTrail record or an EventBridge event');
    return;
  }
  if ('Records' in value) {
    const records = value.Records;
    if (!Array.isArray(records)) {
      yield malformed(path, at(path, 'Records'), 'must be an array of records');
      return;
    }
    const prefix = at(path, 'Records');
    for (let index = 0; index < records.length; index += 1) yield recordItem(records[index], `${prefix}[${index}]`);
    return;
  }
  if ('detail-type' in value || ('source' in value && 'detail' in value)) {
    const type = value['detail-type'];
    if (type === CLOUDTRAIL_DETAIL_TYPE) {
      yield recordItem(value.detail, at(path, 'detail'));
    } else if (type === ALARM_DETAIL_TYPE) {
      const parsed = AlarmStateChange.safeParse(value);
      if (parsed.success) {
        yield { path, alarm: parsed.data };
      } else {
        const { path: field, message } = firstIssue(parsed.error);
        yield malformed(path, at(path, field), message);
      }
    } else {
      yield malformed(
        path,
        at(path, 'detail-type'),
        `${JSON.stringify(type)} is neither "${CLOUDTRAIL_DETAIL_TYPE}" nor "${ALARM_DETAIL_TYPE}" (GuardDuty findings go to responder normalize)`,
      );
    }
    return;
  }
  if ('eventName' in value || 'eventSource' in value || 'eventTime' in value) {
    yield recordItem(value, path);
    return;
  }
  yield malformed(
    path,
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

/** The calls the copy and KMS rules read (on S3 only): every rule returns nothing for any other record. */
const RULE_SOURCE = 's3.amazonaws.com';
const WRITE_EVENTS: ReadonlySet<string> = new Set([...CROSS_ACCOUNT_COPY_EVENTS, ...KMS_WRITE_EVENTS]);

/**
 * False when no rule can fire on the item, decided from `eventSource`, `eventName` and, for reads,
 * whether the caller is anonymous (each rule checks these first), so the bulk of an archive, the
 * reads of known principals, costs a few comparisons a record.
 */
export function mayFire(item: Item): boolean {
  return 'alarm' in item || recordMayFire(item.record);
}

/** `mayFire` of a record. */
export function recordMayFire(record: CloudTrailRecord): boolean {
  return (record.eventSource === RULE_SOURCE && WRITE_EVENTS.has(record.eventName)) || anonymousCall(record);
}

/**
 * The detectors over a run of items: the state (addresses already seen) and the finding ids already
 * reported last for the run, so a finding is reported once.
 */
export class Detector {
  private readonly ids = new Set<string>();

  constructor(
    private readonly state: DetectState,
    private readonly config: DetectConfig,
  ) {}

  /**
   * The new detections of one item, in rule order. A record that cannot make a valid incident
   * throws `InvalidFinding` with the field under the item's path.
   */
  async run(item: Item): Promise<Detection[]> {
    if (!mayFire(item)) return [];
    let found: (Detection | undefined)[];
    try {
      found =
        'alarm' in item
          ? [bulkDownload(item.alarm, this.config)]
          : [
              crossAccountCopy(item.record, this.config),
              externalKmsCopy(item.record, this.config),
              await anonymousRareSource(item.record, this.state.newTerms),
            ];
    } catch (error) {
      throw error instanceof InvalidFinding && item.path ? within(item.path, error) : error;
    }
    const detections: Detection[] = [];
    for (const detection of found) {
      if (!detection || this.ids.has(detection.incident.findingId)) continue;
      this.ids.add(detection.incident.findingId);
      detections.push(detection);
    }
    return detections;
  }
}

/**
 * The detectors over any input `responder detect` and the detection Lambda receive: a bare
 * CloudTrail record, `{"Records":[…]}`, an EventBridge "AWS API Call via CloudTrail" event, a
 * "CloudWatch Alarm State Change" event, an array of any of these, or NDJSON text of them. Returns
 * the detections in input order (contract §10), one per finding id. Input that is none of these, or
 * a record without `eventTime`/`eventSource`/`eventName`, throws `InvalidFinding` naming the path
 * before any rule runs.
 */
export async function detect(input: unknown, state: DetectState, config: DetectConfig): Promise<Detection[]> {
  const items: Item[] = [];
  for (const item of itemsOf(typeof input === 'string' ? parseDetectText(input) : input)) {
    if ('error' in item) throw item.error;
    items.push(item);
  }
  const detector = new Detector(state, config);
  const detections: Detection[] = [];
  for (const item of items) {
    if (mayFire(item)) detections.push(...(await detector.run(item)));
  }
  return detections;
}
