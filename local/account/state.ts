import type { AccessKeyInfo, AccountScope, LoginProfileInfo } from '../../handlers/shared/ports.js';
import type { Scenario } from '../scenario.js';

/** An access key as the account holds it: what ListAccessKeys reports, and its last use. */
export type AccessKeyState = { -readonly [K in keyof AccessKeyInfo]: AccessKeyInfo[K] } & {
  lastUsedDate?: string;
  lastUsedService?: string;
};

export interface UserState {
  arn: string;
  createDate?: string;
  mfaDevices?: number;
  loginProfile?: LoginProfileInfo;
  tags?: Record<string, string>;
  keys: AccessKeyState[];
}

export interface MacieJob {
  jobId: string;
  name: string;
  clientToken: string;
  buckets: string[];
  jobType: 'ONE_TIME';
}

/** One write call, as `InMemoryAccount.writes` records it. */
export interface WriteCall {
  call: string;
  target: string;
}

/**
 * What the ports of `InMemoryAccount` share: the scenario, the account's mutable state (the same
 * maps and arrays the account exposes) and the checks every call passes first.
 */
export interface AccountState {
  readonly scenario: Scenario;
  readonly users: Map<string, UserState>;
  readonly roles: Map<string, { arn: string; path: string }>;
  readonly bucketPolicies: Map<string, string | undefined>;
  readonly endpointPolicies: Map<string, string | undefined>;
  readonly endpointServices: Map<string, string>;
  /** Each endpoint's Region: EC2 is regional, so it answers for an endpoint only in that Region. */
  readonly endpointRegions: Map<string, string>;
  readonly roleInline: Map<string, Map<string, string>>;
  readonly userInline: Map<string, Map<string, string>>;
  readonly evidenceObjects: Map<string, { body: string; contentType: string }>;
  readonly macieJobs: MacieJob[];
  readonly writes: WriteCall[];
  /** Checks the target account and any injected fault, as a real call would fail first. */
  enter(call: string, scope: AccountScope): void;
  /** Checks only an injected fault (a call that names no account). */
  fault(call: string): void;
  /**
   * Eventual consistency: `wrote` keeps what a target held before a write; `read` answers that
   * prior value while a `stale` fault for the read call is due, else forgets it and answers `now`.
   */
  readonly lag: Lag;
}

/** What a target held before its latest write, until a read has shown the write. */
export class Lag {
  private readonly prior = new Map<string, string | undefined>();

  constructor(private readonly stale: (call: string) => boolean) {}

  wrote(key: string, before: string | undefined): void {
    if (!this.prior.has(key)) this.prior.set(key, before);
  }

  read(call: string, key: string, now: string | undefined): string | undefined {
    if (!this.prior.has(key)) return now;
    if (this.stale(call)) return this.prior.get(key);
    this.prior.delete(key);
    return now;
  }
}
