import type { Clock } from '../handlers/shared/ports.js';

/** Simulated time: starts where the scenario says and moves only when told, so runs are repeatable. */
export class SimClock implements Clock {
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
}

export { systemRandom } from '../handlers/shared/clock.js';
