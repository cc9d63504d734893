import { AwsAccessDenied } from '../handlers/shared/errors.js';
import type {
  AccountScope,
  CloudTrailPort,
  DataEventsPort,
  Ec2Port,
  EvidencePort,
  GuardDutyPort,
  IamPort,
  MaciePort,
  S3Port,
} from '../handlers/shared/ports.js';
import { cloudTrailPort, dataEventsPort } from './account/cloudtrail.js';
import { ec2Port } from './account/ec2.js';
import { guardDutyPort } from './account/guardduty.js';
import { iamPort } from './account/iam.js';
import { maciePort } from './account/macie.js';
import { evidencePort, s3Port } from './account/s3.js';
import { type AccountState, Lag, type MacieJob, type UserState, type WriteCall } from './account/state.js';
import type { FaultInjector } from './faults.js';
import type { Scenario } from './scenario.js';

/** What AWS reports for an endpoint created without a policy: full access. */
const DEFAULT_ENDPOINT_POLICY =
  '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

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
 * through the fault injector first. The account owns the state; each service's port (account/)
 * reads and changes it.
 */
export class InMemoryAccount {
  readonly users = new Map<string, UserState>();
  readonly roles = new Map<string, { arn: string; path: string }>();
  readonly bucketPolicies = new Map<string, string | undefined>();
  readonly endpointPolicies = new Map<string, string | undefined>();
  readonly endpointServices = new Map<string, string>();
  readonly endpointRegions = new Map<string, string>();
  readonly roleInline = new Map<string, Map<string, string>>();
  readonly userInline = new Map<string, Map<string, string>>();
  readonly evidenceObjects = new Map<string, { body: string; contentType: string }>();
  readonly macieJobs: MacieJob[] = [];
  /** Every write call made, in order: what a reviewer checks to see that nothing else was touched. */
  readonly writes: WriteCall[] = [];

  readonly iam: IamPort;
  readonly ec2: Ec2Port;
  readonly s3: S3Port;
  readonly macie: MaciePort;
  readonly cloudtrail: CloudTrailPort;
  readonly dataEvents: DataEventsPort;
  readonly guardduty: GuardDutyPort;
  readonly evidence: EvidencePort;

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
        tags: user.tags,
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
      const region = endpoint.region ?? scenario.region;
      this.endpointRegions.set(endpoint.id, region);
      this.endpointServices.set(endpoint.id, endpoint.serviceName ?? `com.amazonaws.${region}.s3`);
    }

    const state: AccountState = {
      scenario,
      users: this.users,
      roles: this.roles,
      bucketPolicies: this.bucketPolicies,
      endpointPolicies: this.endpointPolicies,
      endpointServices: this.endpointServices,
      endpointRegions: this.endpointRegions,
      roleInline: this.roleInline,
      userInline: this.userInline,
      evidenceObjects: this.evidenceObjects,
      macieJobs: this.macieJobs,
      writes: this.writes,
      enter: (call, scope) => this.enter(call, scope),
      fault: (call) => this.faults.check(call),
      lag: new Lag((call) => this.faults.stale(call)),
    };
    this.iam = iamPort(state);
    this.ec2 = ec2Port(state);
    this.s3 = s3Port(state);
    this.macie = maciePort(state);
    this.cloudtrail = cloudTrailPort(state);
    this.dataEvents = dataEventsPort(state);
    this.guardduty = guardDutyPort(state);
    this.evidence = evidencePort(state);
  }

  /** Checks the target account and any injected fault, as a real call would fail first. */
  private enter(call: string, scope: AccountScope): void {
    if (scope.accountId !== this.scenario.account) {
      throw new AwsAccessDenied(`${call} failed: cannot act in account ${scope.accountId} (no member role there)`);
    }
    this.faults.check(call);
  }

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
