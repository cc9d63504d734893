import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, type Scenario } from '../../local/scenario.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export function readJson<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(join(ROOT, relative), 'utf8')) as T;
}

/** A bundled scenario, parsed as `simulate` parses it. */
export function scenario(name: 'compromised-iam-user-key' | 'assumed-role-exfiltration'): Scenario {
  return parseScenario(readJson(`examples/${name}.json`));
}

/** A deep copy of the seed scenario's first GuardDuty event (real EventBridge shape). */
export function guardDutyEvent(): Record<string, unknown> {
  return structuredClone(scenario('compromised-iam-user-key').events[0]) as Record<string, unknown>;
}

/**
 * A copy of a JSON value with the field at a dotted path (`detail.resource.s3BucketDetails.0.name`)
 * set, or removed when the value is undefined.
 */
export function withField<T>(value: T, path: string, field: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parts = path.split('.');
  const last = parts.pop() as string;
  let cursor: Record<string, unknown> = copy;
  for (const part of parts) cursor = cursor[part] as Record<string, unknown>;
  if (field === undefined) delete cursor[last];
  else cursor[last] = field;
  return copy as T;
}

/**
 * The seed's GuardDuty finding as another finding (`id`), `minutes` after the first, on `bucket`
 * when given (its name, ARN and the API call's affected resource).
 */
export function laterFinding(id: string, minutes: number, bucket?: string): Record<string, unknown> {
  const at = new Date(Date.parse('2026-02-23T04:15:31Z') + minutes * 60_000).toISOString();
  let event = withField(guardDutyEvent(), 'detail.id', id);
  event = withField(event, 'detail.updatedAt', at);
  event = withField(event, 'time', at);
  if (bucket === undefined) return event;
  event = withField(event, 'detail.resource.s3BucketDetails.0.name', bucket);
  event = withField(event, 'detail.resource.s3BucketDetails.0.arn', `arn:aws:s3:::${bucket}`);
  return withField(event, 'detail.service.action.awsApiCallAction.affectedResources', { 'AWS::S3::Bucket': bucket });
}
