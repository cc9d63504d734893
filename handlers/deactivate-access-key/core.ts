import { systemTimer } from '../shared/clock.js';
import { task } from '../shared/define-task.js';
import { AccessKeyMismatch, LostUpdate } from '../shared/errors.js';
import { maskKey } from '../shared/ids.js';
import { NOT_YET_VISIBLE } from '../shared/owned-sids.js';
import { awaitVisible } from '../shared/policy/settle.js';
import type { Clock, IamPort, Timer } from '../shared/ports.js';
import { recordAction } from '../shared/record-action.js';
import { actionInput } from '../shared/schemas/action-input.js';
import { type ActionResult, DeactivateAccessKeyItem } from '../shared/schemas/plan.js';
import type { IncidentStore } from '../shared/store/types.js';

/**
 * `UpdateAccessKey Inactive` for the finding's key only, after checking that the key belongs to
 * the user and is active. Never deletes a key, never touches another. An inactive key is `already`.
 * The prior status is saved first, so rollback can reactivate exactly this key. A re-read that
 * still shows Active after the bounded backoff is reported "applied, not yet visible".
 */
export const deactivateAccessKey = task({
  name: 'deactivateAccessKey',
  input: actionInput(DeactivateAccessKeyItem),
  async run(
    { item, incidentId },
    ports: { iam: IamPort; store: IncidentStore; clock: Clock; timer?: Timer },
  ): Promise<ActionResult> {
    const { accountId, userName, accessKeyId } = item;
    const label = `Access key ${maskKey(accessKeyId)} of ${userName} deactivated`;
    const find = async () =>
      (await ports.iam.listAccessKeys({ accountId, userName })).find((key) => key.accessKeyId === accessKeyId);
    const key = await find();
    if (!key) {
      throw new AccessKeyMismatch(
        `${maskKey(accessKeyId)} is not an access key of IAM user ${userName}; nothing was changed`,
      );
    }
    const base = { action: 'deactivateAccessKey' as const, target: accessKeyId };
    if (key.status === 'Inactive') return recordAction(ports, incidentId, { ...base, result: 'already' }, label);
    await ports.store.saveUndo(incidentId, {
      kind: 'accessKey',
      target: `${userName}/${accessKeyId}`,
      accountId,
      prior: key.status,
      savedAt: ports.clock.now().toISOString(),
    });
    await ports.iam.updateAccessKey({ accountId, userName, accessKeyId, status: 'Inactive' });
    // IAM is eventually consistent: a re-read can still show Active for a while after the write.
    const seen = await awaitVisible(
      async () => {
        const after = await find();
        if (!after) return 'lost';
        return after.status === 'Inactive' ? 'visible' : 'stale';
      },
      { sleep: (milliseconds) => (ports.timer ?? systemTimer).sleep(milliseconds) },
    );
    if (seen === 'lost') {
      throw new LostUpdate(`${maskKey(accessKeyId)} is gone after UpdateAccessKey Inactive (deleted meanwhile?)`);
    }
    const visible = seen === 'visible';
    return recordAction(
      ports,
      incidentId,
      { ...base, result: 'applied', ...(visible ? {} : { visible: false, detail: NOT_YET_VISIBLE }) },
      label,
    );
  },
});
