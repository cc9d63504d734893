import { readFileSync } from 'node:fs';
import { ConfigError } from '../handlers/shared/errors.js';

/**
 * Reads a `-c configFile=<path>` JSON file. A missing or unreadable file, or one that is not JSON,
 * is a `ConfigError` whose one-line message names the file and the problem.
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new ConfigError('configFile', `${path}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError('configFile', `${path}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}
