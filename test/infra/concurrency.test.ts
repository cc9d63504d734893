import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../handlers/shared/errors.js';
import {
  MIN_UNRESERVED_CONCURRENCY,
  parseConfig,
  type ResponderConfigInput,
  reservedConcurrency,
} from '../../infra/config.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Every function's reserved concurrency, by logical id without its hash and `Function` suffix. */
async function reservations(config: ResponderConfigInput): Promise<Record<string, number | undefined>> {
  const { template } = await synthStack(config);
  const resources = template.toJSON().Resources as Resources;
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id, resource]) => [
        id.replace(/[0-9A-F]{8}$/, '').replace(/Function$/, ''),
        resource.Properties?.ReservedConcurrentExecutions as number | undefined,
      ]),
  );
}

const CONTAINMENT = [
  'DeactivateAccessKey',
  'RevokeRoleSessions',
  'StartMacieJob',
  'DenyBucketAccess',
  'RestrictVpcEndpoint',
  'RollbackIncident',
];

let base: Record<string, number | undefined>;

beforeAll(async () => {
  base = await reservations(BASE_CONFIG);
});

describe('reserved concurrency', () => {
  it('caps the Slack endpoint and the detection function, and reserves for each containment function', () => {
    const reserved = Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));

    expect(reserved).toEqual({
      SlackApprovalHandler: 10,
      DetectionsDetect: 10,
      ...Object.fromEntries(CONTAINMENT.map((name) => [name, 5])),
    });
    // Everything else (registration, enrichment, evidence, planning, approval, report, closing, the alarm notifier) draws on the unreserved pool.
    expect(
      Object.keys(base)
        .filter((name) => !(name in reserved))
        .sort(),
    ).toEqual(
      [
        'RegisterIncident',
        'DescribePrincipal',
        'DescribeBuckets',
        'AssessSensitivity',
        'CollectManagementEvents',
        'QueryDataEvents',
        'PlanContainment',
        'RequestApproval',
        'WriteReport',
        'IncidentCloserHandler',
        'OperationsNotifier',
      ].sort(),
    );
  });

  it('leaves at least 100 of the default 1,000 unreserved, and the total is what the config check counts', () => {
    const total = Object.values(base).reduce<number>((sum, value) => sum + (value ?? 0), 0);

    expect(total).toBe(50);
    expect(total).toBe(reservedConcurrency(parseConfig(BASE_CONFIG)));
    expect(1000 - total).toBeGreaterThanOrEqual(MIN_UNRESERVED_CONCURRENCY);
  });

  it('takes its figures from the configuration', async () => {
    const custom = await reservations({
      ...BASE_CONFIG,
      concurrency: { accountLimit: 3000, slack: 4, detect: 25, containment: 20 },
    });

    expect(custom.SlackApprovalHandler).toBe(4);
    expect(custom.DetectionsDetect).toBe(25);
    for (const name of CONTAINMENT) expect({ name, reserved: custom[name] }).toEqual({ name, reserved: 20 });
  });
});

describe('the concurrency configuration', () => {
  const parse = (concurrency: Record<string, unknown>, extra: Partial<ResponderConfigInput> = {}) =>
    parseConfig({ ...BASE_CONFIG, ...extra, concurrency } as ResponderConfigInput);

  it('defaults to 10 for Slack, 10 for detection and 5 per containment function of a 1,000 account', () => {
    expect(parseConfig(BASE_CONFIG).concurrency).toEqual({ accountLimit: 1000, slack: 10, detect: 10, containment: 5 });
  });

  it('refuses reservations that leave fewer than 100 unreserved, naming the figures', () => {
    // 10 + 10 + 6 × 5 = 50 reserved: an account of 150 leaves exactly 100.
    expect(parse({ accountLimit: 150 }).concurrency.accountLimit).toBe(150);
    expect(() => parse({ accountLimit: 149 })).toThrow(ConfigError);
    expect(() => parse({ accountLimit: 149 })).toThrow(
      'invalid responder config at concurrency: reserving 50 of accountLimit 149 leaves 99 unreserved; Lambda requires at least 100',
    );
    expect(() => parse({ containment: 200 })).toThrow(/reserving 1220 of accountLimit 1000 leaves -220 unreserved/);
  });

  it('does not count the detection function when detections are off', () => {
    expect(parse({ accountLimit: 140 }, { detections: { enabled: false } }).concurrency.accountLimit).toBe(140);
  });

  it.each([
    ['slack', { slack: 0 }, /concurrency\.slack: must be at least 1/],
    ['detect', { detect: 0 }, /concurrency\.detect: must be at least 1/],
    ['containment', { containment: 0 }, /concurrency\.containment: must be at least 1/],
    ['a fraction', { slack: 2.5 }, /concurrency\.slack/],
    ['an unknown key', { lambda: 3 }, /concurrency/],
  ])('refuses %s with the field named', (_label, concurrency, message) => {
    expect(() => parse(concurrency)).toThrow(message);
  });
});
