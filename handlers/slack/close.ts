import type { App, BlockAction, ButtonAction, types, ViewSubmitAction } from '@slack/bolt';
import { alreadyClosedText, type ClosePorts, closeIncident, MAX_CLOSE_NOTE } from '../shared/close.js';
import { DecisionRejected } from '../shared/errors.js';
import { RESOLUTIONS, type Resolution } from '../shared/lifecycle.js';
import { log } from '../shared/log.js';
import { CLOSE_ACTION_ID, resolutionLabel } from '../shared/render/closure.js';
import { isUserGroupId } from './decision.js';
import type { UserGroupDirectory } from './groups.js';

/** The close modal: its `callback_id`, and the blocks and elements the answers are read from. */
export const CLOSE_VIEW = {
  callbackId: 'close_incident_modal',
  resolutionBlock: 'resolution',
  resolutionAction: 'resolution_input',
  noteBlock: 'note',
  noteAction: 'note_input',
} as const;

const INCIDENT_ID = /^\d{8}-[0-9a-f]{12}$/;
const NOT_ALLOWED = 'Only the configured approvers may close an incident.';

/** The modal the "Close incident" button opens: a resolution (required) and a note. `private_metadata` is the incident id. */
export function closeModal(incidentId: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: CLOSE_VIEW.callbackId,
    private_metadata: incidentId,
    title: { type: 'plain_text', text: 'Close the incident' },
    submit: { type: 'plain_text', text: 'Close incident' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Closing *${incidentId}* ends it: the next signal for its principal or bucket opens a new incident. Containment stays as it is.`,
        },
      },
      {
        type: 'input',
        block_id: CLOSE_VIEW.resolutionBlock,
        label: { type: 'plain_text', text: 'Resolution' },
        element: {
          type: 'radio_buttons',
          action_id: CLOSE_VIEW.resolutionAction,
          options: RESOLUTIONS.map((resolution) => ({
            text: { type: 'plain_text', text: resolutionLabel(resolution) },
            value: resolution,
          })),
        },
      },
      {
        type: 'input',
        block_id: CLOSE_VIEW.noteBlock,
        optional: true,
        label: { type: 'plain_text', text: 'Note' },
        element: {
          type: 'plain_text_input',
          action_id: CLOSE_VIEW.noteAction,
          multiline: true,
          max_length: MAX_CLOSE_NOTE,
        },
      },
    ],
  };
}

type ViewState = {
  state?: {
    values?: Record<string, Record<string, { selected_option?: { value?: string } | null; value?: string | null }>>;
  };
};

/** The resolution and note of a submitted close modal, or the problem (checked again: a request is not a client). */
export function closeAnswersFrom(
  view: ViewState,
): { resolution: Resolution; note?: string } | { problem: string; block: string } {
  const values = view.state?.values ?? {};
  const chosen = values[CLOSE_VIEW.resolutionBlock]?.[CLOSE_VIEW.resolutionAction]?.selected_option?.value;
  const resolution = RESOLUTIONS.find((candidate) => candidate === chosen);
  if (!resolution) return { problem: 'Choose a resolution.', block: CLOSE_VIEW.resolutionBlock };
  const note = (values[CLOSE_VIEW.noteBlock]?.[CLOSE_VIEW.noteAction]?.value ?? '').trim();
  if (note.length > MAX_CLOSE_NOTE) {
    return { problem: `Keep the note under ${MAX_CLOSE_NOTE} characters.`, block: CLOSE_VIEW.noteBlock };
  }
  return note ? { resolution, note } : { resolution };
}

export interface CloseListenerOptions {
  readonly ports: ClosePorts;
  /** Slack user and user-group ids allowed to close (the configured approvers); empty: nobody. */
  readonly approvers: readonly string[];
  readonly directory: UserGroupDirectory;
}

/**
 * The "Close incident" button and its modal (DESIGN §4), like Deny and its reason modal: the click
 * is checked (a configured approver, the incident exists and is not closed) before the modal
 * opens; the submission is checked again before the ack where no Slack call is needed (a listed
 * approver, or possibly one through a group, verified after the ack), then closed through the
 * shared core, which records the closure once, tells the thread and rewrites the summary and the
 * report. A rejected click or submission gets an ephemeral explanation and changes nothing.
 */
export function registerCloseListeners(app: App, options: CloseListenerOptions): void {
  const { ports, approvers, directory } = options;
  const mayBe = (userId: string) => approvers.includes(userId) || approvers.some(isUserGroupId);
  const allowed = async (client: Parameters<UserGroupDirectory['groupsOf']>[0], userId: string) =>
    approvers.includes(userId) || (await directory.groupsOf(client, userId, approvers)).length > 0;

  app.action<BlockAction<ButtonAction>>(CLOSE_ACTION_ID, async ({ ack, body, action, respond, client }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    try {
      const incidentId = action.value ?? '';
      const record = INCIDENT_ID.test(incidentId) ? await ports.store.getIncident(incidentId) : undefined;
      if (!record) return void (await tell('This incident is unknown or has been removed.'));
      if (!(await allowed(client, body.user.id))) return void (await tell(NOT_ALLOWED));
      if (record.closure) return void (await tell(alreadyClosedText(incidentId, record.closure)));
      await client.views.open({ trigger_id: body.trigger_id, view: closeModal(incidentId) });
    } catch (error) {
      if (!(error instanceof DecisionRejected)) {
        log.warn('close: the modal did not open', { error: error instanceof Error ? error.name : String(error) });
        await tell('Slack could not open the close dialog, so nothing changed. Click Close incident again.');
        return;
      }
      await tell(error.message);
    }
  });

  app.view<ViewSubmitAction>(CLOSE_VIEW.callbackId, async ({ ack, body, view, client }) => {
    const incidentId = view.private_metadata;
    const userId = body.user.id;
    const answers = closeAnswersFrom(view);
    if ('problem' in answers) {
      await ack({ response_action: 'errors', errors: { [answers.block]: answers.problem } });
      return;
    }
    const record = INCIDENT_ID.test(incidentId) ? await ports.store.getIncident(incidentId) : undefined;
    const problem = !record
      ? 'This incident is unknown or has been removed.'
      : !mayBe(userId)
        ? NOT_ALLOWED
        : record.closure
          ? alreadyClosedText(incidentId, record.closure)
          : undefined;
    if (problem) {
      await ack({ response_action: 'errors', errors: { [CLOSE_VIEW.resolutionBlock]: problem } });
      return;
    }
    await ack();
    const channel = record?.slack?.channel;
    const tell = async (text: string) => {
      if (channel) await client.chat.postEphemeral({ channel, user: userId, text });
    };
    try {
      if (!(await allowed(client, userId))) return void (await tell(NOT_ALLOWED));
    } catch (error) {
      if (error instanceof DecisionRejected) return void (await tell(error.message));
      throw error;
    }
    const result = await closeIncident({ incidentId, by: userId, ...answers }, ports);
    if (result.state === 'already-closed') await tell(alreadyClosedText(incidentId, result.closure));
  });
}
