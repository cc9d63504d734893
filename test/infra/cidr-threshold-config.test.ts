import { describe, expect, it } from 'vitest';
import { parseConfig, type ResponderConfigInput, toSettings } from '../../infra/config.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { BASE_CONFIG } from '../support/stack.js';

const parse = (cidrCollapseThreshold: unknown) =>
  parseConfig({ ...BASE_CONFIG, cidrCollapseThreshold } as ResponderConfigInput);

describe('cidrCollapseThreshold', () => {
  it('defaults to 8 and reaches the settings the tasks get', async () => {
    const [playbook] = await loadPlaybooks();
    const config = parseConfig(BASE_CONFIG);

    const settings = toSettings(parse(3), playbook as NonNullable<typeof playbook>, { responderRoleArns: [] });

    expect(config.cidrCollapseThreshold).toBe(8);
    expect(settings.cidrCollapseThreshold).toBe(3);
  });

  it.each([
    [0, /cidrCollapseThreshold: must be at least 1/],
    [2.5, /cidrCollapseThreshold: must be a whole number/],
    [70_000, /cidrCollapseThreshold: must be at most 65536/],
    ['8', /cidrCollapseThreshold/],
  ])('refuses %s with the field named', (value, message) => {
    expect(() => parse(value)).toThrow(message);
  });
});
