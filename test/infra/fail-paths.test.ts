import { beforeAll, describe, expect, it } from 'vitest';
import { type Asl, literalize, renderAsl } from '../../infra/asl.js';
import { parseConfig, type ResponderConfigInput, toSettings } from '../../infra/config.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { ANY, analyse, failPathProblems, lookup, type Shape } from '../support/asl-paths.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

const OPTIONS = { account: '123456789012', region: 'us-east-1' };

/** Every state machine of the synthesized stack, as literal ASL, by logical id. */
let machines: [string, Asl][] = [];

beforeAll(async () => {
  const { template } = await synthStack();
  machines = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).map(([id, machine]) => [
    id,
    JSON.parse(literalize(machine.Properties?.DefinitionString, OPTIONS) as string) as Asl,
  ]);
});

/** Every Fail state of a definition, nested ones included. */
function failStates(graph: Pick<Asl, 'States'>): [string, Record<string, unknown>][] {
  return Object.entries(graph.States).flatMap(([name, state]) => [
    ...(state.Type === 'Fail' ? [[name, state] as [string, Record<string, unknown>]] : []),
    ...((state.Branches as Asl[] | undefined) ?? []).flatMap(failStates),
    ...(state.ItemProcessor ? failStates(state.ItemProcessor as Asl) : []),
  ]);
}

const clone = (asl: Asl): Asl => JSON.parse(JSON.stringify(asl)) as Asl;

describe('every Fail state of every synthesized state machine', () => {
  it('resolves its ErrorPath and CausePath on every path into it', () => {
    expect(machines.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'RollbackStateMachine',
      'S3ExfiltrationStateMachine',
    ]);
    for (const [id, asl] of machines) expect({ id, problems: failPathProblems(asl) }).toEqual({ id, problems: [] });
    // The check has something to check: the playbook's failure state reads the caught error.
    const withPaths = machines.flatMap(([, asl]) => failStates(asl)).filter(([, state]) => 'ErrorPath' in state);
    expect(withPaths.map(([name, state]) => [name, state.ErrorPath, state.CausePath])).toEqual([
      ['Incident Failed', '$.failure.Error', '$.failure.Cause'],
    ]);
  });

  it('keeps the caught error through Report Failure, also when the report itself fails', () => {
    const [, playbook] = machines.find(([id]) => id.startsWith('S3Exfiltration')) ?? [];
    const { entries } = analyse(playbook as Asl, ANY);
    const failed = entries.get('Incident Failed') as Shape;

    expect(lookup(failed, '$.failure.Error')).toBe(ANY);
    expect(lookup(failed, '$.failure.Cause')).toBe(ANY);
    expect(playbook?.States['Report Failure']?.ResultPath).toBe('$.failureReport');
    expect(playbook?.States['Report Failure']?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failureReportError', Next: 'Incident Failed' },
    ]);
  });

  it('fails the check when Report Failure overwrites the state (no ResultPath), naming the state and the edge', () => {
    const [, playbook] = machines.find(([id]) => id.startsWith('S3Exfiltration')) ?? [];
    const broken = clone(playbook as Asl);
    delete broken.States['Report Failure']?.ResultPath;

    expect(failPathProblems(broken)).toEqual([
      { state: 'Incident Failed', field: 'ErrorPath', path: '$.failure.Error', from: 'Report Failure', via: 'next' },
      { state: 'Incident Failed', field: 'CausePath', path: '$.failure.Cause', from: 'Report Failure', via: 'next' },
    ]);
  });

  it('holds for every variant a configuration can compile (dry run, auto-contain at a severity)', async () => {
    const variants: ResponderConfigInput[] = [
      BASE_CONFIG,
      { ...BASE_CONFIG, dryRun: true },
      { ...BASE_CONFIG, autoContainSeverity: 7 },
    ];
    for (const playbook of await loadPlaybooks()) {
      for (const config of variants) {
        const settings = toSettings(parseConfig(config), playbook, { responderRoleArns: [] });
        const asl = renderAsl(playbook, settings, OPTIONS);
        expect({ playbook: playbook.id, config, problems: failPathProblems(asl) }).toMatchObject({ problems: [] });
      }
    }
  });
});

describe('the Fail-path analysis', () => {
  const fail = { Type: 'Fail', ErrorPath: '$.err.Error', CausePath: '$.err.Cause' };
  const task = (extra: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    ...extra,
  });

  it('takes a Catch ResultPath as the state input with the error placed in it', () => {
    const asl = {
      StartAt: 'Work',
      States: {
        Work: task({ End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Failed' }] }),
        Failed: fail,
      },
    };

    expect(failPathProblems(asl)).toEqual([]);
  });

  it('takes a Catch without ResultPath as the error output alone', () => {
    const asl = {
      StartAt: 'Work',
      States: {
        Work: task({ End: true, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] }),
        Failed: { Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.err.Cause' },
      },
    };

    expect(failPathProblems(asl)).toEqual([
      { state: 'Failed', field: 'CausePath', path: '$.err.Cause', from: 'Work', via: 'catch 1' },
    ]);
  });

  it('requires the path on every edge into the Fail state, and names the one that lacks it', () => {
    const asl = {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: true, Next: 'Keep' }], Default: 'Drop' },
        Keep: { Type: 'Pass', Result: { Error: 'E', Cause: 'C' }, ResultPath: '$.err', Next: 'Failed' },
        Drop: { Type: 'Pass', Parameters: { 'other.$': '$' }, Next: 'Failed' },
        Failed: fail,
      },
    };

    expect(failPathProblems(asl)).toEqual([
      { state: 'Failed', field: 'ErrorPath', path: '$.err.Error', from: 'Drop', via: 'next' },
      { state: 'Failed', field: 'CausePath', path: '$.err.Cause', from: 'Drop', via: 'next' },
    ]);
  });

  it('follows OutputPath, ResultSelector and ResultPath null', () => {
    const asl = {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Result: { inner: { err: { Error: 'E', Cause: 'C' } } }, Next: 'Narrow' },
        Narrow: { Type: 'Pass', OutputPath: '$.inner', Next: 'Ignore' },
        Ignore: task({ ResultPath: null, Next: 'Select' }),
        Select: task({ ResultSelector: { 'err.$': '$.whatever' }, ResultPath: '$.selected', Next: 'Failed' }),
        Failed: fail,
      },
    };

    expect(failPathProblems(asl)).toEqual([]);
    const { entries } = analyse(asl, ANY);
    expect(lookup(entries.get('Failed') as Shape, '$.selected.err')).toBe(ANY);
    expect(lookup(entries.get('Failed') as Shape, '$.selected.err.Error')).toBeUndefined();
  });

  it('checks Fail states inside Parallel branches and Map item processors, and reads branch outputs', () => {
    const caught = {
      StartAt: 'Try',
      States: {
        Try: task({ End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Caught' }] }),
        Caught: fail,
      },
    };
    const copied = {
      StartAt: 'Copy',
      States: { Copy: { Type: 'Pass', Parameters: { 'err.$': '$.anything' }, Next: 'Copied' }, Copied: fail },
    };
    const asl = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Ok', States: { Ok: { Type: 'Pass', Result: { Error: 'E', Cause: 'C' }, End: true } } },
            caught,
          ],
          ResultSelector: { 'err.$': '$[0]' },
          Next: 'Each',
        },
        Each: { Type: 'Map', ItemProcessor: copied, ResultPath: null, Next: 'Failed' },
        Failed: fail,
      },
    };

    // A `key.$` exists once the state succeeds, whatever it points at; nothing inside it is known.
    expect(failPathProblems(asl)).toEqual([
      { state: 'Copied', field: 'ErrorPath', path: '$.err.Error', from: 'Copy', via: 'next' },
      { state: 'Copied', field: 'CausePath', path: '$.err.Cause', from: 'Copy', via: 'next' },
    ]);
  });

  it('reports a Fail state with paths that nothing reaches', () => {
    const asl = { StartAt: 'Done', States: { Done: { Type: 'Succeed' }, Failed: fail } };

    expect(failPathProblems(asl)).toEqual([{ state: 'Failed', field: 'reached' }]);
  });
});
