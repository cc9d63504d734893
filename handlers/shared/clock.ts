import { randomBytes } from 'node:crypto';
import type { Clock, RandomSource } from './ports.js';

export const systemClock: Clock = { now: () => new Date() };

/** 192 bits from the system CSPRNG, URL-safe: nonces nobody can guess. */
export const systemRandom: RandomSource = { token: () => randomBytes(24).toString('base64url') };
