import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncident } from '../../handlers/register-incident/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import type { IncidentStore } from '../../handlers/shared/store/types.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock } from '../../local/clock.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';
import { anyInput, refusedInput } from './inputs.js';
import { PLAN } from './plan.js';
import { Distinct, expectAtLeast, outcome, runs } from './support.js';

/**
 * The registerIncident task core (the first task of every execution) against the real DynamoDB
 * store adapter on dynalite. A refused or ignored input ends in a named error or `ignored` and
 * writes nothing to the store; GuardDuty is asked only for a finding reference, and answers with
 * hostile findings.
 */

const distinct = new Distinct();
let store: IncidentStore;
let stop: () => Promise<void>;
const calls: string[] = [];
let execution = 0;

const READS = /^(get|list)/;

/** The store, with every method call recorded. */
function recorded(target: IncidentStore): IncidentStore {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** What GuardDuty's GetFindings answers for a finding reference: a hostile finding with the requested id. */
let hostileFinding: unknown = {};

async function register(event: unknown) {
  distinct.add(event);
  calls.length = 0;
  execution += 1;
  const ports = {
    store: recorded(store),
    clock: new SimClock(new Date('2026-02-23T04:20:00Z')),
    guardduty: { getFindings: async () => [hostileFinding] },
    chat: new RecordingChat(),
  };
  const input = {
    event,
    settings: testSettings(),
    executionName: `corpus-${execution}`,
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:s3-exfil-responder:corpus',
  };
  return outcome(() => runTask(registerIncident, input, ports), event);
}

beforeAll(async () => {
  const started = await dynaliteStore('corpus-register');
  store = started.store;
  stop = started.stop;
});
afterAll(async () => {
  await stop();
  expectAtLeast(distinct, PLAN.registerIncident);
});

describe('registerIncident on dynalite', () => {
  it('refused inputs: InvalidExecutionInput or ignored, and nothing written to the store', async () => {
    await fc.assert(
      fc.asyncProperty(refusedInput, async ({ input, expected }) => {
        const result = await register(input);
        if (result.ok) expect(result.value.status).toBe('ignored');
        else expect(result.error).toBe('InvalidExecutionInput');
        expect(result.ok ? 'ignored' : result.error).toBe(expected);
        expect(calls.filter((call) => !READS.test(call))).toEqual([]);
      }),
      runs(80),
    );
  });

  it('any input: a registration or a named error; a failure writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyInput, async (input) => {
        const result = await register(input);
        if (!result.ok) expect(calls.filter((call) => !READS.test(call))).toEqual([]);
        else expect(['open', 'linked', 'ignored']).toContain(result.value.status);
      }),
      runs(60),
    );
  });

  it('a finding reference that GetFindings answers with a hostile finding: a named error, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(refusedInput, fc.boolean(), async ({ input, expected }, apiForm) => {
        const detail = (input as { detail: Record<string, unknown> }).detail;
        hostileFinding = apiForm ? { Id: detail.id, Type: detail.type, ...detail } : detail;
        const reference = { findingId: 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', detectorId: '12abc34d' };
        distinct.add(hostileFinding);
        const result = await register(reference);
        expect(result.ok ? result.value.status : result.error).toBe(expected);
        expect(calls.filter((call) => !READS.test(call))).toEqual([]);
      }),
      runs(30),
    );
  });
});
