import { InvalidFinding } from '../../handlers/shared/errors.js';
import { normalizeFindings } from '../../handlers/shared/schemas/normalize.js';
import { readText, UsageError } from '../io.js';

/**
 * `responder normalize <file>`: prints `{"status","reason"?,"incident"}` (contract §10), or an
 * array when the file holds `{"Findings":[…]}` with several findings. Invalid input throws
 * `InvalidFinding` with the field path.
 */
export function normalizeCommand(args: string[]): string {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) throw new UsageError('usage: responder normalize <finding-or-event.json>');
  const text = readText(file);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new InvalidFinding('(input)', `not valid JSON: ${(error as Error).message}`);
  }
  const results = normalizeFindings(input);
  const single = !(typeof input === 'object' && input !== null && 'Findings' in input) || results.length === 1;
  return JSON.stringify(single ? results[0] : results, null, 2);
}
