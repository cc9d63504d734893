import { describe, expect, it } from 'vitest';
import { MAX_PRINCIPALS } from '../../handlers/shared/schemas/incident.js';
import type { ChatRecord } from '../../local/chat.js';
import { simulate } from '../../local/simulate.js';
import { readJson, withField } from '../support/fixtures.js';
import { manyActors } from '../support/guardduty.js';
import { run, variant } from '../support/simulate.js';

type Json = Record<string, unknown>;
const fixture = (name: string) => readJson<Json>(`test/fixtures/guardduty/${name}.json`);
const STATE_LIMIT = 256 * 1024;

describe('real findings through the definition, executed locally', () => {
  it('an attack sequence with 400 actors runs to the end: the event is dropped after registration, every state stays under 256 KB', async () => {
    const event = withField(
      withField(
        fixture('attack-sequence-compromised-data-event'),
        'detail.service.detection.sequence.actors',
        manyActors(400),
      ),
      'detail.resource.accessKeyDetails',
      undefined,
    );
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [event];
      s.s3.buckets.push({ name: 'payroll-exports', policy: null } as never);
    });
    const sizes: { name: string; size: number; hasEvent: boolean }[] = [];

    const result = await simulate(input, {
      approve: { kind: 'actions', actions: ['denyBucketAccess'] },
      onEvent: (entry) => {
        const state = entry.state as { name: string; input?: unknown; output?: unknown } | undefined;
        if (!state || (entry.type !== 'StateEntered' && entry.type !== 'StateExited')) return;
        const data = entry.type === 'StateEntered' ? state.input : state.output;
        const record = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Json) : {};
        sizes.push({ name: state.name, size: JSON.stringify(data ?? null).length, hasEvent: 'event' in record });
      },
    });

    const [incident] = result.incidents;
    expect(incident?.status).toBe('contained');
    const keys = incident?.plan.filter((item) => item.action === 'deactivateAccessKey') ?? [];
    expect(keys).toHaveLength(MAX_PRINCIPALS);
    expect(
      incident?.applied.filter((entry) => entry.action === 'denyBucketAccess').map((entry) => entry.target),
    ).toEqual(['customer-records', 'payroll-exports']);
    expect(incident?.reportMarkdown).toContain(`${400 - MAX_PRINCIPALS} more actor(s)`);
    expect(Math.max(...sizes.map((entry) => entry.size))).toBeLessThan(STATE_LIMIT);
    const afterDrop = sizes.slice(sizes.findIndex((entry) => entry.name === 'Drop Event') + 1);
    expect(afterDrop.length).toBeGreaterThan(10);
    expect(afterDrop.filter((entry) => entry.hasEvent).map((entry) => entry.name)).toEqual([]);
  }, 120_000);

  it('a sample with acceptSampleFindings runs to the end as a drill in every input form: every action on a placeholder skipped with the reason, none failed, nothing partially contained', async () => {
    const before = await run(variant('compromised-iam-user-key', (s) => void s.events.splice(0, 9, { hello: 1 })));
    const api = fixture('sample-finding-docs-values');
    // The same sample also as a bare API finding, under its own id, in a run of its own: in one run it
    // would fold into the open drill for the same placeholders.
    const bare = withField((api.Findings as Json[])[0] as Json, 'Id', '7bd9f1a2c3d45e6f7a8b9c0d1e2f3a4b');
    const drillOf = (events: unknown[]) =>
      variant('compromised-iam-user-key', (s) => {
        s.events = events as typeof s.events;
        s.config = { ...s.config, acceptSampleFindings: true };
      });

    const result = await run(drillOf([fixture('sample-finding-event'), { console: api }]));
    const alone = await run(drillOf([{ console: bare }]));
    const drills = [...result.incidents, ...alone.incidents];

    expect(drills.map((drill) => drill.status)).toEqual(['contained', 'contained', 'contained']);
    for (const drill of drills) {
      expect(drill.states).toContain('Write Report');
      expect(drill.applied.map((entry) => entry.action)).toEqual(
        expect.arrayContaining(['deactivateAccessKey', 'revokeUserSessions', 'denyBucketAccess']),
      );
      for (const entry of drill.applied) {
        expect(entry).toMatchObject({ result: 'skipped', detail: expect.stringContaining('drill') });
      }
    }
    expect(result.incidents[0]?.applied.map((entry) => entry.target)).toEqual(
      expect.arrayContaining(['GeneratedFindingAccessKeyId', 'bucketName']),
    );
    expect(result.account).toEqual(before.account);
    expect(alone.account).toEqual(before.account);
  }, 180_000);

  it('a sample is ignored in the event and console forms alike', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [
        fixture('sample-finding-event'),
        { console: fixture('sample-finding-docs-values') },
        { console: (fixture('sample-finding-docs-values').Findings as unknown[])[0] },
      ];
    });

    const result = await run(input);

    expect(result.incidents.map((incident) => incident.status)).toEqual(['ignored', 'ignored', 'ignored']);
  }, 60_000);

  it('a finding rejected for its account is told in the Slack channel, and fails', async () => {
    const bad = withField(fixture('cross-account-caller-event'), 'detail.accountId', '12345');
    const posted: ChatRecord[] = [];
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [bad];
    });

    const result = await simulate(input, { approve: { kind: 'all' }, onChat: (record) => posted.push(record) });

    expect(result.incidents[0]?.status).toBe('failed');
    expect(posted.map((record) => JSON.stringify(record)).join('\n')).toMatch(/rejected.*detail\.accountId/);
  }, 60_000);

  it('a caller from another account: its role is denied on the bucket, no credential of ours is touched', async () => {
    const input = variant('compromised-iam-user-key', (s) => {
      s.events = [fixture('cross-account-caller-event')];
      s.iam.roles.push({ roleName: 'Admin', arn: 'arn:aws:iam::123456789012:role/Admin', inlinePolicies: {} } as never);
    });

    const result = await run(input);

    const [incident] = result.incidents;
    expect(incident?.plan.map((item) => item.action)).not.toContain('revokeRoleSessions');
    expect(result.account.roleInlinePolicies.Admin).toEqual({});
    expect(JSON.stringify(result.account.roleInlinePolicies)).not.toContain('AWSRevokeOlderSessions');
    expect(JSON.stringify(result.account.bucketPolicies['customer-records'])).toContain(
      'arn:aws:iam::444455556666:role/Admin',
    );
    expect(incident?.reportMarkdown).toContain('Notify the owner of account 444455556666');
  }, 60_000);
});
