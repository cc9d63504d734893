import { randomBytes } from 'node:crypto';
import type { Clock, RandomSource, Timer } from './ports.js';

export const systemClock: Clock = { now: () => new Date() };

/** Really waits (in a Lambda function). */
export const systemTimer: Timer = {
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, Math.max(0, milliseconds))),
};

/** 192 bits from the system CSPRNG, URL-safe: nonces nobody can guess. */
export const systemRandom: RandomSource = { token: () => randomBytes(24).toString('base64url') };
