import { App, AwsLambdaReceiver, type BlockAction } from '@slack/bolt';
import { DecisionRejected } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { ACTION_IDS } from './blocks.js';
import { type DecidePorts, decide } from './decide.js';

export interface SlackAppOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  /** Points the Web API client elsewhere (a local fake in tests). */
  readonly slackApiUrl?: string;
  readonly ports: DecidePorts;
}

interface CheckboxState {
  selected_options?: { value: string }[];
}

/** The actions ticked in the message when the button was clicked. */
function selectedActions(body: BlockAction): string[] {
  const values = body.state?.values ?? {};
  const selections: string[] = [];
  for (const block of Object.values(values)) {
    const state = block[ACTION_IDS.select] as CheckboxState | undefined;
    for (const option of state?.selected_options ?? []) selections.push(option.value);
  }
  return selections;
}

/**
 * The interaction endpoint: Bolt verifies the v0 signature and rejects stale timestamps; each
 * button click goes through `decide` (checks, a vote used once, the callback to the execution).
 * A rejected click gets an ephemeral explanation and changes nothing.
 */
export function buildSlackApp(options: SlackAppOptions): { app: App; receiver: AwsLambdaReceiver } {
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret });
  const app = new App({
    token: options.botToken,
    receiver,
    processBeforeResponse: true,
    tokenVerificationEnabled: false,
    clientOptions: options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : undefined,
  });
  const onClick =
    (outcome: 'approved' | 'denied') =>
    async ({
      ack,
      body,
      action,
      respond,
    }: {
      ack: () => Promise<void>;
      body: BlockAction;
      action: { value?: string };
      respond: (message: Record<string, unknown>) => Promise<unknown>;
    }) => {
      await ack();
      const nonce = action.value ?? '';
      try {
        const result = await decide(
          { nonce, userId: body.user.id, outcome, selected: selectedActions(body), via: 'slack' },
          options.ports,
        );
        if (result.state === 'vote-recorded') {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `Your approval is recorded (${result.votes} of ${result.needed}); a second approver must confirm.`,
          });
        }
      } catch (error) {
        if (!(error instanceof DecisionRejected)) throw error;
        log.warn('decision rejected', { reason: error.reason });
        await respond({ response_type: 'ephemeral', replace_original: false, text: error.message });
      }
    };
  app.action<BlockAction>(ACTION_IDS.approve, onClick('approved') as never);
  app.action<BlockAction>(ACTION_IDS.deny, onClick('denied') as never);
  app.action<BlockAction>(ACTION_IDS.select, async ({ ack }) => {
    await ack();
  });
  return { app, receiver };
}
