import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { type Asl, literalize, renderAsl } from '../../infra/asl.js';
import { parseConfig, toSettings } from '../../infra/config.js';
import { taskStates } from '../../local/runner.js';
import { loadPlaybooks } from '../../playbooks/index.js';
import { BASE_CONFIG, synthStack } from '../support/stack.js';

const OPTIONS = { account: '123456789012', region: 'us-east-1' };

async function definitions() {
  const playbooks = await loadPlaybooks();
  return playbooks.map((playbook) => {
    const settings = toSettings(parseConfig(BASE_CONFIG), playbook, {
      responderRoleArns: ['arn:aws:iam::123456789012:role/r'],
    });
    return { playbook, asl: renderAsl(playbook, settings, OPTIONS) };
  });
}

function allStates(asl: Pick<Asl, 'States'>): [string, Record<string, unknown>][] {
  return Object.entries(asl.States).flatMap(([name, state]) => [
    [name, state] as [string, Record<string, unknown>],
    ...((state.Branches as Asl[] | undefined) ?? []).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor as Asl) : []),
  ]);
}

describe('the compiled playbook definitions', () => {
  it('are valid ASL', async () => {
    for (const { asl } of await definitions()) {
      const { isValid, errorsText } = aslValidator(asl, { checkArn: true, checkPaths: true });
      expect(errorsText('\n')).toBe('');
      expect(isValid).toBe(true);
    }
  });

  it('use JSONPath only (the local engine silently ignores JSONata)', async () => {
    for (const { asl } of await definitions()) {
      expect(JSON.stringify(asl)).not.toMatch(/QueryLanguage|JSONata|\{%/);
    }
  });

  it('give every Task an explicit timeout and bind it to a responder task', async () => {
    for (const { asl } of await definitions()) {
      for (const [name, state] of taskStates(asl)) {
        expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
        const arn = String((state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? state.Resource);
        expect(arn, name).toMatch(/:function:responder-[A-Za-z]+$/);
      }
    }
  });

  it('contain with exactly the playbook actions, and enrich with exactly its enrichment tasks', async () => {
    for (const { playbook, asl } of await definitions()) {
      const names = new Set(allStates(asl).map(([name]) => name));
      for (const task of [...playbook.enrich, ...playbook.evidence, ...playbook.contain]) {
        expect(names.has(task.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase())), task).toBe(
          true,
        );
      }
    }
  });

  it('match the definition in the synthesized template (drift check)', async () => {
    const { template } = await synthStack();
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const properties = machine?.Properties as { DefinitionString: unknown } | undefined;
    const deployed = JSON.parse(literalize(properties?.DefinitionString, OPTIONS) as string) as Asl;
    const [local] = await definitions();

    const shape = (asl: Asl) =>
      allStates(asl)
        .map(([name, state]) => `${name}:${state.Type}:${state.Next ?? ''}`)
        .sort();
    expect(shape(deployed)).toEqual(shape(local?.asl as Asl));
  });

  it('keeps its shape (snapshot of the ASL with account-specific values stripped)', async () => {
    const [first] = await definitions();
    const text = JSON.stringify(first?.asl, null, 2).replace(/arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+/g, '<role-arn>');
    expect(text).toMatchSnapshot();
  });
});
