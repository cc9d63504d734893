/** Seven days: a term not seen for this long is new again (seed 003's new-terms window). */
export const NEW_TERMS_WINDOW_MS = 7 * 24 * 3600 * 1000;

/**
 * Memory of the terms (for example `account#GetObject#203.0.113.9`) seen lately: the state of a
 * new-terms rule.
 */
export interface NewTermsStore {
  /**
   * Records that `key` was seen at `at`. True when it had not been seen in the window before `at`:
   * the first sighting fires. `claim` identifies the sighting (the record's event id): the same
   * claim seen again (a redelivery) is first again, so a retried delivery is not lost, while any
   * other sighting in the window is not. A burst of concurrent sightings yields exactly one true.
   */
  seen(key: string, at: Date, claim: string): Promise<boolean>;
}

interface Term {
  claim: string;
  seenAt: number;
}

/**
 * The new-terms store in memory, for `responder detect` and tests: the same rule as the DynamoDB
 * store (first when absent, stale, or the same claim; every sighting moves `seenAt` forward).
 */
export class InMemoryNewTermsStore implements NewTermsStore {
  private readonly terms = new Map<string, Term>();

  constructor(private readonly windowMs = NEW_TERMS_WINDOW_MS) {}

  async seen(key: string, at: Date, claim: string): Promise<boolean> {
    const time = at.getTime();
    const term = this.terms.get(key);
    if (!term || term.seenAt < time - this.windowMs || term.claim === claim) {
      this.terms.set(key, { claim, seenAt: time });
      return true;
    }
    if (term.seenAt < time) term.seenAt = time;
    return false;
  }
}
