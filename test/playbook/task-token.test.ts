import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestApproval } from '../../handlers/request-approval/core.js';
import { lambdaHandler } from '../../handlers/shared/define-task.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { ApprovePolicy } from '../../local/approver.js';
import { RecordingChat } from '../../local/chat.js';
import { SimClock, systemRandom } from '../../local/clock.js';
import { simulate } from '../../local/simulate.js';
import { guardDutyEvent, scenario } from '../support/fixtures.js';
import { dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';

/** The local broker's tokens all start so; Step Functions' are opaque, so we look for ours. */
const TOKEN_MARK = 'local-task-token-';

describe('a task token never leaves the store', () => {
  const logged: string[] = [];
  let silent: string | undefined;
  beforeEach(() => {
    silent = process.env.RESPONDER_SILENT;
    process.env.RESPONDER_SILENT = '0';
    const keep = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(keep);
    vi.spyOn(console, 'info').mockImplementation(keep);
    vi.spyOn(console, 'error').mockImplementation(keep);
    vi.spyOn(console, 'warn').mockImplementation(keep);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (silent === undefined) delete process.env.RESPONDER_SILENT;
    else process.env.RESPONDER_SILENT = silent;
  });

  const policies: [string, ApprovePolicy][] = [
    ['approved', { kind: 'all' }],
    ['denied', { kind: 'none' }],
    ['timed out, with re-pings', { kind: 'timeout' }],
  ];
  it.each(policies)('%s: not in any Slack message, the report or the simulate result', async (_, approve) => {
    logged.length = 0;
    const posted: string[] = [];
    const result = await simulate(scenario('compromised-iam-user-key'), {
      approve,
      onChat: (record) => posted.push(JSON.stringify(record.history)),
    });

    expect(posted.length).toBeGreaterThan(1);
    for (const text of [...posted, JSON.stringify(result)]) expect(text).not.toContain(TOKEN_MARK);
  });

  it('the Lambda wrapper logs the outcome of Request Approval, never its input, whether it succeeds or fails', async () => {
    const { store, stop } = await dynaliteStore('token-log-test');
    try {
      const incident = normalizeFinding(guardDutyEvent());
      if (incident.status !== 'accepted') throw new Error('the seed finding must be accepted');
      const incidentId = '20260223-00000000beef';
      const now = '2026-02-23T04:17:00.000Z';
      await store.createIncident({
        incidentId,
        status: 'open',
        createdAt: now,
        updatedAt: now,
        executionName: 'x',
        incident: incident.incident,
        findingIds: [incident.incident.findingId],
      });
      const handler = lambdaHandler(requestApproval, () => ({
        store,
        chat: new RecordingChat(),
        clock: new SimClock(new Date(now)),
        random: systemRandom,
      }));
      const token = `${TOKEN_MARK}${'x'.repeat(200)}`;
      const input = {
        incidentId,
        incident: incident.incident,
        settings: testSettings(),
        taskToken: token,
        plan: { items: [], recommendations: [], notPlanned: [], count: 0 },
        enrichment: {},
      };
      logged.length = 0;

      await handler(input);
      await expect(handler({ ...input, incidentId: '20260223-00000000dead' })).rejects.toThrow(/not in the store/);

      expect(logged).toHaveLength(2); // one line per invocation: completed, failed
      for (const line of logged) expect(line).not.toContain(TOKEN_MARK);
      expect((await store.getApproval((await store.getIncident(incidentId))?.approval?.nonce ?? ''))?.taskToken).toBe(
        token,
      );
    } finally {
      await stop();
    }
  });
});
