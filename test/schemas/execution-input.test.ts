import { describe, expect, it } from 'vitest';
import { InvalidExecutionInput } from '../../handlers/shared/errors.js';
import {
  asExecutionInputError,
  ExecutionInput,
  parseExecutionInput,
} from '../../handlers/shared/schemas/execution-input.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import { guardDutyEvent, readJson } from '../support/fixtures.js';

const api = readJson<{ Findings: Record<string, unknown>[] }>('test/fixtures/guardduty/get-findings-output.json');
const event = guardDutyEvent();
const detection = {
  rule: 'bulk-download',
  incident: { ...normalizeFinding(event).incident, source: 'detection', findingId: 'bulk-download-1' },
};

function refusal(input: unknown): InvalidExecutionInput {
  try {
    parseExecutionInput(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidExecutionInput);
    return error as InvalidExecutionInput;
  }
  throw new Error('expected InvalidExecutionInput');
}

describe('the execution input union', () => {
  it.each([
    ['an EventBridge event', event, 'event'],
    ['a bare finding (EventBridge form)', event.detail, 'finding'],
    ['a bare finding (API form)', api.Findings[0], 'finding'],
    ['get-findings output', api, 'findings'],
    [
      'a finding reference',
      { findingId: 'b6c8a1f2e3d44e5f9a0b1c2d3e4f5a6b', detectorId: '12abc34d' },
      'finding-reference',
    ],
    [
      'a finding reference in another account and Region',
      { findingId: 'f1', detectorId: 'd1', accountId: '111122223333', region: 'eu-west-1' },
      'finding-reference',
    ],
    ['a re-run', { incidentId: '20260223-16e8db698d27', rerun: true }, 'rerun'],
    ['a queued delta', { incidentId: '20260223-16e8db698d27', queued: true }, 'queued'],
    ['a detection', detection, 'detection'],
    [
      'our detection envelope',
      { source: 's3-exfil-responder.detection', 'detail-type': 'S3 Exfil Responder Detection', detail: detection },
      'detection',
    ],
  ])('accepts %s', (_label, input, form) => {
    expect(parseExecutionInput(input).form).toBe(form);
    expect(ExecutionInput.safeParse(input).success).toBe(true);
  });

  it('keeps a finding form as it came, for normalize', () => {
    expect(parseExecutionInput(event)).toEqual({ form: 'event', raw: event });
  });

  it('hands the re-run and the reference on parsed', () => {
    expect(parseExecutionInput({ incidentId: '20260223-16e8db698d27', rerun: true })).toEqual({
      form: 'rerun',
      incidentId: '20260223-16e8db698d27',
      rerun: true,
    });
    expect(parseExecutionInput({ findingId: 'f1', detectorId: 'd1' })).toEqual({
      form: 'finding-reference',
      findingId: 'f1',
      detectorId: 'd1',
    });
  });

  it.each([
    [null, '', /must be a JSON object, not null/],
    ['text', '', /must be a JSON object, not string/],
    [{}, '', /unrecognized input \(an empty object\)/],
    [{ findingId: 'f1' }, 'detectorId', /is required \(read as a finding reference/],
    [{ detectorId: 'd1' }, 'findingId', /is required/],
    [{ findingId: 'f 1', detectorId: 'd1' }, 'findingId', /must be a GuardDuty finding id/],
    [{ findingId: 'f1', detectorId: 'd1', accountId: '42' }, 'accountId', /12-digit/],
    [{ incidentId: '20260223-16e8db698d27' }, 'rerun', /must be true/],
    [{ rerun: true }, 'incidentId', /is required/],
    [{ incidentId: 20260223, rerun: true }, 'incidentId', /expected string, received number/],
    [{ incidentId: '20260223-16e8db698d27', queued: false }, 'queued', /must be true/],
    [{ queued: true }, 'incidentId', /is required/],
    [{ incidentId: 'INCIDENT#x', queued: true }, 'incidentId', /must be an incident id/],
    [{ Findings: [api.Findings[0], api.Findings[0]] }, 'Findings', /exactly one finding/],
    [{ Findings: 'none' }, 'Findings', /must be an array of findings/],
    [{ rule: 'nope', incident: detection.incident }, 'rule', /Invalid option/],
    [
      { ...detection, incident: { ...detection.incident, source: 'guardduty' } },
      'incident.source',
      /source "detection"/,
    ],
  ])('refuses %j naming %s', (input, path, message) => {
    const error = refusal(input);

    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/accepted inputs: .*findingId.*rerun/);
  });

  it('turns normalize’s InvalidFinding into InvalidExecutionInput with the same path', () => {
    let mapped: unknown;
    try {
      normalizeFinding({ ...event, detail: { ...(event.detail as object), type: undefined } });
    } catch (error) {
      mapped = asExecutionInputError(error);
    }

    expect(mapped).toBeInstanceOf(InvalidExecutionInput);
    expect((mapped as InvalidExecutionInput).path).toBe('detail.type');
    expect((mapped as Error).message).toMatch(/^detail\.type: is required; accepted inputs: /);
  });
});
