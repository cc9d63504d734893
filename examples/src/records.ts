/**
 * Builders for real-shaped events: CloudTrail records as CloudTrail writes them (S3 data events
 * and management events) and GuardDuty findings as EventBridge delivers them. Used to generate
 * the bundled scenarios and by tests.
 */

export interface Identity {
  readonly type: 'IAMUser' | 'AssumedRole' | 'AWSAccount' | 'Root';
  readonly account: string;
  readonly principalId: string;
  readonly arn?: string;
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly roleArn?: string;
  readonly roleName?: string;
  readonly sessionCreated?: string;
}

/** A deterministic pseudo-random sequence (mulberry32), so generated scenarios are reproducible. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(next() * 16).toString(16);
  return out;
}

export function uuid(next: () => number): string {
  const h = hex(next, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function userIdentity(identity: Identity): Record<string, unknown> {
  if (identity.type === 'AWSAccount') {
    return { type: 'AWSAccount', principalId: 'anonymous', accountId: 'anonymous' };
  }
  const base: Record<string, unknown> = {
    type: identity.type,
    principalId: identity.principalId,
    arn: identity.arn,
    accountId: identity.account,
    accessKeyId: identity.accessKeyId,
  };
  if (identity.type === 'IAMUser') base.userName = identity.userName;
  if (identity.type === 'AssumedRole') {
    base.sessionContext = {
      sessionIssuer: {
        type: 'Role',
        principalId: identity.principalId.split(':')[0],
        arn: identity.roleArn,
        accountId: identity.account,
        userName: identity.roleName,
      },
      attributes: { creationDate: identity.sessionCreated, mfaAuthenticated: 'false' },
      ec2RoleDelivery: '2.0',
    };
  }
  return base;
}

export interface DataEventSpec {
  readonly identity: Identity;
  readonly eventName: string;
  readonly eventTime: string;
  readonly bucket: string;
  readonly key?: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly region: string;
  readonly bytesOut?: number;
  readonly errorCode?: string;
}

/** An S3 data event as CloudTrail delivers it (eventCategory Data, managementEvent false). */
export function s3DataEvent(spec: DataEventSpec, next: () => number): Record<string, unknown> {
  const host = `${spec.bucket}.s3.${spec.region}.amazonaws.com`;
  const resources: Record<string, unknown>[] = [];
  if (spec.key) resources.push({ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.bucket}/${spec.key}` });
  resources.push({ accountId: spec.identity.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${spec.bucket}` });
  const record: Record<string, unknown> = {
    eventVersion: '1.10',
    userIdentity: userIdentity(spec.identity),
    eventTime: spec.eventTime,
    eventSource: 's3.amazonaws.com',
    eventName: spec.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: spec.userAgent,
    requestParameters: spec.key
      ? { bucketName: spec.bucket, Host: host, key: spec.key }
      : { 'list-type': '2', bucketName: spec.bucket, Host: host, prefix: '' },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': Buffer.from(hex(next, 48)).toString('base64').slice(0, 76),
      bytesTransferredOut: spec.errorCode ? 243 : (spec.bytesOut ?? 0),
    },
    requestID: hex(next, 16).toUpperCase(),
    eventID: uuid(next),
    readOnly:
      spec.eventName.startsWith('Get') || spec.eventName.startsWith('List') || spec.eventName.startsWith('Head'),
    resources,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: spec.identity.account,
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
  if (spec.errorCode) {
    record.errorCode = spec.errorCode;
    record.errorMessage = 'Access Denied';
  }
  return record;
}

/** A management event as CloudTrail records it (what LookupEvents returns in CloudTrailEvent). */
export function managementEvent(
  spec: {
    identity: Identity;
    eventName: string;
    eventSource: string;
    eventTime: string;
    sourceIp: string;
    userAgent: string;
    region: string;
    requestParameters: Record<string, unknown> | null;
    responseElements?: Record<string, unknown> | null;
    readOnly?: boolean;
  },
  next: () => number,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(spec.identity),
    eventTime: spec.eventTime,
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: spec.userAgent,
    requestParameters: spec.requestParameters,
    responseElements: spec.responseElements ?? null,
    requestID: uuid(next),
    eventID: uuid(next),
    readOnly: spec.readOnly ?? false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.identity.account,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${spec.eventSource.split('.')[0]}.amazonaws.com`,
    },
  };
}

export interface FindingSpec {
  readonly id: string;
  readonly type: string;
  readonly account: string;
  readonly region: string;
  readonly detectorId: string;
  readonly severity: number;
  readonly title: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly accessKey: { accessKeyId: string; principalId: string; userName: string; userType: string };
  readonly buckets: readonly { name: string; kmsKeyArn?: string; tags?: Record<string, string>; createdAt: number }[];
  readonly api: string;
  readonly remoteIp: {
    ip: string;
    country: string;
    city: string;
    asn: string;
    asnOrg: string;
    isp: string;
    lat: number;
    lon: number;
  };
  readonly eventId: string;
  readonly sample?: boolean;
}

/** A GuardDuty S3 finding as EventBridge delivers it (`detail` camelCase, `s3BucketDetails` an array). */
export function guardDutyEvent(spec: FindingSpec): Record<string, unknown> {
  return {
    version: '0',
    id: spec.eventId,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: spec.account,
    time: spec.updatedAt.replace(/\.\d+Z$/, 'Z'),
    region: spec.region,
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: spec.account,
      region: spec.region,
      partition: 'aws',
      id: spec.id,
      arn: `arn:aws:guardduty:${spec.region}:${spec.account}:detector/${spec.detectorId}/finding/${spec.id}`,
      type: spec.type,
      resource: {
        resourceType: 'S3Bucket',
        accessKeyDetails: spec.accessKey,
        s3BucketDetails: spec.buckets.map((bucket) => ({
          owner: { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' },
          name: bucket.name,
          defaultServerSideEncryption: bucket.kmsKeyArn
            ? { encryptionType: 'aws:kms', kmsMasterKeyArn: bucket.kmsKeyArn }
            : { encryptionType: 'AES256' },
          createdAt: bucket.createdAt,
          type: 'Destination',
          arn: `arn:aws:s3:::${bucket.name}`,
          publicAccess: {
            permissionConfiguration: {
              bucketLevelPermissions: {
                accessControlList: { allowsPublicReadAccess: false, allowsPublicWriteAccess: false },
                bucketPolicy: { allowsPublicReadAccess: false, allowsPublicWriteAccess: false },
                blockPublicAccess: {
                  ignorePublicAcls: true,
                  restrictPublicBuckets: true,
                  blockPublicAcls: true,
                  blockPublicPolicy: true,
                },
              },
              accountLevelPermissions: {
                blockPublicAccess: {
                  ignorePublicAcls: true,
                  restrictPublicBuckets: true,
                  blockPublicAcls: true,
                  blockPublicPolicy: true,
                },
              },
            },
            effectivePermission: 'NOT_PUBLIC',
          },
          tags: Object.entries(bucket.tags ?? {}).map(([key, value]) => ({ key, value })),
        })),
      },
      service: {
        serviceName: 'guardduty',
        detectorId: spec.detectorId,
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: {
            api: spec.api,
            serviceName: 's3.amazonaws.com',
            callerType: 'Remote IP',
            remoteIpDetails: {
              ipAddressV4: spec.remoteIp.ip,
              organization: {
                asn: spec.remoteIp.asn,
                asnOrg: spec.remoteIp.asnOrg,
                isp: spec.remoteIp.isp,
                org: spec.remoteIp.isp,
              },
              country: { countryName: spec.remoteIp.country },
              city: { cityName: spec.remoteIp.city },
              geoLocation: { lat: spec.remoteIp.lat, lon: spec.remoteIp.lon },
            },
            affectedResources: { 'AWS::S3::Bucket': spec.buckets[0]?.name },
          },
        },
        resourceRole: 'TARGET',
        additionalInfo: spec.sample
          ? { value: '{"sample":true}', type: 'default' }
          : { value: '{"unusual":{"hoursOfDay":[2,3,4]},"unusualBehavior":"bytes transferred"}', type: 'default' },
        evidence: null,
        eventFirstSeen: spec.firstSeen,
        eventLastSeen: spec.lastSeen,
        archived: false,
        count: spec.count,
      },
      severity: spec.severity,
      createdAt: spec.createdAt,
      updatedAt: spec.updatedAt,
      title: spec.title,
      description: spec.description,
    },
  };
}
