import { systemTimer } from '../clock.js';
import { parsePolicy, type Statement, sameJson } from './document.js';

/**
 * How a post-write check waits for an eventually consistent read (IAM, S3 bucket configuration):
 * a bounded backoff, with the waiting injected so tests and the local runtime wait no real time.
 */
export interface Settle {
  /** Waits between re-reads (a task's `Timer`). Default: really waits. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** The waits before each further re-read, in milliseconds. Default `SETTLE_BACKOFF_MS`. */
  readonly backoff?: readonly number[];
}

/** About 6 s in all: IAM and S3 usually show a change within a few seconds. */
export const SETTLE_BACKOFF_MS: readonly number[] = [200, 400, 800, 1600, 3200];

/**
 * What a re-read after our write shows: `visible` (our change is there), `stale` (exactly what was
 * there before we wrote: the write has not propagated yet) or `lost` (something else: another
 * writer's document replaced ours, a genuine lost update).
 */
export type Seen = 'visible' | 'stale' | 'lost';

/**
 * Re-reads until `look` answers `visible` or `lost`, waiting the backoff between `stale` answers;
 * still `stale` after the last wait is answered `stale` ("applied, not yet visible").
 */
export async function awaitVisible(look: () => Promise<Seen>, settle: Settle = {}): Promise<Seen> {
  const backoff = settle.backoff ?? SETTLE_BACKOFF_MS;
  const sleep = settle.sleep ?? systemTimer.sleep;
  for (let waited = 0; ; waited += 1) {
    const seen = await look();
    const wait = backoff[waited];
    if (seen !== 'stale' || wait === undefined) return seen;
    await sleep(wait);
  }
}

/**
 * Judges one re-read of a policy document we wrote: every statement of ours in it, exactly as we
 * wrote it, is `visible` (others may have appended since); the exact prior text is `stale`;
 * anything else (a third document, or one that no longer parses) is `lost`.
 */
export function judgePolicy(
  text: string | undefined,
  wrote: { readonly before: string | undefined; readonly statements: readonly Statement[] },
  label: string,
): Seen {
  if (text === wrote.before) return 'stale';
  let statements: Statement[];
  try {
    statements = parsePolicy(text, label)?.Statement ?? [];
  } catch {
    return 'lost';
  }
  const present = wrote.statements.every((ours) => statements.some((candidate) => sameJson(candidate, ours)));
  return present ? 'visible' : 'lost';
}

/** Re-reads a policy after our write until ours is visible, or it is clearly stale or lost. */
export function settleWrite(
  slot: { readonly label: string; read(): Promise<string | undefined> },
  wrote: { readonly before: string | undefined; readonly statements: readonly Statement[] },
  settle: Settle = {},
): Promise<Seen> {
  return awaitVisible(async () => judgePolicy(await slot.read(), wrote, slot.label), settle);
}
