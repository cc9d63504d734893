/**
 * What a state machine's data is sure to hold, state by state: a small data-flow analysis of
 * Amazon States Language (JSONPath). It follows the input and output processing of each state
 * (InputPath, Parameters / ItemSelector, Result, ResultSelector, ResultPath, OutputPath), the
 * Catch ResultPaths, Parallel branches and Map item processors, and intersects what arrives on
 * every edge into a state. `failPathProblems` then names every Fail state whose ErrorPath or
 * CausePath does not resolve on some path into it (real Step Functions ends such an execution
 * with States.Runtime instead of the error).
 *
 * Conservative: a Lambda's result is known to exist but nothing inside it is; an array from a Map
 * is known to exist but not its items; a path with a wildcard or a filter guarantees nothing.
 */

/** What is known of a value: `ANY` (it exists, nothing is known inside) or an object with known keys. */
export type Shape = typeof ANY | { readonly [key: string]: Shape };
export const ANY = 'any' as const;

type Json = unknown;
type State = Record<string, Json> & { Type: string };
interface Graph {
  StartAt: string;
  States: Record<string, State>;
}

const ERROR_OUTPUT: Shape = { Error: ANY, Cause: ANY };

/** `$.a.b`, `$['a']`, `$[0]` → segments; `undefined` for a wildcard, a filter or a slice. */
export function segments(path: string): string[] | undefined {
  if (!path.startsWith('$') || path.startsWith('$$')) return undefined;
  const found: string[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const dotted = /^\.([^.[\]]+)/.exec(rest);
    const quoted = /^\['([^']*)'\]/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    const match = dotted ?? quoted ?? index;
    if (!match || match[1] === '*') return undefined;
    found.push(match[1] as string);
    rest = rest.slice(match[0].length);
  }
  return found;
}

/** The shape at `path`, or `undefined` when it may be missing. */
export function lookup(shape: Shape, path: string): Shape | undefined {
  if (path.startsWith('$$')) return ANY;
  const parts = segments(path);
  if (!parts) return undefined;
  let current: Shape | undefined = shape;
  for (const part of parts) {
    if (current === undefined || current === ANY) return undefined;
    current = current[part];
  }
  return current;
}

/** `value` placed at `path` of `shape` (ResultPath): missing parents are created. */
function place(shape: Shape, parts: readonly string[], value: Shape): Shape {
  if (parts.length === 0) return value;
  const [head = '', ...tail] = parts;
  const base: Record<string, Shape> = shape === ANY ? {} : { ...shape };
  base[head] = place(base[head] ?? ANY, tail, value);
  return base;
}

/** What holds on both paths. */
export function intersect(a: Shape, b: Shape): Shape {
  if (a === ANY || b === ANY) return ANY;
  const both: Record<string, Shape> = {};
  for (const key of Object.keys(a)) {
    const left = a[key];
    const right = b[key];
    if (left !== undefined && right !== undefined) both[key] = intersect(left, right);
  }
  return both;
}

const same = (a: Shape, b: Shape) => JSON.stringify(a) === JSON.stringify(b);

/** The shape of a literal (a Pass `Result`, a literal in Parameters). */
function literal(value: Json): Shape {
  if (typeof value !== 'object' || value === null) return ANY;
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), literal(item)]));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, literal(inner)]));
}

/**
 * Parameters, ItemSelector or ResultSelector applied to `input`. A `key.$` is there whenever the
 * state succeeds (an unresolved reference fails the state instead), with what its path holds.
 */
function template(value: Json, input: Shape): Shape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return literal(value);
  const out: Record<string, Shape> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$')) {
      const path = String(inner);
      out[key.slice(0, -2)] = path.startsWith('$') ? (lookup(input, path) ?? ANY) : ANY;
    } else out[key] = template(inner, input);
  }
  return out;
}

function inputPath(state: State, raw: Shape): Shape {
  if (!('InputPath' in state)) return raw;
  if (state.InputPath === null) return {};
  return lookup(raw, String(state.InputPath)) ?? ANY;
}

function resultPath(resultPathValue: Json, hasResultPath: boolean, raw: Shape, result: Shape): Shape {
  if (!hasResultPath) return result;
  if (resultPathValue === null) return raw;
  const parts = segments(String(resultPathValue));
  if (!parts) throw new Error(`unsupported ResultPath ${String(resultPathValue)}`);
  return place(raw, parts, result);
}

function outputPath(state: State, shape: Shape): Shape {
  if (!('OutputPath' in state)) return shape;
  if (state.OutputPath === null) return {};
  return lookup(shape, String(state.OutputPath)) ?? ANY;
}

/** One edge of the graph: into `to`, carrying `shape`, and how (`Next`, `Catch`, a Choice rule). */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly via: string;
  readonly shape: Shape;
}

/** What a state leaves behind for its successors, and what it returns when it ends the graph. */
function step(name: string, state: State, raw: Shape, problems: FailPathProblem[]): { edges: Edge[]; end?: Shape } {
  const edges: Edge[] = [];
  const effective = inputPath(state, raw);
  let result: Shape;
  switch (state.Type) {
    case 'Pass':
      result = state.Parameters
        ? template(state.Parameters, effective)
        : 'Result' in state
          ? literal(state.Result)
          : effective;
      break;
    case 'Task':
      result = ANY;
      break;
    case 'Parallel': {
      const branchInput = state.Parameters ? template(state.Parameters, effective) : effective;
      const outputs = (state.Branches as Graph[]).map((branch) => analyse(branch, branchInput, problems).output ?? ANY);
      result = Object.fromEntries(outputs.map((output, index) => [String(index), output]));
      break;
    }
    case 'Map': {
      const processor = (state.ItemProcessor ?? state.Iterator) as Graph;
      const selector = state.ItemSelector ?? state.Parameters;
      analyse(processor, selector ? template(selector, effective) : ANY, problems);
      result = ANY;
      break;
    }
    case 'Choice': {
      const output = outputPath(state, effective);
      for (const [index, rule] of ((state.Choices as { Next: string }[] | undefined) ?? []).entries()) {
        edges.push({ from: name, to: rule.Next, via: `choice ${index + 1}`, shape: output });
      }
      if (typeof state.Default === 'string')
        edges.push({ from: name, to: state.Default, via: 'default', shape: output });
      return { edges };
    }
    case 'Wait':
      result = effective;
      break;
    case 'Succeed':
      return { edges, end: outputPath(state, effective) };
    case 'Fail':
      return { edges };
    default:
      throw new Error(`${name}: unknown state type ${state.Type}`);
  }
  if (state.ResultSelector) result = template(state.ResultSelector, result);
  const out =
    state.Type === 'Wait'
      ? outputPath(state, effective)
      : outputPath(state, resultPath(state.ResultPath, 'ResultPath' in state, raw, result));
  for (const [index, catcher] of ((state.Catch as { Next: string; ResultPath?: Json }[] | undefined) ?? []).entries()) {
    const shape = resultPath(catcher.ResultPath, 'ResultPath' in catcher, raw, ERROR_OUTPUT);
    edges.push({ from: name, to: catcher.Next, via: `catch ${index + 1}`, shape });
  }
  if (typeof state.Next === 'string') edges.push({ from: name, to: state.Next, via: 'next', shape: out });
  return { edges, end: state.End === true ? out : undefined };
}

/** A Fail state path that does not resolve, and the edge it does not resolve on. */
export interface FailPathProblem {
  readonly state: string;
  readonly field: 'ErrorPath' | 'CausePath' | 'reached';
  readonly path?: string;
  readonly from?: string;
  readonly via?: string;
}

/** The shape at the entry of every reachable state, and what the graph returns when it ends. */
export function analyse(
  graph: Graph,
  input: Shape,
  problems: FailPathProblem[] = [],
): { entries: Map<string, Shape>; output?: Shape } {
  const entries = new Map<string, Shape>([[graph.StartAt, input]]);
  const queue = [graph.StartAt];
  // The fixed point is computed silently; nested graphs report once, from the final shapes below.
  const scratch: FailPathProblem[] = [];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const state = graph.States[name];
    if (!state) throw new Error(`no state ${name}`);
    for (const edge of step(name, state, entries.get(name) as Shape, scratch).edges) {
      const before = entries.get(edge.to);
      const after = before === undefined ? edge.shape : intersect(before, edge.shape);
      if (before === undefined || !same(before, after)) {
        entries.set(edge.to, after);
        if (!queue.includes(edge.to)) queue.push(edge.to);
      }
    }
  }
  let output: Shape | undefined;
  const incoming = new Map<string, Edge[]>();
  for (const [name, shape] of entries) {
    const { edges, end } = step(name, graph.States[name] as State, shape, problems);
    for (const edge of edges) incoming.set(edge.to, [...(incoming.get(edge.to) ?? []), edge]);
    if (end !== undefined) output = output === undefined ? end : intersect(output, end);
  }
  for (const [name, state] of Object.entries(graph.States)) {
    if (state.Type !== 'Fail') continue;
    const paths = (['ErrorPath', 'CausePath'] as const).filter((field) => typeof state[field] === 'string');
    if (paths.length === 0) continue;
    const into = incoming.get(name) ?? [];
    if (into.length === 0 && graph.StartAt !== name) problems.push({ state: name, field: 'reached' });
    for (const field of paths) {
      const path = String(state[field]);
      for (const edge of into) {
        if (lookup(edge.shape, path) === undefined)
          problems.push({ state: name, field, path, from: edge.from, via: edge.via });
      }
      if (graph.StartAt === name && lookup(input, path) === undefined) problems.push({ state: name, field, path });
    }
  }
  return { entries, output };
}

/** Every Fail state whose ErrorPath/CausePath may not resolve, for an execution input of unknown shape. */
export function failPathProblems(asl: Graph): FailPathProblem[] {
  const problems: FailPathProblem[] = [];
  analyse(asl, ANY, problems);
  return problems;
}
