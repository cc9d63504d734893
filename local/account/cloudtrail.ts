import type { CloudTrailPort, DataEventsPort } from '../../handlers/shared/ports.js';
import { summarizeDataEvents } from '../../handlers/shared/queries/data-events-summary.js';
import type { CloudTrailRecord } from '../../handlers/shared/schemas/cloudtrail.js';
import type { AccountState } from './state.js';

const PAGE_SIZE = 50;

/**
 * The user name CloudTrail records for an event (what LookupEvents' `Username` attribute matches):
 * an IAM user's name, a federated user's name, and for an assumed role the SESSION name (the last
 * part of `assumed-role/<role>/<session>`), not the role name.
 */
function cloudTrailUsername(identity: CloudTrailRecord['userIdentity']): string | undefined {
  switch (identity?.type) {
    case 'IAMUser':
      return identity.userName;
    case 'AssumedRole':
    case 'FederatedUser':
      return identity.arn?.split('/').at(-1) ?? identity.principalId?.split(':').at(-1);
    default:
      return undefined;
  }
}

/**
 * CloudTrail LookupEvents over the scenario's management events, newest first, in pages of 50.
 * As in AWS, each Region's event history holds only the events recorded there (a record's
 * `awsRegion`; IAM and STS global-endpoint events are in us-east-1): a lookup sees the Region it
 * asks, the scenario's Region when it names none.
 */
export function cloudTrailPort(state: AccountState): CloudTrailPort {
  return {
    lookupEvents: async (args) => {
      state.enter('cloudtrail:LookupEvents', args);
      const start = Date.parse(args.startTime);
      const end = Date.parse(args.endTime);
      const { key, value } = args.attribute;
      const region = args.region ?? state.scenario.region;
      const matching = state.scenario.cloudtrail.managementEvents
        .filter((record) => {
          if ((record.awsRegion ?? state.scenario.region) !== region) return false;
          const at = Date.parse(record.eventTime);
          if (at < start || at > end) return false;
          const identity = record.userIdentity;
          if (key === 'AccessKeyId') return identity?.accessKeyId === value;
          if (key === 'Username') return cloudTrailUsername(identity) === value;
          if (key === 'EventName') return record.eventName === value;
          return (record.resources ?? []).some((resource) => resource.ARN?.includes(value));
        })
        .sort((a, b) => b.eventTime.localeCompare(a.eventTime));
      const offset = args.nextToken ? Number(args.nextToken) : 0;
      const records = matching.slice(offset, offset + PAGE_SIZE);
      const next = offset + PAGE_SIZE < matching.length ? String(offset + PAGE_SIZE) : undefined;
      return { records, nextToken: next };
    },
  };
}

/** The Athena query over CloudTrail data events, answered from the scenario's data events. */
export function dataEventsPort(state: AccountState): DataEventsPort {
  return {
    summarize: async (args) => {
      state.enter('athena:StartQueryExecution', args);
      return summarizeDataEvents(state.scenario.cloudtrail.dataEvents, args.query);
    },
  };
}
