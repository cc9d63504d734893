import { summarizeSensitivity } from '../handlers/assess-sensitivity/summarize.js';
import { summarizeDataEvents } from '../handlers/query-data-events/summarize.js';
import {
  AwsAccessDenied,
  AwsResourceNotFound,
  AwsServiceDisabled,
  InvalidExecutionInput,
} from '../handlers/shared/errors.js';
import type {
  AccessKeyInfo,
  AccountScope,
  CloudTrailPort,
  DataEventsPort,
  Ec2Port,
  EvidencePort,
  GuardDutyPort,
  IamPort,
  InlinePolicyTarget,
  LoginProfileInfo,
  MaciePort,
  S3Port,
} from '../handlers/shared/ports.js';
import type { CloudTrailRecord } from '../handlers/shared/schemas/cloudtrail.js';
import type { FaultInjector } from './faults.js';
import type { Scenario } from './scenario.js';

const PAGE_SIZE = 50;
/** What AWS reports for an endpoint created without a policy: full access. */
const DEFAULT_ENDPOINT_POLICY =
  '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

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
 * An AWS account in memory, built from a scenario, behind the same ports as the AWS adapters.
 * Calls for any other account fail as AccessDenied (no member role there), and every call passes
 * through the fault injector first.
 */
export class InMemoryAccount {
  readonly users = new Map<
    string,
    { arn: string; createDate?: string; mfaDevices?: number; loginProfile?: LoginProfileInfo; keys: Key[] }
  >();
  readonly roles = new Map<string, { arn: string; path: string }>();
  readonly bucketPolicies = new Map<string, string | undefined>();
  readonly endpointPolicies = new Map<string, string | undefined>();
  readonly endpointServices = new Map<string, string>();
  readonly roleInline = new Map<string, Map<string, string>>();
  readonly userInline = new Map<string, Map<string, string>>();
  readonly evidenceObjects = new Map<string, { body: string; contentType: string }>();
  readonly macieJobs: { jobId: string; name: string; clientToken: string; buckets: string[]; jobType: 'ONE_TIME' }[] =
    [];
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
        loginProfile: user.loginProfile,
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
    for (const endpoint of scenario.vpcEndpoints) {
      this.endpointPolicies.set(endpoint.id, asText(endpoint.policy) ?? DEFAULT_ENDPOINT_POLICY);
      this.endpointServices.set(endpoint.id, endpoint.serviceName ?? `com.amazonaws.${scenario.region}.s3`);
    }
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

  /** A bucket's configuration reads: enters the call, then answers from the scenario's bucket. */
  private bucketConfig(call: string, args: AccountScope & { bucket: string }): Scenario['s3']['buckets'][number] {
    this.enter(call, args);
    this.bucket(args.bucket);
    const spec = this.scenario.s3.buckets.find((bucket) => bucket.name === args.bucket);
    if (!spec) throw new AwsResourceNotFound(`${call} failed: NoSuchBucket: ${args.bucket}`);
    return spec;
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
    listMfaDevices: async (args) => {
      this.enter('iam:ListMFADevices', args);
      const user = this.user(args.userName);
      const prefix = user.arn.replace(/:user\/.*$/, ':mfa/');
      return Array.from({ length: user.mfaDevices ?? 0 }, (_, index) => ({
        serialNumber: `${prefix}${args.userName}${index === 0 ? '' : `-${index + 1}`}`,
      }));
    },
    getLoginProfile: async (args) => {
      this.enter('iam:GetLoginProfile', args);
      const profile = this.user(args.userName).loginProfile;
      return profile && { ...profile };
    },
    updateAccessKey: async (args) => {
      this.enter('iam:UpdateAccessKey', args);
      const key = this.user(args.userName).keys.find((candidate) => candidate.accessKeyId === args.accessKeyId);
      if (!key) throw new AwsResourceNotFound(`iam:UpdateAccessKey failed: NoSuchEntity: ${args.accessKeyId}`);
      key.status = args.status;
      this.writes.push({ call: 'iam:UpdateAccessKey', target: args.accessKeyId });
    },
    getInlinePolicy: async (args) => {
      this.enter(args.kind === 'role' ? 'iam:GetRolePolicy' : 'iam:GetUserPolicy', args);
      return this.inline(args).get(args.policyName);
    },
    putInlinePolicy: async (args) => {
      const call = args.kind === 'role' ? 'iam:PutRolePolicy' : 'iam:PutUserPolicy';
      this.enter(call, args);
      JSON.parse(args.document);
      this.inline(args).set(args.policyName, args.document);
      this.writes.push({ call, target: `${args.name}/${args.policyName}` });
    },
    deleteInlinePolicy: async (args) => {
      const call = args.kind === 'role' ? 'iam:DeleteRolePolicy' : 'iam:DeleteUserPolicy';
      this.enter(call, args);
      this.inline(args).delete(args.policyName);
      this.writes.push({ call, target: `${args.name}/${args.policyName}` });
    },
  };

  private inline(target: InlinePolicyTarget): Map<string, string> {
    const policies = (target.kind === 'role' ? this.roleInline : this.userInline).get(target.name);
    if (!policies)
      throw new AwsResourceNotFound(`iam: NoSuchEntity: The ${target.kind} with name ${target.name} cannot be found.`);
    return policies;
  }

  readonly ec2: Ec2Port = {
    describeVpcEndpoint: async (args) => {
      this.enter('ec2:DescribeVpcEndpoints', args);
      if (!this.endpointPolicies.has(args.vpcEndpointId)) return undefined;
      return {
        vpcEndpointId: args.vpcEndpointId,
        serviceName: this.endpointServices.get(args.vpcEndpointId) ?? '',
        type: 'Gateway',
        policy: this.endpointPolicies.get(args.vpcEndpointId),
      };
    },
    modifyVpcEndpointPolicy: async (args) => {
      this.enter('ec2:ModifyVpcEndpoint', args);
      if (!this.endpointPolicies.has(args.vpcEndpointId)) {
        throw new AwsResourceNotFound(
          `ec2:ModifyVpcEndpoint failed: InvalidVpcEndpointId.NotFound: ${args.vpcEndpointId}`,
        );
      }
      JSON.parse(args.policy);
      this.endpointPolicies.set(args.vpcEndpointId, args.policy);
      this.writes.push({ call: 'ec2:ModifyVpcEndpoint', target: args.vpcEndpointId });
    },
  };

  private readonly policyReads = new Map<string, number>();

  /** Applies a scenario's concurrent edit when its bucket has been read often enough. */
  private thirdPartyEdit(bucket: string): void {
    const reads = (this.policyReads.get(bucket) ?? 0) + 1;
    this.policyReads.set(bucket, reads);
    for (const edit of this.scenario.concurrentEdits) {
      if (edit.bucket !== bucket || edit.afterReads !== reads) continue;
      const current = JSON.parse(this.bucketPolicies.get(bucket) ?? '{"Version":"2012-10-17","Statement":[]}') as {
        Statement: unknown[];
      };
      this.bucketPolicies.set(
        bucket,
        JSON.stringify({ ...current, Statement: [...current.Statement, edit.statement] }),
      );
    }
  }

  readonly s3: S3Port = {
    getBucketPolicy: async (args) => {
      this.enter('s3:GetBucketPolicy', args);
      this.bucket(args.bucket);
      const text = this.bucketPolicies.get(args.bucket);
      this.thirdPartyEdit(args.bucket);
      return text;
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
    getPublicAccessBlock: async (args) => {
      const block = this.bucketConfig('s3:GetPublicAccessBlock', args).publicAccessBlock;
      return block && { ...block };
    },
    getBucketVersioning: async (args) => {
      const versioning = this.bucketConfig('s3:GetBucketVersioning', args).versioning;
      if (!versioning) return { status: 'Disabled' };
      return { status: versioning.status, ...(versioning.mfaDelete && { mfaDelete: versioning.mfaDelete }) };
    },
    getBucketReplication: async (args) => {
      const replication = this.bucketConfig('s3:GetBucketReplication', args).replication;
      return (
        replication && {
          ...(replication.role !== undefined && { role: replication.role }),
          rules: replication.rules.map((rule) => ({ ...rule })),
        }
      );
    },
    getBucketEncryption: async (args) => {
      const encryption = this.bucketConfig('s3:GetBucketEncryption', args).encryption;
      return encryption && { ...encryption };
    },
    getBucketTagging: async (args) => ({ ...this.bucketConfig('s3:GetBucketTagging', args).tags }),
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
    createClassificationJob: async (args) => {
      this.enter('macie2:CreateClassificationJob', args);
      if (!this.scenario.macie.enabled) {
        throw new AwsServiceDisabled('macie2:CreateClassificationJob failed: Macie is not enabled in this account');
      }
      const unknown = args.buckets.filter((bucket) => !this.bucketPolicies.has(bucket));
      if (unknown.length > 0) {
        throw new AwsServiceDisabled(
          `macie2:CreateClassificationJob failed: Macie cannot see ${unknown.join(', ')} from this account`,
        );
      }
      const existing = this.macieJobs.find((job) => job.clientToken === args.clientToken);
      if (existing) return { jobId: existing.jobId };
      const jobId = `${(this.macieJobs.length + 1).toString(16).padStart(4, '0')}${args.clientToken.replace(/[^0-9a-f]/g, '').slice(0, 28)}`;
      this.macieJobs.push({
        jobId,
        name: args.name,
        clientToken: args.clientToken,
        buckets: [...args.buckets],
        jobType: 'ONE_TIME',
      });
      this.writes.push({ call: 'macie2:CreateClassificationJob', target: jobId });
      return { jobId };
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

  readonly dataEvents: DataEventsPort = {
    summarize: async (args) => {
      this.enter('athena:StartQueryExecution', args);
      return summarizeDataEvents(this.scenario.cloudtrail.dataEvents, args.query);
    },
  };

  /**
   * `GetFindings` answered from the scenario's `guardduty.findings` (API PascalCase or EventBridge
   * camelCase, returned as written). A detector other than the scenario's `detectorId` is refused
   * as GuardDuty refuses a detector the account does not own.
   */
  readonly guardduty: GuardDutyPort = {
    getFindings: async ({ detectorId, findingIds, ...scope }) => {
      this.enter('guardduty:GetFindings', scope);
      const owned = this.scenario.guardduty.detectorId;
      if (owned !== undefined && detectorId !== owned) {
        throw new InvalidExecutionInput(
          'detectorId',
          `guardduty:GetFindings refused the request in account ${scope.accountId}: BadRequestException: The request is rejected because the input detectorId is not owned by the current account.`,
        );
      }
      const wanted = new Set(findingIds);
      return this.scenario.guardduty.findings.filter((finding) => {
        const record = (typeof finding === 'object' && finding !== null ? finding : {}) as Record<string, unknown>;
        return wanted.has(String(record.Id ?? record.id));
      });
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
