import fc from 'fast-check';
import {
  AccessKeyId,
  AccountId,
  BucketName,
  IamName,
  IpAddress,
  Region,
} from '../../handlers/shared/schemas/primitives.js';
import { guardDutyEvent, readJson } from '../support/fixtures.js';
import { hostileString, hostileValue, INJECTIONS, ONE_MB, UNICODE } from './support.js';

/**
 * Execution inputs for the corpus: GuardDuty events and findings with hostile fields, and the other
 * accepted forms with hostile values. `refusedInput` only yields inputs that must end in a named
 * error or `ignored`, so it can go through the whole flow with every plan approved.
 */

export const EVENT = guardDutyEvent();
export const API_FINDING = readJson<{ Findings: Record<string, unknown>[] }>(
  'test/fixtures/guardduty/get-findings-output.json',
).Findings[0] as Record<string, unknown>;

/** Paths of the seed event that the responder reads (each exists in the fixture). */
export const EVENT_PATHS = [
  'detail-type',
  'source',
  'time',
  'account',
  'detail',
  'detail.id',
  'detail.type',
  'detail.accountId',
  'detail.region',
  'detail.partition',
  'detail.severity',
  'detail.title',
  'detail.createdAt',
  'detail.updatedAt',
  'detail.resource',
  'detail.resource.accessKeyDetails',
  'detail.resource.accessKeyDetails.accessKeyId',
  'detail.resource.accessKeyDetails.principalId',
  'detail.resource.accessKeyDetails.userName',
  'detail.resource.accessKeyDetails.userType',
  'detail.resource.s3BucketDetails',
  'detail.resource.s3BucketDetails.0',
  'detail.resource.s3BucketDetails.0.name',
  'detail.service',
  'detail.service.count',
  'detail.service.archived',
  'detail.service.detectorId',
  'detail.service.eventFirstSeen',
  'detail.service.eventLastSeen',
  'detail.service.additionalInfo',
  'detail.service.action',
  'detail.service.action.awsApiCallAction.remoteIpDetails',
  'detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
  'detail.service.action.awsApiCallAction.remoteIpDetails.organization.asn',
  'detail.service.action.awsApiCallAction.remoteIpDetails.country.countryName',
  'detail.service.action.awsApiCallAction.affectedResources',
] as const;

/** One to three fields of the seed event replaced by hostile values or removed. */
export const mutatedEvent: fc.Arbitrary<unknown> = fc
  .array(fc.tuple(fc.constantFrom(...EVENT_PATHS), fc.option(hostileValue, { nil: undefined })), {
    minLength: 1,
    maxLength: 3,
  })
  .map((changes) => changes.reduce<unknown>((event, [path, value]) => setPath(event, path, value), EVENT));

/**
 * A copy of `value` with the field at a dotted path set (removed when undefined), copying only the
 * objects along the path (hostile values may be too deep for structuredClone); unchanged when an
 * earlier change removed a parent of the path.
 */
export function setPath(value: unknown, path: string, field: unknown): unknown {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  if (rest.length > 0) copy[head] = setPath(copy[head], rest.join('.'), field);
  else if (field === undefined) delete copy[head];
  else copy[head] = field;
  return copy;
}

/** The API (PascalCase) form with a hostile field, alone or inside `{"Findings":[…]}`. */
export const mutatedApiFinding: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom('Id', 'Type', 'AccountId', 'Region', 'Severity', 'Resource', 'Service', 'UpdatedAt'),
    hostileValue,
    fc.boolean(),
  )
  .map(([field, value, wrapped]) => {
    const finding = { ...API_FINDING, [field]: value };
    return wrapped ? { Findings: [finding] } : finding;
  });

/** The other accepted forms, each with hostile values in its fields. */
export const otherForms: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ findingId: hostileValue, detectorId: hostileValue }, { requiredKeys: [] }),
  fc.record({ incidentId: hostileValue, rerun: hostileValue }, { requiredKeys: [] }),
  fc.record({ rule: hostileValue, incident: hostileValue }, { requiredKeys: [] }),
  fc.record({ Findings: hostileValue }),
  fc.record({ 'detail-type': hostileString, source: hostileString, detail: hostileValue }, { requiredKeys: [] }),
  fc.record({
    source: fc.constant('s3-exfil-responder.detection'),
    'detail-type': fc.constant('S3 Exfil Responder Detection'),
    detail: hostileValue,
  }),
  fc.dictionary(hostileString, hostileValue, { maxKeys: 4 }),
);

/** Anything at all that JSON can carry, and the forms above. */
export const anyInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: mutatedEvent },
  { weight: 1, arbitrary: mutatedApiFinding },
  { weight: 2, arbitrary: otherForms },
  { weight: 1, arbitrary: hostileValue },
);

/** A string the schema refuses, drawn from hostile strings (unicode, injections, 1 MB, random). */
const refusedBy = (schema: { safeParse(value: unknown): { success: boolean } }) =>
  fc
    .oneof(hostileString, fc.constantFrom(...UNICODE, ...INJECTIONS))
    .filter((value) => !schema.safeParse(value).success);

/** A finding type of another service, or an S3 type outside the configured ones. */
const otherServiceType = fc
  .tuple(
    fc.constantFrom('Recon', 'Trojan', 'Backdoor', 'Impact', 'Execution', 'Discovery', 'Persistence', 'CryptoCurrency'),
    fc.constantFrom('EC2', 'IAMUser', 'Kubernetes', 'Lambda', 'RDS', 'Runtime', 'EKS', 'ECS', 'S3'),
    fc.stringMatching(/^[A-Za-z][A-Za-z.]{0,40}$/),
  )
  .map(([tactic, service, name]) => `${tactic}:${service}/${name}`)
  .filter((type) => !/^(Exfiltration:S3\/|UnauthorizedAccess:S3\/|AttackSequence:S3\/CompromisedData$)/.test(type));

export type Expected = 'InvalidExecutionInput' | 'ignored';

/** One change that must make the responder refuse the event (a named error) or ignore it. */
const to =
  (path: string, expected: Expected) =>
  (value: unknown): [string, unknown, Expected] => [path, value, expected];
const REFUSE = 'InvalidExecutionInput';

const refusal: fc.Arbitrary<[string, unknown, Expected]> = fc.oneof(
  refusedBy(BucketName).map(to('detail.resource.s3BucketDetails.0.name', REFUSE)),
  refusedBy(BucketName)
    .filter((v) => v !== '')
    .map((v) => ({ 'AWS::S3::Bucket': v }))
    .map(to('detail.service.action.awsApiCallAction.affectedResources', REFUSE)),
  refusedBy(IamName).map(to('detail.resource.accessKeyDetails.userName', REFUSE)),
  refusedBy(AccessKeyId).map(to('detail.resource.accessKeyDetails.accessKeyId', REFUSE)),
  refusedBy(IpAddress).map(to('detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4', REFUSE)),
  refusedBy(AccountId).map(to('detail.accountId', REFUSE)),
  refusedBy(Region).map(to('detail.region', REFUSE)),
  fc.oneof(hostileString, fc.constantFrom(-1, 10.5, 1e21)).map(to('detail.severity', REFUSE)),
  fc.constantFrom(ONE_MB, '', 'x y', "id'--").map(to('detail.id', REFUSE)),
  otherServiceType.map(to('detail.type', 'ignored')),
  fc.constant({ sample: true }).map(to('detail.service.additionalInfo', 'ignored')),
  fc.constant(true).map(to('detail.service.archived', 'ignored')),
);

/** Extra hostile content in fields the responder does not validate; it must not change the outcome. */
const noise = fc.constantFrom<[string, unknown]>(
  ['detail.description', ONE_MB],
  ['detail.title', '<!channel> *urgent* <https://evil.example|click>'],
  ['detail.resource.s3BucketDetails.0.type', '🪣'],
  ['detail.service.action.awsApiCallAction.remoteIpDetails.city', { cityName: "Am'sterdam; DROP" }],
  ['resources', Array.from({ length: 1000 }, (_, index) => `arn:aws:s3:::b${index}`)],
  ['detail.service.serviceName', 'x'.repeat(10_000)],
);

/** A GuardDuty event that must end in `InvalidExecutionInput` or `ignored`, with what it must end in. */
export const refusedInput: fc.Arbitrary<{ input: unknown; expected: Expected }> = fc
  .tuple(refusal, fc.option(noise, { nil: undefined }))
  .map(([[path, value, expected], extra]) => {
    const changed = setPath(EVENT, path, value);
    return { input: extra ? setPath(changed, extra[0], extra[1]) : changed, expected };
  });
