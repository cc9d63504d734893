import aslValidator from 'asl-validator';
import type { Asl } from '../infra/asl.js';

/** Definitions (as JSON text) already found valid: validation compiles JSON schemas (~250 ms of CPU). */
const valid = new Set<string>();

/**
 * Validates a definition as the deployment would (ARNs and paths checked); an invalid one is a bug,
 * reported whole. The same definition is validated once per process: a simulation runs one
 * execution per event, and a test file many simulations, all of the same definition.
 */
export function validateAsl(asl: Asl): void {
  const text = JSON.stringify(asl);
  if (valid.has(text)) return;
  const { isValid, errorsText } = aslValidator(asl, { checkArn: true, checkPaths: true });
  if (!isValid) throw new Error(`the state machine definition is invalid:\n${errorsText('\n')}`);
  valid.add(text);
}
