import { createInterface } from 'node:readline/promises';
import { DecisionRejected } from '../handlers/shared/errors.js';
import { ACTION_IDS, type ActionId } from '../handlers/shared/schemas/plan.js';
import type { Settings } from '../handlers/shared/schemas/settings.js';
import { type DecidePorts, decide } from '../handlers/slack/decide.js';
import type { SimClock } from './clock.js';
import type { Approver } from './runner.js';

/** How the simulated responders answer: `--approve all|none|timeout|<action,…>`, or a prompt. */
export type ApprovePolicy =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'actions'; readonly actions: readonly ActionId[] }
  | { readonly kind: 'prompt' };

/** Parses `--approve`; an unknown action id is an error naming the valid ones. */
export function parseApprove(value: string): ApprovePolicy {
  const text = value.trim();
  if (text === '') {
    throw new Error(`--approve is empty: use all, none, timeout or a list of ${ACTION_IDS.join(', ')}`);
  }
  if (text === 'all' || text === 'none' || text === 'timeout') return { kind: text };
  const actions = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const unknown = actions.filter((action) => !(ACTION_IDS as readonly string[]).includes(action));
  if (actions.length === 0 || unknown.length > 0) {
    throw new Error(
      `--approve: unknown action ${unknown.join(', ') || '(empty)'}; use all, none, timeout or a list of ${ACTION_IDS.join(', ')}`,
    );
  }
  return { kind: 'actions', actions: actions as ActionId[] };
}

export interface LocalApproverOptions {
  readonly policy: ApprovePolicy;
  readonly ports: DecidePorts;
  readonly settings: Settings;
  readonly clock: SimClock;
  readonly delayMinutes: number;
  /** Shows the approval message and reads the answer (interactive runs). */
  readonly ask?: (question: string) => Promise<string>;
  readonly onNote?: (line: string) => void;
}

/** The approvers who vote locally: the configured users, then stand-in members of configured user groups. */
function voters(settings: Settings, needed: number): { userId: string; groups: string[] }[] {
  const people = settings.approvers
    .filter((id) => !id.startsWith('S'))
    .map((userId) => ({ userId, groups: [] as string[] }));
  const groups = settings.approvers.filter((id) => id.startsWith('S'));
  for (let index = 0; groups.length > 0 && people.length < needed; index += 1) {
    people.push({ userId: `ULOCALMEMBER${index}`, groups });
  }
  return people;
}

/**
 * Answers approvals through the same `decide` path the Slack handler uses (checks, conditional
 * vote, SendTaskSuccess/SendTaskFailure to the broker), as the configured approvers.
 */
export function localApprover(options: LocalApproverOptions): Approver {
  return async ({ nonce }) => {
    let policy = options.policy;
    if (policy.kind === 'prompt') policy = await prompt(options);
    if (policy.kind === 'timeout') return 'no-response';
    options.clock.advance(options.delayMinutes * 60_000);
    const needed = options.settings.twoPersonRule ? 2 : 1;
    const people = voters(options.settings, needed);
    // Everyone on the list may click; one who is refused (say, the compromised identity's owner)
    // leaves it to the next, as in a channel. Two-person rule: two who are not refused.
    for (const person of people) {
      try {
        const result = await decide(
          {
            nonce,
            userId: person.userId,
            groupsOfUser: person.groups,
            via: 'local',
            outcome: policy.kind === 'none' ? 'denied' : 'approved',
            selected: policy.kind === 'actions' ? policy.actions : policy.kind === 'all' ? ACTION_IDS : [],
            reason: policy.kind === 'none' ? 'denied from the command line (--approve none)' : undefined,
          },
          options.ports,
        );
        if (result.state === 'decided') return 'decided';
      } catch (error) {
        if (!(error instanceof DecisionRejected)) throw error;
        options.onNote?.(`approval by ${person.userId} rejected: ${error.message}`);
        if (error.reason === 'nothing-selected') return denyAll(options, nonce, person.userId, error.message);
      }
    }
    return 'no-response';
  };
}

async function denyAll(options: LocalApproverOptions, nonce: string, userId: string, why: string): Promise<'decided'> {
  await decide({ nonce, userId, via: 'local', outcome: 'denied', reason: `nothing approved: ${why}` }, options.ports);
  return 'decided';
}

async function prompt(options: LocalApproverOptions): Promise<ApprovePolicy> {
  const ask =
    options.ask ??
    (async (question: string) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    });
  for (;;) {
    const answer = (await ask('Approve which actions? [all / none / timeout / action,action] ')).trim() || 'all';
    try {
      return parseApprove(answer);
    } catch (error) {
      options.onNote?.((error as Error).message);
    }
  }
}
