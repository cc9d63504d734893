import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../handlers/shared/errors.js';
import { readConfigFile } from '../../infra/config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'config-file-'));

function failure(path: string): ConfigError {
  try {
    readConfigFile(path);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the -c configFile=<path> file', () => {
  it('is read as JSON', () => {
    const path = join(dir, 'good.json');
    writeFileSync(path, '{"approvers":["U024BE7LH"]}');

    expect(readConfigFile(path)).toEqual({ approvers: ['U024BE7LH'] });
  });

  it.each([
    ['missing', () => join(dir, 'absent.json'), /absent\.json: no such file$/],
    ['a directory', () => dir, /: is a directory$/],
    [
      'not JSON',
      () => {
        const path = join(dir, 'bad.json');
        writeFileSync(path, '{"approvers": [');
        return path;
      },
      /bad\.json: not valid JSON \(/,
    ],
  ])('%s: one ConfigError line naming the file and the problem', (_, path, message) => {
    const error = failure(path());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message.split('\n')).toHaveLength(1);
  });
});
