import type { Clock, Timer } from '../handlers/shared/ports.js';

/**
 * Simulated time: starts where the scenario says and moves only when told, so runs are repeatable.
 * As a Timer, a wait moves simulated time forward and returns at once.
 */
export class SimClock implements Clock, Timer {
  private current: number;
  constructor(start: Date) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
  async sleep(milliseconds: number): Promise<void> {
    this.advance(Math.max(0, milliseconds));
  }
}

export { systemRandom } from '../handlers/shared/clock.js';
