import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Settings } from '../handlers/shared/schemas/settings.js';
import { TASK_NAMES, type TaskName } from '../handlers/shared/task-names.js';
import type { Playbook } from '../playbooks/define.js';
import { buildDefinition, type TaskFunctions } from './definition.js';

/** Amazon States Language as JSON. */
export type Asl = { StartAt: string; States: Record<string, AslState>; Comment?: string; [key: string]: unknown };
export type AslState = Record<string, unknown> & { Type: string };

export interface RenderOptions {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
}

/** The function ARN a task gets when the definition is rendered outside a deployment. */
export function localFunctionArn(task: TaskName, options: RenderOptions): string {
  return `arn:${options.partition ?? 'aws'}:lambda:${options.region}:${options.account}:function:responder-${task}`;
}

/**
 * Builds a playbook's definition in-process, exactly as the stack does, and returns literal ASL:
 * CloudFormation intrinsics left by aws-stepfunctions-tasks (`Ref AWS::Partition` inside `Fn::Join`)
 * are resolved to literals.
 */
export function renderAsl(playbook: Playbook, settings: Settings, options: RenderOptions): Asl {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'AslRender', { env: { account: options.account, region: options.region } });
  const fns = Object.fromEntries(
    TASK_NAMES.map((task) => [
      task,
      lambda.Function.fromFunctionArn(stack, `Fn-${task}`, localFunctionArn(task, options)),
    ]),
  ) as unknown as TaskFunctions;
  const chain = buildDefinition(stack, playbook, fns, settings);
  const graph = new sfn.StateGraph(chain.startState, playbook.title).toGraphJson();
  return literalize(stack.resolve(graph), options) as Asl;
}

/** Replaces the CloudFormation intrinsics that can appear in a definition with literal values. */
export function literalize(value: unknown, options: RenderOptions): unknown {
  if (Array.isArray(value)) return value.map((item) => literalize(item, options));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    if ('Ref' in record) return pseudo(String(record.Ref), options);
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(literalize(part, options))).join(separator);
    }
    if ('Fn::GetAtt' in record) {
      const [logicalId, attribute] = record['Fn::GetAtt'] as [string, string];
      return `arn:${options.partition ?? 'aws'}:local:${options.region}:${options.account}:${logicalId}/${attribute}`;
    }
  }
  return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, literalize(child, options)]));
}

function pseudo(name: string, options: RenderOptions): string {
  switch (name) {
    case 'AWS::Partition':
      return options.partition ?? 'aws';
    case 'AWS::Region':
      return options.region;
    case 'AWS::AccountId':
      return options.account;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      throw new Error(`cannot literalize Ref ${name} in a state machine definition`);
  }
}
