import { describe, expect, it } from 'vitest';
import type { Delta } from '../../handlers/register-incident/delta.js';
import { MAX_QUEUED_BUCKETS, MAX_ROUND_BUCKETS, roundOf, toQueue } from '../../handlers/register-incident/queue.js';
import { normalizeFinding } from '../../handlers/shared/schemas/normalize.js';
import type { IncidentRecord, QueuedDelta } from '../../handlers/shared/store/types.js';
import { guardDutyEvent } from '../support/fixtures.js';

const seedIncident = () => {
  const normalized = normalizeFinding(guardDutyEvent());
  if (normalized.status !== 'accepted') throw new Error('the seed finding is accepted');
  return normalized.incident;
};

const HOME = 'customer-records';

function record(queued: QueuedDelta[] = []): IncidentRecord {
  const incident = { ...seedIncident(), buckets: [HOME] };
  return {
    incidentId: '20260223-16e8db698d27',
    status: 'awaiting_approval',
    createdAt: '2026-02-23T04:17:00.000Z',
    updatedAt: '2026-02-23T04:17:00.000Z',
    executionName: 'exec-1',
    incident,
    findingIds: [incident.findingId],
    queuedDeltas: queued,
  };
}

const entry = (buckets: unknown[], extra: Record<string, unknown> = {}): QueuedDelta => ({
  at: '2026-02-23T04:20:00.000Z',
  findingId: `f-${String(buckets[0])}`,
  delta: { buckets, addresses: [], ...extra },
});

const bucketNames = (count: number, prefix = 'b') =>
  Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(3, '0')}`);

describe('what a pending request queues', () => {
  it('queues the buckets not yet queued, at most the per-signal bound, and new addresses once', () => {
    const adds: Delta = {
      buckets: ['already-queued', ...bucketNames(MAX_QUEUED_BUCKETS + 3)],
      addresses: ['185.220.101.9'],
    };

    const first = toQueue(record([entry(['already-queued'])]), adds);
    const again = toQueue(record([entry(['already-queued'], { addresses: ['45.155.205.23'] })]), adds);

    expect(first.delta.addresses).toEqual(['185.220.101.9']);
    expect(first.delta.buckets).toEqual(bucketNames(MAX_QUEUED_BUCKETS));
    expect(first.clipped).toEqual(bucketNames(MAX_QUEUED_BUCKETS + 3).slice(MAX_QUEUED_BUCKETS));
    // A round already queued for addresses plans from every address the incident knows then.
    expect(again.delta.addresses).toEqual([]);
  });
});

describe('one round of the queue', () => {
  it('asks at most the per-round bound and leaves the rest queued, in order', () => {
    const entries = [entry(bucketNames(15, 'x')), entry(bucketNames(10, 'y')), entry(['z-000'])];

    const round = roundOf(record(), entries);

    expect(round.taken).toEqual([entries[0]]);
    expect(round.rest).toEqual([entries[1], entries[2]]);
    expect(round.delta.buckets).toEqual(bucketNames(15, 'x'));
    expect(round.delta.buckets.length).toBeLessThanOrEqual(MAX_ROUND_BUCKETS);
  });

  it('leaves out a crafted bucket name and a bucket the incident already names, and counts the crafted one', () => {
    const entries = [entry(['<!channel>', 'evil\n*bold*', HOME, 'new-bucket'])];

    const round = roundOf(record(), entries);

    expect(round.delta.buckets).toEqual(['new-bucket']);
    expect(round.invalid).toBe(2);
  });

  it('carries the other fields of a delta along, merged without repeats', () => {
    const principal = { arn: 'arn:aws:iam::123456789012:user/other' };
    const entries = [entry(['b-1'], { principals: [principal] }), entry(['b-2'], { principals: [principal] })];

    const round = roundOf(record(), entries);

    expect((round.delta as unknown as { principals: unknown[] }).principals).toEqual([principal]);
    expect(round.delta.buckets).toEqual(['b-1', 'b-2']);
  });
});
