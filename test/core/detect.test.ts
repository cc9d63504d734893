import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCallEvent } from '../../examples/src/detection-records.js';
import { random } from '../../examples/src/records.js';
import { anonymousRareSource } from '../../handlers/detect/anonymous-rare-source.js';
import { type AlarmStateChange, bulkDownload } from '../../handlers/detect/bulk-download.js';
import { copySourceBucket, crossAccountCopy } from '../../handlers/detect/cross-account-copy.js';
import type { DetectConfig } from '../../handlers/detect/detection.js';
import { detect } from '../../handlers/detect/dispatch.js';
import { externalKmsCopy, KMS_KEY_PARAMETER, kmsKeyAccount } from '../../handlers/detect/external-kms-copy.js';
import { principalFromIdentity } from '../../handlers/detect/identity.js';
import { InMemoryNewTermsStore, type NewTermsStore } from '../../handlers/detect/new-terms.js';
import { DynamoNewTermsStore } from '../../handlers/detect/new-terms-dynamodb.js';
import { executionName, handleDetectionEvent, type PlaybookStarter } from '../../handlers/detect/start.js';
import { InvalidFinding } from '../../handlers/shared/errors.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import {
  DETECTION_DETAIL_TYPE,
  DETECTION_SOURCE,
  DetectionEnvelope,
} from '../../handlers/shared/schemas/detection-envelope.js';
import { startDynalite } from '../../local/dynalite.js';
import {
  ATTACKER,
  anonymous,
  bulkAlarm,
  copy,
  createNewTermsTable,
  dataEvent,
  etl,
  HOME,
  jane,
  PARTNER,
  replication,
} from '../support/detections.js';
import { failure } from '../support/errors.js';

const config: DetectConfig = { trustedAccounts: [PARTNER] };
const ATTACKER_KEY = `arn:aws:kms:us-east-1:${ATTACKER}:key/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f`;
const HOME_KEY = `arn:aws:kms:us-east-1:${HOME}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const day = (n: number, hour = 2) => new Date(Date.UTC(2026, 2, 1 + n, hour)).toISOString();
const memory = () => ({ newTerms: new InMemoryNewTermsStore() });

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.stop());

async function dynamoStore(): Promise<NewTermsStore> {
  tables += 1;
  const name = `new-terms-${tables}`;
  await createNewTermsTable(dynamo, name);
  return new DynamoNewTermsStore(DynamoDBDocumentClient.from(dynamo.client), name);
}

describe('cross-account copy (T1537)', () => {
  it('reports a CopyObject into another account as a normalized incident', () => {
    const record = copy();

    const detection = crossAccountCopy(record, config);

    expect(detection).toEqual({
      rule: 'cross-account-copy',
      incident: {
        source: 'detection',
        findingId: `cross-account-copy:${record.eventID}`,
        findingType: 'S3ExfilResponder:S3/CrossAccountCopy',
        severity: 8,
        accountId: HOME,
        region: 'us-east-1',
        principal: {
          type: 'IAMUser',
          arn: jane.arn,
          userName: 'developer-jane',
          accessKeyId: 'AKIA3EXAMPLEJNE7WXYZ',
          principalId: 'AIDA3EXAMPLEJANE0001',
        },
        buckets: ['customer-records'],
        sourceIps: ['198.51.100.23'],
        firstSeen: '2026-03-04T02:10:00.000Z',
        lastSeen: '2026-03-04T02:10:00.000Z',
        count: 1,
        title: expect.stringMatching(/^T1537 .*exfil-drop-4444 in untrusted account 444455556666$/),
        partition: 'aws',
      },
    });
  });

  it('gives the same finding id to a redelivered record and to every part of one multipart copy', () => {
    const record = copy();
    const parts = [1, 2, 3].map((partNumber) =>
      copy({ eventName: 'UploadPartCopy', uploadId: 'VXBsb2FkIElEIGZvciBlbHZpbmc', partNumber }),
    );

    const ids = parts.map((part) => crossAccountCopy(part, config)?.incident.findingId);

    expect(crossAccountCopy(structuredClone(record), config)?.incident.findingId).toBe(
      crossAccountCopy(record, config)?.incident.findingId,
    );
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^cross-account-copy:[0-9a-f]{40}$/);
  });

  it('reports a replication rule to another account, from Destination.Account', () => {
    const detection = crossAccountCopy(replication(ATTACKER), config);

    expect(detection?.incident).toMatchObject({ buckets: ['customer-records'], severity: 8 });
    expect(detection?.incident.title).toContain('PutBucketReplication set customer-records to replicate to');
    expect(detection?.incident.title).toContain(ATTACKER);
  });

  it.each([
    ['a trusted account', copy({ destination: { bucket: 'partner-intake', key: 'a.csv', account: PARTNER } })],
    ['the same account', copy({ destination: { bucket: 'customer-archive', key: 'a.csv', account: HOME } })],
    ['a trusted replication destination', replication(PARTNER)],
    ['a same-account replication destination', replication(HOME)],
    [
      'an in-place copy',
      copy({ destination: { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME } }),
    ],
    ['a refused copy', copy({ errorCode: 'AccessDenied' })],
    [
      'a copy into our bucket from another account',
      copy({
        source: { bucket: 'vendor-feed', key: 'a', account: ATTACKER },
        destination: { bucket: 'customer-records', key: 'a', account: HOME },
      }),
    ],
  ])('does not fire for %s', (_label, record) => {
    expect(crossAccountCopy(record, config)).toBeUndefined();
  });

  it('fires at medium severity, and says so, when the record names no destination owner', () => {
    const record = copy({ destination: { bucket: 'exfil-drop-4444', key: 'a.csv' } });

    const detection = crossAccountCopy(record, config);

    expect(detection?.incident.severity).toBe(5);
    expect(detection?.incident.title).toContain('destination account unknown');
  });

  it('reports a replication rule without Destination.Account as unknown, not dropped', () => {
    expect(crossAccountCopy(replication(undefined), config)?.incident.title).toContain('destination account unknown');
  });

  it('neither crashes nor invents a destination when the record has no parameters or resources', () => {
    const record = { ...copy(), requestParameters: null, resources: undefined } as CloudTrailRecord;

    expect(crossAccountCopy(record, config)).toBeUndefined();
  });

  it('reads the source bucket from x-amz-copy-source in its encoded and versioned forms', () => {
    expect(copySourceBucket('customer-records/exports/a%20b.csv?versionId=3HL4kqtJ')).toBe('customer-records');
    expect(copySourceBucket('/customer-records%2Fexports%2Fa.csv')).toBe('customer-records');
    expect(copySourceBucket(undefined)).toBeUndefined();
  });
});

describe('copy encrypted with an external KMS key (ransomware)', () => {
  it('reports an in-place copy re-encrypted with another account’s key', () => {
    const record = copy({
      destination: { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME },
      kmsKeyId: ATTACKER_KEY,
    });

    const detection = externalKmsCopy(record, config);

    expect(detection?.rule).toBe('external-kms-copy');
    expect(detection?.incident).toMatchObject({
      findingId: `external-kms-copy:${record.eventID}`,
      findingType: 'S3ExfilResponder:S3/ExternalKmsCopy',
      severity: 7,
      accountId: HOME,
      buckets: ['customer-records'],
      principal: { type: 'IAMUser', userName: 'developer-jane' },
    });
    expect(detection?.incident.title).toContain(
      `T1486 Data Encrypted for Impact: CopyObject encrypted customer-records/`,
    );
    expect(detection?.incident.title).toContain(`external account ${ATTACKER}`);
  });

  it('reports a PutObject naming another account’s key', () => {
    const record = dataEvent({ identity: etl, eventName: 'PutObject' });
    record.requestParameters = {
      ...record.requestParameters,
      'x-amz-server-side-encryption-aws-kms-key-id': ATTACKER_KEY,
    };

    expect(externalKmsCopy(record, config)?.incident.principal).toMatchObject({
      type: 'AssumedRole',
      userName: 'etl-pipeline',
      sessionIssuer: etl.roleArn,
      sessionName: 'i-0f1e2d3c4b5a69788',
    });
  });

  it('never takes a writer the bucket’s default encryption chose the key for as the one who chose it', () => {
    // The caller named no key: S3 applied the bucket's default, which someone set to another account's key.
    const record = dataEvent({ identity: etl, eventName: 'PutObject' });
    record.responseElements = {
      'x-amz-server-side-encryption': 'aws:kms',
      [KMS_KEY_PARAMETER]: ATTACKER_KEY,
    };

    const incident = externalKmsCopy(record, config)?.incident;

    expect(incident?.findingType).toBe('S3ExfilResponder:S3/ExternalKmsCopy');
    expect(incident?.principal.type).toBe('Unknown');
    expect(incident?.sourceIps).toEqual([]);
    expect(incident?.title).toContain('default encryption');
    expect(incident?.title).toContain('assumed-role/etl-pipeline/i-0f1e2d3c4b5a69788');
  });

  it.each([
    ['an in-place copy with a local key', HOME_KEY],
    ['a bare key id (always local)', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['an alias name (always local)', 'alias/customer-records'],
    ['a trusted account’s key', `arn:aws:kms:us-east-1:${PARTNER}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`],
  ])('does not fire for %s', (_label, kmsKeyId) => {
    const record = copy({
      destination: { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME },
      kmsKeyId,
    });

    expect(externalKmsCopy(record, config)).toBeUndefined();
  });

  it('does not fire without a KMS key, or for a refused call', () => {
    expect(externalKmsCopy(copy(), config)).toBeUndefined();
    expect(externalKmsCopy(copy({ kmsKeyId: ATTACKER_KEY, errorCode: 'AccessDenied' }), config)).toBeUndefined();
  });

  it('cuts a long title on a character boundary, never inside a surrogate pair, and on one line', () => {
    // An object key is up to 1,024 bytes of UTF-8 the caller chooses; its title is cut at 1,024.
    const titles = Array.from({ length: 55 }, (_unused, index) => {
      const record = dataEvent({
        identity: etl,
        eventName: 'PutObject',
        key: `${'a'.repeat(930 + index)}😀\n😀😀😀😀😀😀😀😀😀`,
      });
      record.requestParameters = { ...record.requestParameters, [KMS_KEY_PARAMETER]: ATTACKER_KEY };
      return externalKmsCopy(record, config)?.incident.title ?? '';
    });

    for (const title of titles) {
      expect(title.length).toBeGreaterThan(1000);
      expect(title.length).toBeLessThanOrEqual(1024);
      // encodeURIComponent refuses a lone surrogate (URIError).
      expect(() => encodeURIComponent(title)).not.toThrow();
      expect(title).not.toContain('\n');
    }
  });

  it('reads the account of key and alias ARNs only', () => {
    expect(kmsKeyAccount(ATTACKER_KEY)).toBe(ATTACKER);
    expect(kmsKeyAccount(`arn:aws:kms:eu-west-1:${ATTACKER}:alias/locker`)).toBe(ATTACKER);
    expect(kmsKeyAccount('alias/aws/s3')).toBeUndefined();
    expect(kmsKeyAccount(undefined)).toBeUndefined();
  });
});

describe.each([
  ['the DynamoDB store (dynalite)', dynamoStore],
  ['the in-memory store', async () => new InMemoryNewTermsStore()],
])('anonymous access from a rare source, with %s', (_label, makeStore) => {
  it('fires the first time an address is seen, not again within 7 days, and again after', async () => {
    const newTerms = await makeStore();
    const fire = async (eventTime: string) =>
      (await anonymousRareSource(dataEvent({ eventTime }), newTerms))?.incident.findingType;

    expect(await fire(day(0))).toBe('S3ExfilResponder:S3/AnonymousRareSource');
    expect(await fire(day(3))).toBeUndefined();
    expect(await fire(day(11))).toBe('S3ExfilResponder:S3/AnonymousRareSource');
  });

  it('keeps an address seen every few days known (the window runs from the last sighting)', async () => {
    const newTerms = await makeStore();
    const fired = [];
    for (const n of [0, 5, 10, 15, 30])
      fired.push(Boolean(await anonymousRareSource(dataEvent({ eventTime: day(n) }), newTerms)));

    expect(fired).toEqual([true, false, false, false, true]);
  });

  it('treats each address and each call as its own term', async () => {
    const newTerms = await makeStore();
    const results = [];
    for (const record of [
      dataEvent({ ip: '203.0.113.50' }),
      dataEvent({ ip: '203.0.113.51' }),
      dataEvent({ ip: '203.0.113.50', eventName: 'ListObjects' }),
      dataEvent({ ip: '203.0.113.50', key: 'another.pdf' }),
    ]) {
      results.push(Boolean(await anonymousRareSource(record, newTerms)));
    }

    expect(results).toEqual([true, true, true, false]);
  });

  it('fires once for a burst of concurrent sightings, and again for a redelivered first record', async () => {
    const newTerms = await makeStore();
    const burst = Array.from({ length: 20 }, (_, index) =>
      dataEvent({ eventTime: `2026-03-01T02:00:${String(index).padStart(2, '0')}Z` }),
    );

    const results = await Promise.all(burst.map((record) => anonymousRareSource(record, newTerms)));
    const fired = results.filter(Boolean);
    const first = burst[results.findIndex(Boolean)] as CloudTrailRecord;

    expect(fired).toHaveLength(1);
    expect((await anonymousRareSource(structuredClone(first), newTerms))?.incident.findingId).toBe(
      fired[0]?.incident.findingId,
    );
  });

  it('reports the anonymous principal, the bucket and the address, at medium severity', async () => {
    const record = dataEvent();

    const detection = await anonymousRareSource(record, await makeStore());

    expect(detection?.incident).toMatchObject({
      findingId: `anonymous-rare-source:${record.eventID}`,
      severity: 5,
      principal: { type: 'Anonymous', principalId: 'ANONYMOUS_PRINCIPAL' },
      buckets: ['public-assets'],
      sourceIps: ['203.0.113.50'],
    });
    expect(detection?.incident.title).toMatch(/^T1530 Data from Cloud Storage: unauthenticated GetObject/);
  });

  it('ignores authenticated callers, refused calls and other calls', async () => {
    const newTerms = await makeStore();
    const refused = { ...dataEvent({ ip: '203.0.113.60' }), errorCode: 'AccessDenied' };

    expect(await anonymousRareSource(dataEvent({ identity: jane }), newTerms)).toBeUndefined();
    expect(await anonymousRareSource(refused, newTerms)).toBeUndefined();
    expect(await anonymousRareSource(dataEvent({ eventName: 'HeadObject' }), newTerms)).toBeUndefined();
  });
});

describe('bulk download', () => {
  it('turns the alarm going to ALARM into an incident whose principal enrichment resolves', () => {
    const detection = bulkDownload(bulkAlarm() as AlarmStateChange, config);

    expect(detection?.incident).toMatchObject({
      source: 'detection',
      findingType: 'S3ExfilResponder:S3/BulkDownload',
      severity: 6,
      accountId: HOME,
      principal: { type: 'Unknown' },
      buckets: [],
      sourceIps: [],
      firstSeen: '2026-03-04T02:05:12.431Z',
      lastSeen: '2026-03-04T03:05:12.431Z',
      count: 1532,
    });
    expect(detection?.incident.findingId).toBe(
      bulkDownload(bulkAlarm() as AlarmStateChange, config)?.incident.findingId,
    );
    expect(
      bulkDownload(bulkAlarm({ timestamp: '2026-03-04T05:05:12.431Z' }) as AlarmStateChange, config)?.incident
        .findingId,
    ).not.toBe(detection?.incident.findingId);
  });

  it('takes the bucket from an S3 request-metrics alarm’s BucketName dimension', () => {
    const alarm = bulkAlarm({
      alarmName: 'customer-records-bytes-downloaded',
      namespace: 'AWS/S3',
      metricName: 'BytesDownloaded',
      dimensions: { BucketName: 'customer-records', FilterId: 'EntireBucket' },
      datapoint: 52_000_000_000,
    });

    expect(bulkDownload(alarm as AlarmStateChange, config)?.incident).toMatchObject({
      buckets: ['customer-records'],
      count: 1,
    });
  });

  it('ignores a return to OK and alarms that are not about downloads', () => {
    const cpu = bulkAlarm({ alarmName: 'ServerCpuTooHigh', namespace: 'AWS/EC2', metricName: 'CPUUtilization' });

    expect(bulkDownload(bulkAlarm({ value: 'OK' }) as AlarmStateChange, config)).toBeUndefined();
    expect(bulkDownload(cpu as AlarmStateChange, config)).toBeUndefined();
  });
});

describe('detect (the dispatcher)', () => {
  const next = random(99);

  it('accepts a bare record, {"Records"}, an EventBridge event, an array and NDJSON alike', async () => {
    const record = copy();
    const inputs = [
      record,
      { Records: [record] },
      apiCallEvent(record, next),
      [record],
      `${JSON.stringify(dataEvent({ identity: jane }))}\n${JSON.stringify(record)}\n`,
    ];

    for (const input of inputs) {
      const detections = await detect(input, memory(), config);
      expect(detections.map((detection) => detection.incident.findingId)).toEqual([
        `cross-account-copy:${record.eventID}`,
      ]);
    }
  });

  it('keeps state across the records of one run and reports each finding once', async () => {
    const inPlace = { bucket: 'customer-records', key: 'exports/customers-0001.csv.gz', account: HOME };
    const records = [
      dataEvent(),
      dataEvent(),
      copy(),
      copy({ destination: inPlace, kmsKeyId: ATTACKER_KEY }),
      dataEvent({ ip: '203.0.113.77' }),
    ];

    const detections = await detect({ Records: records }, memory(), config);

    expect(detections.map((detection) => detection.rule)).toEqual([
      'anonymous-rare-source',
      'cross-account-copy',
      'external-kms-copy',
      'anonymous-rare-source',
    ]);
  });

  it('routes an alarm event to the bulk-download detector and ignores records of other services', async () => {
    const iam = { ...dataEvent({ identity: jane }), eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey' };

    expect((await detect(bulkAlarm(), memory(), config)).map((detection) => detection.rule)).toEqual(['bulk-download']);
    expect(await detect({ Records: [iam] }, memory(), config)).toEqual([]);
  });

  it.each([
    [
      'a record missing eventName',
      { Records: [copy(), { ...copy(), eventName: undefined }] },
      'Records[1].eventName: is required',
    ],
    [
      'a GuardDuty event',
      { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} },
      'detail-type: "GuardDuty Finding" is neither',
    ],
    ['an unrecognized object', { hello: 'world' }, 'unrecognized input'],
    ['text that is not JSON', '{"Records": [', '(input): not valid JSON'],
    ['an NDJSON file with a bad line', `${JSON.stringify(copy())}\n{oops\n`, '(line 2): not valid JSON'],
    [
      'a record without an account',
      { Records: [{ ...copy(), recipientAccountId: undefined, userIdentity: undefined }] },
      'Records[0].recipientAccountId: is required',
    ],
  ])('rejects %s with InvalidFinding naming the path', async (_label, input, message) => {
    const error = await failure(detect(input, memory(), config));

    expect(error).toBeInstanceOf(InvalidFinding);
    expect((error as Error).message).toContain(message);
  });
});

describe('principalFromIdentity', () => {
  const withIdentity = (userIdentity: Record<string, unknown>) =>
    ({ ...dataEvent(), userIdentity }) as CloudTrailRecord;

  it('maps the CloudTrail identity types onto the incident principal', () => {
    expect(principalFromIdentity(dataEvent({ identity: anonymous }))).toEqual({
      type: 'Anonymous',
      principalId: 'ANONYMOUS_PRINCIPAL',
    });
    expect(
      principalFromIdentity(
        withIdentity({ type: 'Root', principalId: HOME, arn: `arn:aws:iam::${HOME}:root`, accountId: HOME }),
      ),
    ).toMatchObject({ type: 'Root', arn: `arn:aws:iam::${HOME}:root` });
    expect(principalFromIdentity(withIdentity({ type: 'AWSService', invokedBy: 'backup.amazonaws.com' }))).toEqual({
      type: 'AWSService',
    });
    expect(
      principalFromIdentity(
        withIdentity({ type: 'AWSAccount', principalId: 'AIDAEXTERNAL0000001', accountId: ATTACKER }),
      ),
    ).toMatchObject({ type: 'Unknown', rawType: 'AWSAccount', principalId: 'AIDAEXTERNAL0000001' });
  });

  it('leaves out values that are not valid identifiers instead of failing', () => {
    expect(principalFromIdentity(withIdentity({ type: 'IAMUser', userName: 'bad name!', arn: 'not-an-arn' }))).toEqual({
      type: 'IAMUser',
      arn: undefined,
      userName: undefined,
      accessKeyId: undefined,
      principalId: undefined,
    });
  });
});

describe('handleDetectionEvent (the Lambda core)', () => {
  const arn = `arn:aws:states:us-east-1:${HOME}:stateMachine:S3Exfiltration`;

  it('starts the routed playbook once per finding with the detection envelope', async () => {
    const calls: { arn: string; name: string; input: unknown }[] = [];
    const names = new Set<string>();
    const starter: PlaybookStarter = {
      start: async (stateMachineArn, name, input) => {
        calls.push({ arn: stateMachineArn, name, input: JSON.parse(input) });
        if (names.has(name)) return 'already';
        names.add(name);
        return 'started';
      },
    };
    const record = copy();
    const event = apiCallEvent(record, random(5));

    const first = await handleDetectionEvent(
      event,
      { state: memory(), starter },
      { ...config, routes: { 'cross-account-copy': arn } },
    );
    const again = await handleDetectionEvent(
      event,
      { state: memory(), starter },
      { ...config, routes: { 'cross-account-copy': arn } },
    );
    const unrouted = await handleDetectionEvent(event, { state: memory(), starter }, { ...config, routes: {} });

    expect(first).toEqual({ detections: 1, started: 1, already: 0, unrouted: 0 });
    expect(again).toEqual({ detections: 1, started: 0, already: 1, unrouted: 0 });
    expect(unrouted).toEqual({ detections: 1, started: 0, already: 0, unrouted: 1 });
    expect(calls[0]?.name).toMatch(/^cross-account-copy-[0-9a-f]{40}$/);
    expect(calls[0]?.name.length).toBeLessThanOrEqual(80);
    expect(DetectionEnvelope.safeParse(calls[0]?.input).success).toBe(true);
    expect(calls[0]?.input).toEqual({
      source: DETECTION_SOURCE,
      'detail-type': DETECTION_DETAIL_TYPE,
      time: crossAccountCopy(record, config)?.incident.lastSeen,
      detail: { rule: 'cross-account-copy', incident: crossAccountCopy(record, config)?.incident },
    });
    const detection = crossAccountCopy(record, config);
    expect(detection && calls[0]?.name).toBe(detection && executionName(detection));
  });
});
