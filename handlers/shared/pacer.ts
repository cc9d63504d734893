import type { Clock, Timer } from './ports.js';

/** How a pacer tells the time (milliseconds) and waits; tests pass fakes so nothing really waits. */
export interface PacerTiming {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

/**
 * Spaces calls with the same key at least `1000 / perSecond` ms apart; the first call does not
 * wait. The slot is claimed before waiting, so concurrent callers queue in order instead of
 * bursting together.
 */
export function rateLimiter(perSecond: number, timing: PacerTiming): (key?: string) => Promise<void> {
  const interval = 1000 / perSecond;
  const nextSlot = new Map<string, number>();
  return async (key = '') => {
    const now = timing.now();
    const slot = Math.max(now, nextSlot.get(key) ?? now);
    nextSlot.set(key, slot + interval);
    if (slot > now) await timing.sleep(slot - now);
  };
}

/** A task's pacer: its Clock tells the time and its Timer waits (simulated time locally, a fake in tests). */
export function taskPacer(ports: { clock: Clock; timer: Timer }, perSecond: number): (key?: string) => Promise<void> {
  const limit = rateLimiter(perSecond, {
    now: () => ports.clock.now().getTime(),
    sleep: (milliseconds) => ports.timer.sleep(milliseconds),
  });
  return (key?: string) => limit(key);
}
