import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyBucketAccess } from '../../handlers/deny-bucket-access/core.js';
import { runTask } from '../../handlers/shared/define-task.js';
import { approvalMessage } from '../../handlers/shared/render/approval-message.js';
import type { Incident } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { LifecycleStore } from '../../handlers/shared/store/types.js';
import { planFor } from '../support/deny-plan.js';
import { readJson, scenario } from '../support/fixtures.js';
import { account, dynaliteStore } from '../support/ports.js';
import { testSettings } from '../support/settings.js';
import { slackLimitViolations } from '../support/slack-limits.js';

const HOME = '123456789012';
const BUCKET = 'customer-records';
const INCIDENT_ID = '20260223-c4e6a8b0d2f4';
const settings = testSettings({ homeAccountId: HOME });

let store: LifecycleStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ store, stop } = await dynaliteStore('deny-as-approved-test'));
});
afterAll(async () => stop());

/** A real-shaped finding's incident, its caller anonymous from `sourceIps`, on the seed's bucket. */
function anonymousIncident(sourceIps: string[]): Incident {
  const { incident } = normalizeFinding(readJson('test/fixtures/guardduty/cross-account-caller-event.json'));
  if (!incident) throw new Error('no incident');
  return { ...incident, accountId: HOME, buckets: [BUCKET], principal: { type: 'Anonymous' }, sourceIps };
}

type Statement = { Sid?: string; Condition?: { IpAddress?: { 'aws:SourceIp'?: string[] } } };

describe('the Deny by address at apply time', () => {
  it('is written exactly as the approval showed it, though the incident learned addresses since that would widen it to a /24', async () => {
    // Eight callers of one /24: at the collapse threshold (8), so eight single-address blocks.
    const approvedIps = Array.from({ length: 8 }, (_, n) => `185.220.101.${10 + n}`);
    const incident = anonymousIncident(approvedIps);
    await store.createIncident({
      incidentId: INCIDENT_ID,
      status: 'awaiting_approval',
      createdAt: '2026-02-23T04:17:00.000Z',
      updatedAt: '2026-02-23T04:17:00.000Z',
      executionName: 'exec-approved',
      incident,
      findingIds: [incident.findingId],
    });
    const { account: acct, clock } = account(scenario('compromised-iam-user-key'));
    const plan = await planFor(incident, ['denyBucketAccess'], { settings, incidentId: INCIDENT_ID, on: acct });
    const item = plan.items.find((entry) => entry.action === 'denyBucketAccess');
    if (item?.action !== 'denyBucketAccess') throw new Error('the Deny is planned');
    const message = approvalMessage({
      incidentId: INCIDENT_ID,
      incident,
      plan,
      enrichment: {},
      nonce: 'n'.repeat(32),
      deadline: '2026-02-24T04:17:00Z',
      now: '2026-02-23T04:18:00Z',
    });
    // A ninth caller of the same /24 and one elsewhere fold in while the approval is pending.
    await store.addSignalSourceIps(INCIDENT_ID, ['185.220.101.99', '45.155.205.23']);

    const result = await runTask(
      denyBucketAccess,
      { item, incidentId: INCIDENT_ID, settings },
      { s3: acct.s3, store, clock },
    );

    const shown = /all (\d+) blocks exactly as written:\\n([^`]*)```/.exec(JSON.stringify(message.blocks));
    const shownList = shown?.[2]?.split(/, |\\n/).filter(Boolean);
    const policy = JSON.parse(acct.bucketPolicies.get(BUCKET) ?? '{}') as { Statement: Statement[] };
    const written = policy.Statement.find((statement) => statement.Sid?.endsWith('DenySourceIp'));
    expect(written?.Condition?.IpAddress?.['aws:SourceIp']).toEqual(shownList);
    expect(shownList).toEqual(approvedIps.map((ip) => `${ip}/32`).sort());
    expect(written?.Condition?.IpAddress?.['aws:SourceIp']).not.toContain('185.220.101.0/24');
    expect(result).toMatchObject({ result: 'applied' });
    expect(result.detail).toMatch(
      /written exactly as approved; 2 source address\(es\) learned since \(185\.220\.101\.99\/32, 45\.155\.205\.23\/32\) are not in it/,
    );
  });

  it('a list longer than one Slack section is shown whole in the approval, within Slack limits', async () => {
    // 300 callers, each alone in its /24: 300 single-address blocks, far more than one section holds.
    const ips = Array.from({ length: 300 }, (_, n) => `${81 + Math.floor(n / 250)}.2.${n % 250}.7`);
    const incident = anonymousIncident(ips);
    const { account: acct } = account(scenario('compromised-iam-user-key'));
    const plan = await planFor(incident, ['denyBucketAccess'], { settings, incidentId: INCIDENT_ID, on: acct });

    const message = approvalMessage({
      incidentId: INCIDENT_ID,
      incident,
      plan,
      enrichment: {},
      nonce: 'n'.repeat(32),
      deadline: '2026-02-24T04:17:00Z',
      now: '2026-02-23T04:18:00Z',
    });

    const item = plan.items.find((entry) => entry.action === 'denyBucketAccess');
    const planned = (item?.action === 'denyBucketAccess' ? item.statements : [])
      .map((statement) => (statement as Statement).Condition?.IpAddress?.['aws:SourceIp'])
      .find((list) => list !== undefined);
    const texts = (message.blocks ?? []).map((block) => (block as { text?: { text?: string } }).text?.text ?? '');
    const [, afterHeader = ''] = texts.join('\n').split('all 300 blocks exactly as written:');
    const listed = afterHeader
      .split('\n')
      .flatMap((line) => line.replaceAll('```', '').split(', '))
      .filter((entry) => /^\d+\.\d+\.\d+\.\d+\/32$/.test(entry));
    expect(planned).toHaveLength(300);
    expect(listed).toEqual(planned);
    expect(texts.join('\n')).toContain('all 300 blocks exactly as written:');
    expect(slackLimitViolations(message)).toEqual([]);
  });
});
