import { task } from '../shared/define-task.js';
import type { CloudTrailPort } from '../shared/ports.js';
import type { CloudTrailRecord } from '../shared/schemas/cloudtrail.js';
import { IncidentTaskInput } from '../shared/schemas/task-input.js';

/** Management events that matter after a credential leak: new keys, policy and logging changes. */
export const NOTABLE_EVENTS = new Set([
  'CreateAccessKey',
  'UpdateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'CreateUser',
  'AttachUserPolicy',
  'PutUserPolicy',
  'AttachRolePolicy',
  'PutRolePolicy',
  'UpdateAssumeRolePolicy',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketAcl',
  'PutBucketReplication',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutBucketVersioning',
  'DeleteTrail',
  'StopLogging',
  'UpdateTrail',
  'PutEventSelectors',
  'DeleteDetector',
  'DisassociateFromMasterAccount',
]);

const LOOKBACK_HOURS = 72;
const MAX_PAGES = 10;

export interface ManagementEvent {
  readonly eventTime: string;
  readonly eventName: string;
  readonly sourceIp?: string;
  readonly errorCode?: string;
}

/**
 * CloudTrail LookupEvents for the finding's access key over [firstSeen − 72 h, now], paginated and
 * bounded (LookupEvents returns management events only, 50 a page).
 */
export const collectManagementEvents = task({
  name: 'collectManagementEvents',
  input: IncidentTaskInput,
  async run({ incident }, ports: { cloudtrail: CloudTrailPort }) {
    const startTime = new Date(Date.parse(incident.firstSeen) - LOOKBACK_HOURS * 3600_000).toISOString();
    const endTime = new Date(Math.max(Date.parse(incident.lastSeen), Date.parse(incident.firstSeen))).toISOString();
    const attribute = incident.principal.accessKeyId
      ? { key: 'AccessKeyId' as const, value: incident.principal.accessKeyId }
      : incident.principal.userName
        ? { key: 'Username' as const, value: incident.principal.userName }
        : undefined;
    if (!attribute) {
      return { status: 'ok' as const, window: { startTime, endTime }, total: 0, truncated: false, notable: [] };
    }
    const records: CloudTrailRecord[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ports.cloudtrail.lookupEvents({
        accountId: incident.accountId,
        region: incident.region,
        attribute,
        startTime,
        endTime: new Date(Date.parse(endTime) + 24 * 3600_000).toISOString(),
        nextToken,
      });
      records.push(...page.records);
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken && pages < MAX_PAGES);
    const notable: ManagementEvent[] = records
      .filter((record) => NOTABLE_EVENTS.has(record.eventName))
      .map((record) => ({
        eventTime: record.eventTime,
        eventName: record.eventName,
        sourceIp: record.sourceIPAddress,
        errorCode: record.errorCode,
      }))
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    return {
      status: 'ok' as const,
      window: { startTime, endTime },
      attribute: attribute.key,
      total: records.length,
      truncated: Boolean(nextToken),
      notable,
    };
  },
});
