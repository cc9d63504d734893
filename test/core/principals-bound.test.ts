import { describe, expect, it } from 'vitest';
import { principalsBeyond, widened } from '../../handlers/register-incident/delta.js';
import { roundOf } from '../../handlers/register-incident/queue.js';
import { type Incident, MAX_PRINCIPALS, type Principal } from '../../handlers/shared/schemas/incident.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, QueuedDelta } from '../../handlers/shared/store/types.js';
import { guardDutyEvent } from '../support/fixtures.js';

const AT = '2026-02-23T04:20:00.000Z';
const user = (n: number): Principal => ({
  type: 'IAMUser',
  arn: `arn:aws:iam::123456789012:user/u${n}`,
  userName: `u${n}`,
  accessKeyId: `AKIA3EXAMPLE${String(n).padStart(8, '0')}`,
});
const queued = (n: number): QueuedDelta => ({
  at: AT,
  findingId: `f${n}`,
  delta: { buckets: [], addresses: [], principals: [{ ...user(100 + n), addedBy: { findingId: `f${n}`, at: AT } }] },
});

/** An incident holding `count` principals, the seed's first. */
function holding(count: number): IncidentRecord {
  const seed = normalizeFinding(guardDutyEvent()).incident as Incident;
  const principals = [seed.principal, ...Array.from({ length: count - 1 }, (_, n) => user(n))];
  return {
    incidentId: '20260223-16e8db698d27',
    status: 'contained',
    createdAt: AT,
    updatedAt: AT,
    executionName: 'e',
    incident: { ...seed, principals },
    findingIds: [seed.findingId],
  } as IncidentRecord;
}

describe('queued principals near the bound of an incident', () => {
  it('as many as fit are added and the rest are named, none dropped silently', () => {
    const record = holding(MAX_PRINCIPALS - 1);
    const round = roundOf(record, [queued(1), queued(2)]);

    const incident = widened(record, round.delta);
    const beyond = principalsBeyond(record.incident, round.delta.principals);

    expect(incident.principals).toHaveLength(MAX_PRINCIPALS);
    expect(incident.principals?.at(-1)?.arn).toBe(user(101).arn);
    expect(beyond.map((principal) => principal.arn)).toEqual([user(102).arn]);
  });

  it('a principal queued twice is added once', () => {
    const record = holding(2);
    const again: QueuedDelta = {
      at: AT,
      findingId: 'f1-again',
      delta: { buckets: [], addresses: [], principals: [{ ...user(101), addedBy: { findingId: 'f1-again', at: AT } }] },
    };
    const round = roundOf(record, [queued(1), again]);

    expect(widened(record, round.delta).principals).toHaveLength(3);
  });
});
