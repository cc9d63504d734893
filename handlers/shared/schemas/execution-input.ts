import * as z from 'zod';
import { InvalidExecutionInput } from '../errors.js';
import { DetectionRule } from './detection.js';
import { DETECTION_DETAIL_TYPE, DETECTION_SOURCE, DetectionEnvelope } from './detection-envelope.js';
import { Incident } from './incident.js';
import { AccountId, firstIssue, Region } from './primitives.js';

/**
 * What a playbook's state machine accepts as execution input (DESIGN §1 and §9): whatever
 * EventBridge delivers, and what an engineer pastes into the Step Functions console or
 * `responder rerun` sends. One union; `parseExecutionInput` picks the member by its keys, so an
 * error names the field of the form that was meant instead of a list of every member's failure.
 */
export const ACCEPTED_INPUTS =
  'accepted inputs: a GuardDuty EventBridge event {"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{…}}; ' +
  'a GuardDuty finding (EventBridge camelCase or API PascalCase); {"Findings":[<one finding>]} as `aws guardduty get-findings` prints it; ' +
  '{"findingId":"…","detectorId":"…"} (fetched with GuardDuty GetFindings); ' +
  '{"incidentId":"YYYYMMDD-<12 hex>","rerun":true} (re-plan an incident from its current state); ' +
  '{"incidentId":"YYYYMMDD-<12 hex>","queued":true} (ask for what arrived while its request was pending); ' +
  `{"rule":"…","incident":{…}} (one entry of \`responder detect\`), or our detection's EventBridge envelope (source ${DETECTION_SOURCE})`;

const FindingId = z.string().regex(/^[\w.:/-]{1,300}$/, 'must be a GuardDuty finding id');

/** An EventBridge event; its `detail` is checked by `normalizeFinding`, which names the field. */
export const EventBridgeInput = z.looseObject({
  'detail-type': z.string(),
  source: z.string(),
  detail: z.record(z.string(), z.unknown(), {
    error: (issue) => (issue.input === undefined ? undefined : 'must be an object (the finding)'),
  }),
});

/** `aws guardduty get-findings` output: exactly one finding per execution. */
export const FindingsInput = z.looseObject({
  Findings: z
    .array(z.record(z.string(), z.unknown(), { error: 'must be a finding object' }), {
      error: 'must be an array of findings',
    })
    .length(1, 'must hold exactly one finding (start one execution per finding)'),
});

/** A bare finding, EventBridge (`id`, `type`) or API (`Id`, `Type`) form; checked in depth by `normalizeFinding`. */
export const FindingInput = z.union([
  z.looseObject({ id: z.string(), type: z.string() }),
  z.looseObject({ Id: z.string(), Type: z.string() }),
]);

/** A finding by id, fetched from the detector (the state machine's account and Region unless given). */
export const FindingReferenceInput = z.strictObject({
  findingId: FindingId,
  detectorId: z.string().regex(/^[A-Za-z0-9]{1,300}$/, 'must be a GuardDuty detector id'),
  accountId: AccountId.optional(),
  region: Region.optional(),
});
export type FindingReferenceInput = z.infer<typeof FindingReferenceInput>;

/** A re-run of a registered incident: re-planned from the current state of the account. */
export const RerunInput = z.strictObject({
  incidentId: z.string().regex(/^\d{8}-[0-9a-f]{12}$/, 'must be an incident id (YYYYMMDD-<12 hex>)'),
  rerun: z.literal(true, { error: 'must be true: {"incidentId":"…","rerun":true} re-plans the incident' }),
});
export type RerunInput = z.infer<typeof RerunInput>;

/**
 * Asks for what signals added while the incident's request was pending (its queue of deltas), as
 * the playbook does itself once the decision is made; safe to repeat (the queue is taken once).
 */
export const QueuedInput = z.strictObject({
  incidentId: RerunInput.shape.incidentId,
  queued: z.literal(true, { error: 'must be true: {"incidentId":"…","queued":true} asks for the queued delta' }),
});
export type QueuedInput = z.infer<typeof QueuedInput>;

/** One of our detections, as `responder detect` prints it. */
export const DetectionInput = z.strictObject({
  rule: DetectionRule,
  incident: Incident.refine((incident) => incident.source === 'detection', {
    message: 'a detection incident has source "detection"',
    path: ['source'],
  }),
});
export type DetectionInput = z.infer<typeof DetectionInput>;

export const ExecutionInput = z.union([
  DetectionEnvelope,
  EventBridgeInput,
  FindingsInput,
  FindingInput,
  FindingReferenceInput,
  RerunInput,
  QueuedInput,
  DetectionInput,
]);
export type ExecutionInput = z.infer<typeof ExecutionInput>;

/** The execution input, recognized. Finding forms keep the raw input for `normalizeFinding`. */
export type ParsedExecutionInput =
  | { readonly form: 'event' | 'findings' | 'finding'; readonly raw: Record<string, unknown> }
  | ({ readonly form: 'finding-reference' } & FindingReferenceInput)
  | ({ readonly form: 'rerun' } & RerunInput)
  | ({ readonly form: 'queued' } & QueuedInput)
  | ({ readonly form: 'detection' } & DetectionInput);

type Form = ParsedExecutionInput['form'];

const MEMBERS: Record<Form, { schema: z.ZodType; label: string }> = {
  event: { schema: EventBridgeInput, label: 'an EventBridge event' },
  findings: { schema: FindingsInput, label: 'get-findings output' },
  finding: { schema: FindingInput, label: 'a GuardDuty finding' },
  'finding-reference': { schema: FindingReferenceInput, label: 'a finding reference {findingId, detectorId}' },
  rerun: { schema: RerunInput, label: 'a re-run {incidentId, rerun: true}' },
  queued: { schema: QueuedInput, label: 'a queued delta {incidentId, queued: true}' },
  detection: { schema: DetectionInput, label: 'a detection {rule, incident}' },
};
const ENVELOPE = { schema: DetectionEnvelope, label: `a detection event (source ${DETECTION_SOURCE})` };

const FINDING_KEYS = ['id', 'Id', 'type', 'Type', 'resource', 'Resource', 'service', 'Service'];

/** Which form the input means, from the keys that only that form has. */
function formOf(record: Record<string, unknown>): Form | undefined {
  if ('queued' in record) return 'queued';
  if ('rerun' in record || 'incidentId' in record) return 'rerun';
  if ('findingId' in record || 'detectorId' in record) return 'finding-reference';
  if ('rule' in record || 'incident' in record) return 'detection';
  if ('detail-type' in record || ('source' in record && 'detail' in record)) return 'event';
  if ('Findings' in record) return 'findings';
  if (FINDING_KEYS.some((key) => key in record)) return 'finding';
  return undefined;
}

/**
 * Recognizes and validates the execution input. Anything else fails with `InvalidExecutionInput`
 * naming the field and the form it was read as, and listing the accepted inputs.
 */
export function parseExecutionInput(input: unknown): ParsedExecutionInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidExecutionInput(
      '',
      `the execution input must be a JSON object, not ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input}; ${ACCEPTED_INPUTS}`,
    );
  }
  const record = input as Record<string, unknown>;
  const form = formOf(record);
  if (!form) {
    const keys = Object.keys(record).slice(0, 8);
    throw new InvalidExecutionInput(
      '',
      `unrecognized input${keys.length ? ` (keys: ${keys.join(', ')})` : ' (an empty object)'}; ${ACCEPTED_INPUTS}`,
    );
  }
  const envelope =
    form === 'event' && (record.source === DETECTION_SOURCE || record['detail-type'] === DETECTION_DETAIL_TYPE);
  const member = envelope ? ENVELOPE : MEMBERS[form];
  const parsed = member.schema.safeParse(record);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error);
    throw new InvalidExecutionInput(path, `${message} (read as ${member.label}); ${ACCEPTED_INPUTS}`);
  }
  if (envelope) return { form: 'detection', ...(parsed.data as DetectionEnvelope).detail };
  switch (form) {
    case 'event':
    case 'findings':
    case 'finding':
      return { form, raw: record };
    case 'finding-reference':
      return { form, ...(parsed.data as FindingReferenceInput) };
    case 'rerun':
      return { form, ...(parsed.data as RerunInput) };
    case 'queued':
      return { form, ...(parsed.data as QueuedInput) };
    case 'detection':
      return { form, ...(parsed.data as DetectionInput) };
  }
}

/** An InvalidFinding from `normalizeFinding`, as the execution's error: same path, same message, the accepted inputs. */
export function asExecutionInputError(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'InvalidFinding') return error;
  const path = (error as Error & { path?: string }).path ?? '';
  const detail = path && error.message.startsWith(`${path}: `) ? error.message.slice(path.length + 2) : error.message;
  return new InvalidExecutionInput(path, `${detail}; ${ACCEPTED_INPUTS}`);
}
