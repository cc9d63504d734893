import { summarizeSensitivity } from '../handlers/assess-sensitivity/summarize.js';
import { summarizeDataEvents } from '../handlers/query-data-events/summarize.js';
import { AwsAccessDenied, AwsResourceNotFound, AwsServiceDisabled } from '../handlers/shared/errors.js';
import type {
  AccessKeyInfo,
  AccountScope,
  CloudTrailPort,
  DataEventsPort,
  EvidencePort,
  IamPort,
  MaciePort,
  S3Port,
} from '../handlers/shared/ports.js';
import type { FaultInjector } from './faults.js';
import type { Scenario } from './scenario.js';

const PAGE_SIZE = 50;

type Key = { -readonly [K in keyof AccessKeyInfo]: AccessKeyInfo[K] } & {
  lastUsedDate?: string;
  lastUsedService?: string;
};

/** The account state `simulate --json` prints (contract §10): every key, bucket, endpoint and role. */
export interface AccountSnapshot {
  accessKeys: Record<string, string>;
  bucketPolicies: Record<string, unknown>;
  vpcEndpointPolicies: Record<string, unknown>;
  roleInlinePolicies: Record<string, Record<string, unknown>>;
  userInlinePolicies: Record<string, Record<string, unknown>>;
  macieJobs: unknown[];
}

const asText = (policy: string | Record<string, unknown> | null | undefined) =>
  policy === null || policy === undefined ? undefined : typeof policy === 'string' ? policy : JSON.stringify(policy);

function asJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * An AWS account in memory, built from a scenario, behind the same ports as the AWS adapters.
 * Calls for any other account fail as AccessDenied (no member role there), and every call passes
 * through the fault injector first.
 */
export class InMemoryAccount {
  readonly users = new Map<string, { arn: string; createDate?: string; mfaDevices?: number; keys: Key[] }>();
  readonly roles = new Map<string, { arn: string; path: string }>();
  readonly bucketPolicies = new Map<string, string | undefined>();
  readonly endpointPolicies = new Map<string, string | undefined>();
  readonly roleInline = new Map<string, Map<string, string>>();
  readonly userInline = new Map<string, Map<string, string>>();
  readonly evidenceObjects = new Map<string, { body: string; contentType: string }>();
  readonly macieJobs: unknown[] = [];
  /** Every write call made, in order: what a reviewer checks to see that nothing else was touched. */
  readonly writes: { call: string; target: string }[] = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly faults: FaultInjector,
  ) {
    for (const user of scenario.iam.users) {
      this.users.set(user.userName, {
        arn: user.arn,
        createDate: user.createDate,
        mfaDevices: user.mfaDevices,
        keys: user.accessKeys.map((key) => ({ ...key, userName: user.userName })),
      });
      this.userInline.set(
        user.userName,
        new Map(Object.entries(user.inlinePolicies).map(([name, doc]) => [name, asText(doc) ?? '{}'])),
      );
    }
    for (const role of scenario.iam.roles) {
      const path = role.path ?? /:role(\/.*\/)[^/]+$/.exec(role.arn)?.[1] ?? '/';
      this.roles.set(role.roleName, { arn: role.arn, path });
      this.roleInline.set(
        role.roleName,
        new Map(Object.entries(role.inlinePolicies).map(([name, doc]) => [name, asText(doc) ?? '{}'])),
      );
    }
    for (const bucket of scenario.s3.buckets) this.bucketPolicies.set(bucket.name, asText(bucket.policy));
    for (const endpoint of scenario.vpcEndpoints) this.endpointPolicies.set(endpoint.id, asText(endpoint.policy));
  }

  /** Checks the target account and any injected fault, as a real call would fail first. */
  private enter(call: string, scope: AccountScope): void {
    if (scope.accountId !== this.scenario.account) {
      throw new AwsAccessDenied(`${call} failed: cannot act in account ${scope.accountId} (no member role there)`);
    }
    this.faults.check(call);
  }

  private user(userName: string) {
    const user = this.users.get(userName);
    if (!user) throw new AwsResourceNotFound(`iam: NoSuchEntity: The user with name ${userName} cannot be found.`);
    return user;
  }

  private bucket(bucket: string): void {
    if (!this.bucketPolicies.has(bucket)) throw new AwsResourceNotFound(`s3: NoSuchBucket: ${bucket}`);
  }

  readonly iam: IamPort = {
    getUser: async (args) => {
      this.enter('iam:GetUser', args);
      const user = this.users.get(args.userName);
      return (
        user && { userName: args.userName, arn: user.arn, createDate: user.createDate, mfaDevices: user.mfaDevices }
      );
    },
    getRole: async (args) => {
      this.enter('iam:GetRole', args);
      const role = this.roles.get(args.roleName);
      return role && { roleName: args.roleName, arn: role.arn, path: role.path };
    },
    listAccessKeys: async (args) => {
      this.enter('iam:ListAccessKeys', args);
      return this.user(args.userName).keys.map(({ accessKeyId, userName, status, createDate }) => ({
        accessKeyId,
        userName,
        status,
        createDate,
      }));
    },
    getAccessKeyLastUsed: async (args) => {
      this.enter('iam:GetAccessKeyLastUsed', args);
      for (const user of this.users.values()) {
        const key = user.keys.find((candidate) => candidate.accessKeyId === args.accessKeyId);
        if (key) return { lastUsedDate: key.lastUsedDate, serviceName: key.lastUsedService };
      }
      throw new AwsAccessDenied(
        `iam:GetAccessKeyLastUsed failed: AccessDenied: key ${args.accessKeyId} is not in this account`,
      );
    },
    updateAccessKey: async (args) => {
      this.enter('iam:UpdateAccessKey', args);
      const key = this.user(args.userName).keys.find((candidate) => candidate.accessKeyId === args.accessKeyId);
      if (!key) throw new AwsResourceNotFound(`iam:UpdateAccessKey failed: NoSuchEntity: ${args.accessKeyId}`);
      key.status = args.status;
      this.writes.push({ call: 'iam:UpdateAccessKey', target: args.accessKeyId });
    },
  };

  readonly s3: S3Port = {
    getBucketPolicy: async (args) => {
      this.enter('s3:GetBucketPolicy', args);
      this.bucket(args.bucket);
      return this.bucketPolicies.get(args.bucket);
    },
    putBucketPolicy: async (args) => {
      this.enter('s3:PutBucketPolicy', args);
      this.bucket(args.bucket);
      JSON.parse(args.policy);
      this.bucketPolicies.set(args.bucket, args.policy);
      this.writes.push({ call: 's3:PutBucketPolicy', target: args.bucket });
    },
    deleteBucketPolicy: async (args) => {
      this.enter('s3:DeleteBucketPolicy', args);
      this.bucket(args.bucket);
      this.bucketPolicies.set(args.bucket, undefined);
      this.writes.push({ call: 's3:DeleteBucketPolicy', target: args.bucket });
    },
  };

  readonly macie: MaciePort = {
    bucketSensitivity: async (args) => {
      this.enter('macie2:DescribeBuckets', args);
      if (!this.scenario.macie.enabled) {
        throw new AwsServiceDisabled('macie2:DescribeBuckets failed: Macie is not enabled in this account');
      }
      this.enter('macie2:ListFindings', args);
      return args.buckets.map((name) => {
        const meta = this.scenario.s3.buckets.find((bucket) => bucket.name === name)?.macie;
        return summarizeSensitivity(name, meta, this.scenario.macie.findings);
      });
    },
  };

  readonly cloudtrail: CloudTrailPort = {
    lookupEvents: async (args) => {
      this.enter('cloudtrail:LookupEvents', args);
      const start = Date.parse(args.startTime);
      const end = Date.parse(args.endTime);
      const { key, value } = args.attribute;
      const matching = this.scenario.cloudtrail.managementEvents
        .filter((record) => {
          const at = Date.parse(record.eventTime);
          if (at < start || at > end) return false;
          const identity = record.userIdentity;
          if (key === 'AccessKeyId') return identity?.accessKeyId === value;
          if (key === 'Username')
            return identity?.userName === value || identity?.sessionContext?.sessionIssuer?.userName === value;
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

  readonly dataEvents: DataEventsPort = {
    summarize: async (args) => {
      this.enter('athena:StartQueryExecution', args);
      return summarizeDataEvents(this.scenario.cloudtrail.dataEvents, args.query);
    },
  };

  readonly evidence: EvidencePort = {
    putObject: async (args) => {
      this.faults.check('s3:PutObject');
      this.evidenceObjects.set(args.key, { body: args.body, contentType: args.contentType });
      return { location: `s3://local-evidence/${args.key}` };
    },
  };

  snapshot(): AccountSnapshot {
    const mapOf = (source: Map<string, Map<string, string>>) =>
      Object.fromEntries(
        [...source.entries()].map(([name, policies]) => [
          name,
          Object.fromEntries([...policies.entries()].map(([policyName, text]) => [policyName, asJson(text)])),
        ]),
      );
    return {
      accessKeys: Object.fromEntries(
        [...this.users.values()].flatMap((user) => user.keys.map((key) => [key.accessKeyId, key.status])),
      ),
      bucketPolicies: Object.fromEntries(
        [...this.bucketPolicies.entries()].map(([name, text]) => [name, asJson(text)]),
      ),
      vpcEndpointPolicies: Object.fromEntries(
        [...this.endpointPolicies.entries()].map(([id, text]) => [id, asJson(text)]),
      ),
      roleInlinePolicies: mapOf(this.roleInline),
      userInlinePolicies: mapOf(this.userInline),
      macieJobs: [...this.macieJobs],
    };
  }
}
