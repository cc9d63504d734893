import { App, AwsLambdaReceiver, type BlockAction, type ButtonAction, type ViewSubmitAction } from '@slack/bolt';
import { DecisionRejected } from '../shared/errors.js';
import { log } from '../shared/log.js';
import type { RollbackStarterPort } from '../shared/ports.js';
import { ACTION_IDS } from '../shared/render/slack-blocks.js';
import { DENY_REASON, denyReasonFrom, denyReasonModal, UNDO_ACTION_ID } from '../shared/render/slack-views.js';
import type { ApprovalRecord } from '../shared/store/types.js';
import { registerCloseListeners } from './close.js';
import { type DecidePorts, decide, noCommonActionText } from './decide.js';
import { checkDecision, isUserGroupId } from './decision.js';
import { UserGroupDirectory } from './groups.js';
import { undo } from './undo.js';

export interface SlackPorts extends DecidePorts {
  readonly rollback: RollbackStarterPort;
  /** Who may close an incident from Slack (the configured approvers). @default nobody */
  readonly closeApprovers?: readonly string[];
}

export interface SlackAppOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  /** The bot's ids, when the secret has them; nothing asks Slack for them either way. */
  readonly botId?: string;
  readonly botUserId?: string;
  /** Points the Web API client elsewhere (a local fake in tests). */
  readonly slackApiUrl?: string;
  readonly ports: SlackPorts;
}

/** The Lambda handler `AwsLambdaReceiver.start()` resolves to. */
export type SlackLambdaHandler = Awaited<ReturnType<AwsLambdaReceiver['start']>>;

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

type Tell = (text: string) => Promise<unknown>;

/** Runs one click's work; a DecisionRejected becomes an explanation to the clicking user only. */
async function explainingRejections(tell: Tell, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof DecisionRejected)) throw error;
    log.warn('decision rejected', { reason: error.reason });
    await tell(error.message);
  }
}

const UNKNOWN_REQUEST = 'This approval request is unknown or has been removed.';

/**
 * The interaction endpoint (DESIGN §6). The door (`door.ts`) lets in only signed, timely, small
 * requests; Bolt verifies the v0 signature again. Every listener acknowledges before
 * any Slack Web API call: the App gets an `authorize` function answering from the secret, so Bolt
 * never calls `auth.test`, and its Web API client does not retry or wait out rate limits (Slack
 * wants an answer within 3 s; on Lambda the answer leaves when the listener returns).
 *
 * - Approve: `decide` (checks, a vote used once, SendTaskSuccess with the selected actions). Two
 *   approvers with no action in common decide nothing: both are told (ephemeral), votes cleared.
 * - Deny: opens a modal asking for a reason; its submission goes through `decide` (SendTaskFailure
 *   `ApprovalDenied` whose cause carries the reason).
 * - Undo (`undo_incident`): `undo` (the same checks, a vote used once, StartExecution of the
 *   rollback state machine).
 * - Close incident (`close_incident`): a modal with the resolution and a note (`close.ts`).
 *
 * Approvers may be user groups: membership comes from `usergroups.users.list`, cached 60 s, and a
 * failed lookup rejects the click. A rejected click gets an ephemeral explanation and changes nothing.
 */
export function buildSlackApp(options: SlackAppOptions): { app: App; receiver: AwsLambdaReceiver } {
  const { ports } = options;
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret });
  const app = new App({
    receiver,
    // With `token`, Bolt learns the bot ids from auth.test (once, or per request when token
    // verification is off) before any listener runs; `authorize` answers from the secret instead.
    authorize: async () => ({ botToken: options.botToken, botId: options.botId, botUserId: options.botUserId }),
    processBeforeResponse: true,
    clientOptions: {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 2000,
    },
  });
  const directory = new UserGroupDirectory(ports.clock);
  const ephemeral =
    (respond: (message: Record<string, unknown>) => Promise<unknown>): Tell =>
    (text) =>
      respond({ response_type: 'ephemeral', replace_original: false, text });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approve, async ({ ack, body, action, respond, client }) => {
    await ack();
    const tell = ephemeral(respond);
    await explainingRejections(tell, async () => {
      const nonce = action.value ?? '';
      const approval = await ports.store.getApproval(nonce);
      const groupsOfUser = await directory.groupsOf(client, body.user.id, approval?.approvers ?? []);
      const result = await decide(
        {
          nonce,
          userId: body.user.id,
          outcome: 'approved',
          selected: selectedActions(body),
          via: 'slack',
          groupsOfUser,
        },
        ports,
      );
      if (result.state === 'vote-recorded') {
        await tell(`Your approval is recorded (${result.votes} of ${result.needed}); a second approver must confirm.`);
      } else if (result.state === 'no-overlap') {
        const text = noCommonActionText(result, body.user.id);
        await tell(text);
        const channel = body.channel?.id ?? (await ports.store.getIncident(approval?.incidentId ?? ''))?.slack?.channel;
        await client.chat
          .postEphemeral({ channel: channel ?? '', user: result.firstVoter, text })
          .catch((error: unknown) => log.warn('could not tell the first approver', { error: String(error) }));
      }
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.deny, async ({ ack, body, action, respond, client }) => {
    await ack();
    const tell = ephemeral(respond);
    await explainingRejections(tell, async () => {
      const nonce = action.value ?? '';
      const approval = await ports.store.getApproval(nonce);
      if (!approval) throw new DecisionRejected('unknown-request', UNKNOWN_REQUEST);
      const groups = await directory.groupsOf(client, body.user.id, approval.approvers);
      checkDecision(approval, { userId: body.user.id, outcome: 'denied' }, ports.clock.now(), groups);
      try {
        await client.views.open({
          trigger_id: body.trigger_id,
          view: denyReasonModal({ nonce, incidentId: approval.incidentId }),
        });
      } catch (error) {
        // Not "deny without a reason" instead. A deny grants nothing, but it is final for this
        // request and stops the containment while the exfiltration may go on, and the record must
        // say why. A failed views.open (an expired trigger_id, a Slack hiccup) is better answered
        // by telling the user and letting them click Deny again.
        log.warn('views.open failed', { error: error instanceof Error ? error.message : String(error) });
        await tell('Slack could not open the reason dialog, so nothing was decided. Click Deny again.');
      }
    });
  });

  /**
   * A deny reason submitted. Checks that need no Slack call (the reason, the request is known,
   * pending, unexpired, the user listed or possibly in an approver group) run before the ack, so a
   * rejected submission keeps the modal open with the problem named (`response_action: errors`):
   * one DynamoDB read, and no Slack call precedes the ack. Group membership and the conditional
   * write run after it, inside `decide`; a rejection there gets an ephemeral message in the
   * incident's channel. Either way nothing changes unless every check holds.
   */
  app.view<ViewSubmitAction>(DENY_REASON.callbackId, async ({ ack, body, view, client }) => {
    const nonce = view.private_metadata;
    const userId = body.user.id;
    const parsed = denyReasonFrom(view);
    const approval = 'reason' in parsed ? await ports.store.getApproval(nonce) : undefined;
    const problem = 'problem' in parsed ? parsed.problem : precheckDeny(approval, userId, ports.clock.now());
    if (!('reason' in parsed) || problem !== undefined) {
      log.warn('deny submission rejected before ack', { userId });
      await ack({ response_action: 'errors', errors: { [DENY_REASON.blockId]: problem ?? UNKNOWN_REQUEST } });
      return;
    }
    await ack();
    const tell: Tell = async (text) => {
      const channel = (await ports.store.getIncident(approval?.incidentId ?? ''))?.slack?.channel;
      if (channel) await client.chat.postEphemeral({ channel, user: userId, text });
    };
    await explainingRejections(tell, async () => {
      const groupsOfUser = await directory.groupsOf(client, userId, approval?.approvers ?? []);
      await decide({ nonce, userId, outcome: 'denied', reason: parsed.reason, via: 'slack', groupsOfUser }, ports);
    });
  });

  app.action<BlockAction<ButtonAction>>(UNDO_ACTION_ID, async ({ ack, body, action, respond, client }) => {
    await ack();
    const tell = ephemeral(respond);
    await explainingRejections(tell, async () => {
      const userId = body.user.id;
      const result = await undo(
        {
          nonce: action.value ?? '',
          userId,
          groupsOf: (approvers) => directory.groupsOf(client, userId, approvers),
        },
        ports,
      );
      if (result.state === 'vote-recorded') {
        await tell(
          `Your rollback request is recorded (${result.votes} of ${result.needed}); a second approver must confirm.`,
        );
      } else if (result.state === 'start-failed') {
        await tell(
          `The rollback was approved but did not start (${result.error}). Click Undo again to retry; it can only run once.`,
        );
      }
    });
  });

  registerCloseListeners(app, { ports, approvers: ports.closeApprovers ?? [], directory });

  app.action<BlockAction>(ACTION_IDS.select, async ({ ack }) => {
    await ack();
  });
  return { app, receiver };
}

/**
 * The checks of a deny submission that need no Slack call: the request exists and `checkDecision`
 * passes, counting an unlisted user as a member of the approver groups (verified after the ack).
 * Returns the problem to show, or undefined.
 */
function precheckDeny(approval: ApprovalRecord | undefined, userId: string, now: Date): string | undefined {
  if (!approval) return UNKNOWN_REQUEST;
  const assumedGroups = approval.approvers.includes(userId) ? [] : approval.approvers.filter(isUserGroupId);
  try {
    checkDecision(approval, { userId, outcome: 'denied' }, now, assumedGroups);
    return undefined;
  } catch (error) {
    if (error instanceof DecisionRejected) return error.message;
    throw error;
  }
}
