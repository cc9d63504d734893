import { apiCallEvent } from '../../examples/src/detection-records.js';
import { random } from '../../examples/src/records.js';
import type { DetectionRule } from '../../handlers/detect/detection.js';
import { ATTACKER, anonymous, bulkAlarm, copy, dataEvent, HOME, jane, replication } from './detections.js';
import { guardDutyEvent, withField } from './fixtures.js';

const next = random(77);
const event = (record: Record<string, unknown>) => apiCallEvent(record, next);
const inPlace = { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME };
const attackerKey = `arn:aws:kms:us-east-1:${ATTACKER}:key/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f`;
const withParameters = (record: Record<string, unknown>, more: Record<string, unknown>) => ({
  ...record,
  requestParameters: { ...(record.requestParameters as Record<string, unknown>), ...more },
});

/**
 * Real-shaped events each detection rule must match, and near misses it must not: the home rules and
 * the regional forwarder's rules are both checked against these.
 */
export const DETECTION_SAMPLES: Record<DetectionRule, { match: [string, unknown][]; miss: [string, unknown][] }> = {
  'cross-account-copy': {
    match: [
      ['a CopyObject', event(copy())],
      ['an UploadPartCopy', event(copy({ eventName: 'UploadPartCopy', uploadId: 'abc', partNumber: 1 }))],
      ['a PutBucketReplication', event(replication(ATTACKER))],
    ],
    miss: [
      ['a refused CopyObject', event(copy({ errorCode: 'AccessDenied' }))],
      ['a GetObject', event(dataEvent({ identity: jane }))],
      ['a GuardDuty finding', { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} }],
      ['a CopyObject of another service name', { ...event(copy()), source: 'aws.s3control' }],
    ],
  },
  'external-kms-copy': {
    match: [
      ['an in-place copy with a key ARN', event(copy({ destination: inPlace, kmsKeyId: attackerKey }))],
      [
        'a PutObject with a key ARN',
        event(
          withParameters(dataEvent({ identity: jane, eventName: 'PutObject' }), {
            'x-amz-server-side-encryption-aws-kms-key-id': attackerKey,
          }),
        ),
      ],
    ],
    miss: [
      ['a copy without SSE-KMS', event(copy({ destination: inPlace }))],
      ['a copy naming a bare key id', event(copy({ destination: inPlace, kmsKeyId: '1234abcd-12ab-34cd-56ef' }))],
      ['a refused copy', event(copy({ destination: inPlace, kmsKeyId: attackerKey, errorCode: 'AccessDenied' }))],
      [
        'a GetObject of an SSE-KMS object',
        event(
          withParameters(dataEvent({ identity: jane }), { 'x-amz-server-side-encryption-aws-kms-key-id': attackerKey }),
        ),
      ],
    ],
  },
  'anonymous-rare-source': {
    match: [
      ['an anonymous GetObject', event(dataEvent({ identity: anonymous }))],
      ['an anonymous ListObjects', event(dataEvent({ identity: anonymous, eventName: 'ListObjects' }))],
      [
        'an ANONYMOUS_PRINCIPAL DeleteObject',
        event({
          ...dataEvent({ eventName: 'DeleteObject' }),
          userIdentity: { type: 'AWSAccount', principalId: 'ANONYMOUS_PRINCIPAL' },
        }),
      ],
    ],
    miss: [
      ['an authenticated GetObject', event(dataEvent({ identity: jane }))],
      ['an anonymous HeadObject', event(dataEvent({ identity: anonymous, eventName: 'HeadObject' }))],
      ['a refused anonymous GetObject', event({ ...dataEvent({ identity: anonymous }), errorCode: 'AccessDenied' })],
    ],
  },
  'bulk-download': {
    match: [['our alarm going to ALARM', bulkAlarm()]],
    miss: [
      ['our alarm returning to OK', bulkAlarm({ value: 'OK' })],
      ['another alarm', bulkAlarm({ alarmName: 'ServerCpuTooHigh' })],
    ],
  },
};

/** The seed finding as GuardDuty publishes it in another Region: `region` and `detail.region` both say so. */
export function findingFrom(region: string, type?: string): Record<string, unknown> {
  const event = withField(withField(guardDutyEvent(), 'region', region), 'detail.region', region);
  return type ? withField(event, 'detail.type', type) : event;
}

/**
 * Real-shaped GuardDuty findings the default finding rule (`Exfiltration:S3/`,
 * `AttackSequence:S3/CompromisedData`, `UnauthorizedAccess:S3/`) must match, and ones it must not.
 */
export const FINDING_SAMPLES: { match: [string, unknown][]; miss: [string, unknown][] } = {
  match: [
    ['an Exfiltration:S3 finding', guardDutyEvent()],
    ['the same finding published in eu-west-1', findingFrom('eu-west-1')],
    ['an UnauthorizedAccess:S3 finding', findingFrom('ap-southeast-2', 'UnauthorizedAccess:S3/TorIPCaller')],
    ['an S3 attack sequence', findingFrom('us-east-1', 'AttackSequence:S3/CompromisedData')],
  ],
  miss: [
    ['an IAM finding', findingFrom('eu-west-1', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom')],
    ['an S3 type not configured', findingFrom('eu-west-1', 'Policy:S3/BucketBlockPublicAccessDisabled')],
    ['an EKS attack sequence', findingFrom('eu-west-1', 'AttackSequence:EKS/CompromisedCluster')],
    ['a CloudTrail event', DETECTION_SAMPLES['cross-account-copy'].match[0]?.[1]],
  ],
};
