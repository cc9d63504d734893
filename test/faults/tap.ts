import type * as AccountModule from '../../local/account.js';
import type { FaultInjector } from '../../local/faults.js';
import type { Scenario } from '../../local/scenario.js';

type Account = AccountModule.InMemoryAccount;

/** The documents and key states the containment may touch, as the account holds them (exact text). */
export interface PolicyState {
  readonly buckets: Record<string, string | undefined>;
  readonly endpoints: Record<string, string | undefined>;
  readonly roleInline: Record<string, Record<string, string>>;
  readonly userInline: Record<string, Record<string, string>>;
  readonly keys: Record<string, string>;
  readonly macieJobs: number;
}

const inline = (source: Map<string, Map<string, string>>) =>
  Object.fromEntries([...source].map(([name, policies]) => [name, Object.fromEntries(policies)]));

export function policyState(account: Account): PolicyState {
  return {
    buckets: Object.fromEntries(account.bucketPolicies),
    endpoints: Object.fromEntries(account.endpointPolicies),
    roleInline: inline(account.roleInline),
    userInline: inline(account.userInline),
    keys: Object.fromEntries(
      [...account.users.values()].flatMap((user) => user.keys.map((key) => [key.accessKeyId, key.status])),
    ),
    macieJobs: account.macieJobs.length,
  };
}

/**
 * What one `simulate` run's account did: every call it was asked to make, the faults that fired,
 * and its state before anything ran and when the injected fault cleared.
 */
export class Tap {
  readonly calls = new Set<string>();
  readonly fired: string[] = [];
  private account?: Account;
  private cleared = false;
  before?: PolicyState;
  afterFault?: PolicyState;

  /** From now on no fault fires (the outage is over); records the state the fault left. */
  clear(): void {
    this.cleared = true;
    this.afterFault = this.account && policyState(this.account);
  }

  /** The account's state now. */
  now(): PolicyState {
    if (!this.account) throw new Error('the tapped scenario was never run');
    return policyState(this.account);
  }

  attach(account: Account): void {
    this.account = account;
    this.before = policyState(account);
  }

  /** A stale read (eventual consistency) fires like a fault, until the tap is cleared. */
  stale(call: string, stale: (call: string) => boolean): boolean {
    if (this.cleared || !stale(call)) return false;
    this.fired.push(call);
    return true;
  }

  /**
   * Runs `edit` on the account just before each call is made (fault or not): someone else's write
   * interleaved with ours, such as an administrator's console change between our write and our re-read.
   */
  interleave(edit: (call: string, account: Account) => void): void {
    this.edits.push(edit);
  }

  private readonly edits: ((call: string, account: Account) => void)[] = [];

  check(call: string, check: (call: string) => void): void {
    if (this.account) for (const edit of this.edits) edit(call, this.account);
    this.calls.add(call);
    if (this.cleared) return;
    try {
      check(call);
    } catch (error) {
      this.fired.push(call);
      throw error;
    }
  }
}

const taps = new WeakMap<Scenario, Tap>();

/** A tap on the account `simulate` builds from exactly this scenario object. */
export function tapFor(scenario: Scenario): Tap {
  const tap = new Tap();
  taps.set(scenario, tap);
  return tap;
}

/**
 * `local/account.js` with an `InMemoryAccount` that reports to the tap registered for its scenario
 * (untapped scenarios behave as before). Install in a test file with
 * `vi.mock('../../local/account.js', async (original) => (await import('./tap.js')).tapAccounts(await original()))`.
 */
export function tapAccounts(original: typeof AccountModule): typeof AccountModule {
  class TappedAccount extends original.InMemoryAccount {
    constructor(scenario: Scenario, faults: FaultInjector) {
      const tap = taps.get(scenario);
      if (tap) {
        const check = faults.check.bind(faults);
        faults.check = (call: string) => tap.check(call, check);
        const stale = faults.stale.bind(faults);
        faults.stale = (call: string) => tap.stale(call, stale);
      }
      super(scenario, faults);
      tap?.attach(this);
    }
  }
  return { ...original, InMemoryAccount: TappedAccount };
}
