import type { App, BlockAction, ButtonAction, types, ViewSubmitAction } from '@slack/bolt';
import { alreadyClosedText, type ClosePorts, closeIncident, MAX_CLOSE_NOTE } from '../shared/close.js';
import { DecisionRejected } from '../shared/errors.js';
import { RESOLUTIONS, type Resolution } from '../shared/lifecycle.js';
import { CLOSE_ACTION_ID, resolutionLabel } from '../shared/render/closure.js';
import type { UserGroupDirectory } from './groups.js';

/** The close modal: its `callback_id`, and the blocks and elements the answers are read from. */
export const CLOSE_VIEW = {
  callbackId: 'close_incident_modal',
  resolutionBlock: 'resolution',
  resolutionAction: 'resolution_input',
  noteBlock: 'note',
  noteAction: 'note_input',
} as const;

const NOT_ALLOWED = 'Only the configured approvers may close an incident.';
const UNKNOWN = 'This incident is unknown or has been removed.';

/** The modal the "Close incident" button opens: a resolution (required) and a note. `private_metadata` is the incident id. */
export function closeModal(incidentId: string): types.ModalView {
  const text = (value: string) => ({ type: 'plain_text' as const, text: value });
  return {
    type: 'modal',
    callback_id: CLOSE_VIEW.callbackId,
    private_metadata: incidentId,
    title: text('Close the incident'),
    submit: text('Close incident'),
    close: text('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: CLOSE_VIEW.resolutionBlock,
        label: text(`Resolution of ${incidentId}`),
        element: {
          type: 'radio_buttons',
          action_id: CLOSE_VIEW.resolutionAction,
          options: RESOLUTIONS.map((value) => ({ text: text(resolutionLabel(value)), value })),
        },
      },
      {
        type: 'input',
        block_id: CLOSE_VIEW.noteBlock,
        optional: true,
        label: text('Note'),
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

/** The resolution and note of a submitted close modal (the note is clipped by the closing core). */
export function closeAnswersFrom(view: ViewState): { resolution: Resolution; note?: string } | undefined {
  const values = view.state?.values ?? {};
  const chosen = values[CLOSE_VIEW.resolutionBlock]?.[CLOSE_VIEW.resolutionAction]?.selected_option?.value;
  const resolution = RESOLUTIONS.find((candidate) => candidate === chosen);
  const note = values[CLOSE_VIEW.noteBlock]?.[CLOSE_VIEW.noteAction]?.value ?? undefined;
  return resolution && { resolution, note };
}

/**
 * The "Close incident" button and its modal (DESIGN §4), like Deny and its reason modal. The click
 * is checked (a configured approver, by id or user group; the incident exists and is not closed)
 * before the modal opens; the submission is checked again after the ack, then closed through the
 * shared core, which records the closure once, tells the thread and replaces the button. A rejected
 * click or submission gets an ephemeral explanation and changes nothing.
 */
export function registerCloseListeners(
  app: App,
  options: { ports: ClosePorts; approvers: readonly string[]; directory: UserGroupDirectory },
): void {
  const { ports, approvers, directory } = options;
  /** What stops this user closing this incident now, or undefined. */
  const problem = async (client: Parameters<UserGroupDirectory['groupsOf']>[0], userId: string, incidentId: string) => {
    const record = /^\d{8}-[0-9a-f]{12}$/.test(incidentId) ? await ports.store.getIncident(incidentId) : undefined;
    if (!record) return { text: UNKNOWN };
    try {
      if (!approvers.includes(userId) && (await directory.groupsOf(client, userId, approvers)).length === 0) {
        return { text: NOT_ALLOWED };
      }
    } catch (error) {
      if (error instanceof DecisionRejected) return { text: error.message };
      throw error;
    }
    return record.closure ? { text: alreadyClosedText(incidentId, record.closure) } : { record };
  };

  app.action<BlockAction<ButtonAction>>(CLOSE_ACTION_ID, async ({ ack, body, action, respond, client }) => {
    await ack();
    const incidentId = action.value ?? '';
    const checked = await problem(client, body.user.id, incidentId);
    let text = 'text' in checked ? checked.text : undefined;
    if (!text) {
      text = await client.views.open({ trigger_id: body.trigger_id, view: closeModal(incidentId) }).then(
        () => undefined,
        () => 'Slack could not open the close dialog, so nothing changed. Click Close incident again.',
      );
    }
    if (text) await respond({ response_type: 'ephemeral', replace_original: false, text });
  });

  app.view<ViewSubmitAction>(CLOSE_VIEW.callbackId, async ({ ack, body, view, client }) => {
    const answers = closeAnswersFrom(view);
    if (!answers) {
      await ack({ response_action: 'errors', errors: { [CLOSE_VIEW.resolutionBlock]: 'Choose a resolution.' } });
      return;
    }
    await ack();
    const incidentId = view.private_metadata;
    const userId = body.user.id;
    const checked = await problem(client, userId, incidentId);
    const result = 'record' in checked ? await closeIncident({ incidentId, by: userId, ...answers }, ports) : undefined;
    const text =
      'text' in checked
        ? checked.text
        : result?.state === 'already-closed'
          ? alreadyClosedText(incidentId, result.closure)
          : undefined;
    const channel =
      'record' in checked
        ? checked.record?.slack?.channel
        : (await ports.store.getIncident(incidentId))?.slack?.channel;
    if (text && channel) await client.chat.postEphemeral({ channel, user: userId, text });
  });
}
