import { DynamoLifecycleStore } from './dynamodb-lifecycle.js';
import type { Item } from './dynamodb-table.js';
import {
  SWEEP_ATTRIBUTE,
  SWEEP_INDEX,
  SWEEP_MIGRATION_KEY,
  SWEEP_MIGRATION_SETTLE_MINUTES,
  SWEEP_VALUE,
} from './sweep-index.js';
import type { SweepCandidate, SweepStore } from './types.js';

const INCIDENT_PREFIX = 'INCIDENT#';

/** The incident of an incident record's item (`INCIDENT#<id>`), or nothing for any other item. */
function candidate(item: Item): SweepCandidate[] {
  const pk = String(item.pk);
  return pk.startsWith(INCIDENT_PREFIX) ? [{ incidentId: pk.slice(INCIDENT_PREFIX.length) }] : [];
}

/** What the sweep may act on: not closed, or closed with the closing part pending. */
const MAY_SWEEP = '(attribute_not_exists(#closure) OR attribute_exists(#pending))';

/** The lifecycle store with the close sweep's listing: the store of the close function. */
export class DynamoSweepStore extends DynamoLifecycleStore implements SweepStore {
  /**
   * One Query of the sweep index (keys only, all pages) once the table is marked migrated; until
   * then the earlier filtered Scan of the incident records, which adds `sweep` to each one found
   * without it, and marks the table migrated once scans have found none for
   * `SWEEP_MIGRATION_SETTLE_MINUTES`.
   */
  async listIncidentsToSweep(now: string): Promise<SweepCandidate[]> {
    const migration = await this.table.get(SWEEP_MIGRATION_KEY);
    if (typeof migration?.migratedAt === 'string') {
      const indexed = await this.table.queryIndex(SWEEP_INDEX, SWEEP_ATTRIBUTE, SWEEP_VALUE);
      return indexed.filter((item) => item.sk === 'META').flatMap(candidate);
    }
    const scanned = await this.table.scan({
      FilterExpression: `sk = :meta AND begins_with(pk, :incident) AND ${MAY_SWEEP}`,
      ProjectionExpression: 'pk, #sweep',
      ExpressionAttributeNames: {
        '#sweep': SWEEP_ATTRIBUTE,
        '#closure': 'closure',
        '#pending': 'closureReportPending',
      },
      ExpressionAttributeValues: { ':meta': 'META', ':incident': INCIDENT_PREFIX },
    });
    let clean = true;
    for (const item of scanned) {
      if (item[SWEEP_ATTRIBUTE] !== undefined) continue;
      clean = false;
      // A refused write leaves the record as it was: this sweep still has it, and the next scan
      // tries again (the table is not marked migrated while any record lacks the key).
      await this.addSweepKey(String(item.pk)).catch(() => undefined);
    }
    await this.recordMigrationScan(migration, clean, now);
    return scanned.flatMap(candidate);
  }

  /** Adds `sweep` to a record written before the index, while the sweep may still act on it (else nothing). */
  private async addSweepKey(pk: string): Promise<void> {
    await this.table.update(
      { pk, sk: 'META' },
      {
        UpdateExpression: 'SET #sweep = :sweep',
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#sweep) AND ${MAY_SWEEP}`,
        ExpressionAttributeNames: {
          '#sweep': SWEEP_ATTRIBUTE,
          '#closure': 'closure',
          '#pending': 'closureReportPending',
        },
        ExpressionAttributeValues: { ':sweep': SWEEP_VALUE },
        ReturnValues: 'NONE',
      },
    );
  }

  /**
   * A scan that found a record without `sweep` starts the count again; one that found none starts
   * it (`cleanSince`), or, `SWEEP_MIGRATION_SETTLE_MINUTES` after it started, marks the table migrated.
   */
  private async recordMigrationScan(migration: Item | undefined, clean: boolean, now: string): Promise<void> {
    const since = typeof migration?.cleanSince === 'string' ? migration.cleanSince : undefined;
    if (!clean) {
      if (since !== undefined) await this.table.put({ ...SWEEP_MIGRATION_KEY });
      return;
    }
    if (since === undefined) {
      await this.table.put({ ...SWEEP_MIGRATION_KEY, cleanSince: now });
      return;
    }
    if (Date.parse(now) - Date.parse(since) >= SWEEP_MIGRATION_SETTLE_MINUTES * 60_000) {
      await this.table.put({ ...SWEEP_MIGRATION_KEY, cleanSince: since, migratedAt: now });
    }
  }
}
