import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Lake, type LakeTable, type ManifestFile, type PartitionValues, type CommitMode, type Manifest } from '../lake/lake.js';
import { TABLES, CONTAINERS } from '../platform/resources.js';
import type { Storage } from '../platform/storage.js';
import type { EmbeddedAzurite } from '../platform/azurite.js';
import { RunLedger } from '../state/runs.js';
import { WatermarkStore } from '../state/watermarks.js';
import { MemorySource, deviceLogs } from '../../test/support/memorySource.js';
import { startTestStorage } from '../../test/support/storage.js';
import { backfillTable, bronzeTable, ingestTable, type BronzeDeps } from './bronze.js';

/** A lake whose first commit fails after the unit's files were written: a crash mid-write. */
class CrashingLake extends Lake {
  crashes = 1;
  override async commit(table: LakeTable, partition: PartitionValues, unit: string, files: readonly ManifestFile[], mode: CommitMode): Promise<Manifest> {
    if (this.crashes > 0 && files.length > 0) {
      this.crashes--;
      throw new Error('injected crash before commit');
    }
    return super.commit(table, partition, unit, files, mode);
  }
}

let azurite: EmbeddedAzurite;
let storage: Storage;
let scope = 0;

beforeAll(async () => ({ azurite, storage } = await startTestStorage()));
afterAll(async () => azurite.stop());

async function bronzeIds(lake: Lake): Promise<string[]> {
  const ids: string[] = [];
  for (const partition of await lake.listPartitions(bronzeTable('device_logs'))) {
    for await (const rows of lake.readPartition(bronzeTable('device_logs'), partition)) ids.push(...rows.map((r) => String(r.log_id)));
  }
  return ids.sort();
}

describe('bronze ingestion', () => {
  let deps: BronzeDeps;
  let source: MemorySource;
  let lake: CrashingLake;
  const options = { pageSize: 40, overlapMinutes: 10 };

  beforeEach(async () => {
    // Each test gets its own container and watermark scope on the shared Azurite.
    scope++;
    const container = storage.container(`${CONTAINERS.lake}-t${scope}`);
    await container.create();
    lake = new CrashingLake(container);
    lake.crashes = 0;
    source = new MemorySource();
    deps = {
      source,
      lake,
      watermarks: new WatermarkStore(storage.table(TABLES.watermarks), container, `test${scope}`),
      ledger: new RunLedger(storage.table(TABLES.runs)),
      now: () => new Date('2026-03-01T12:00:00Z'),
    };
  });

  it('ingests every row once, in pages, and a second run adds nothing', async () => {
    const rows = deviceLogs(130, Date.UTC(2026, 1, 1));
    source.insert('device_logs', rows);
    const first = await ingestTable(deps, 'device_logs', options);
    expect(first).toMatchObject({ rowsWritten: 130, pages: 4 });
    const second = await ingestTable(deps, 'device_logs', options);
    expect(second.rowsWritten).toBe(0);
    expect(await bronzeIds(lake)).toEqual(rows.map((r) => String(r.log_id)).sort());
    expect((await deps.watermarks.get('device_logs')).watermark).toEqual({ modifiedAt: rows[129]!.modified_at, key: 'L000129' });
  });

  it('a crash after files are written but before the commit leaves nothing visible; the rerun holds exactly the source rows', async () => {
    const rows = deviceLogs(100, Date.UTC(2026, 1, 1));
    source.insert('device_logs', rows);
    lake.crashes = 1;
    await expect(ingestTable(deps, 'device_logs', options)).rejects.toThrow('injected crash');
    const written = [];
    for await (const blob of lake.container.listBlobsFlat()) written.push(blob.name);
    expect(written.some((name) => name.endsWith('.parquet'))).toBe(true);
    expect(await bronzeIds(lake)).toEqual([]);
    expect((await lake.countRows(bronzeTable('device_logs'))).rows).toBe(0);

    await ingestTable(deps, 'device_logs', options);
    expect(await bronzeIds(lake)).toEqual(rows.map((r) => String(r.log_id)).sort());
    const leftovers = [];
    for await (const blob of lake.container.listBlobsFlat()) if (blob.name.endsWith('.parquet')) leftovers.push(blob.name);
    expect(leftovers).toHaveLength(3);
  });

  it('a crash between commit and watermark resumes the same unit: no duplicate, no loss', async () => {
    const rows = deviceLogs(100, Date.UTC(2026, 1, 1));
    source.insert('device_logs', rows);
    const watermarks = deps.watermarks;
    let puts = 0;
    // The 4th watermark write is the one after page 2's commit: fail it.
    const failing = Object.create(watermarks) as WatermarkStore;
    failing.put = async (table, state) => {
      if (++puts === 4) throw new Error('injected crash after commit');
      return watermarks.put(table, state);
    };
    await expect(ingestTable({ ...deps, watermarks: failing }, 'device_logs', options)).rejects.toThrow('after commit');
    await ingestTable(deps, 'device_logs', options);
    expect(await bronzeIds(lake)).toEqual(rows.map((r) => String(r.log_id)).sort());
  });

  it('rows committed late inside the overlap window are ingested once', async () => {
    const start = Date.UTC(2026, 1, 1, 8);
    source.insert('device_logs', deviceLogs(50, start));
    await ingestTable(deps, 'device_logs', options);
    // Committed now, but stamped 5 minutes before the watermark (inside the 10-minute overlap).
    const watermark = (await deps.watermarks.get('device_logs')).watermark!;
    const late = deviceLogs(3, watermark.modifiedAt - 5 * 60_000, 1000, 'LATE');
    source.insert('device_logs', late);
    const second = await ingestTable(deps, 'device_logs', options);
    expect(second.rowsWritten).toBe(3);
    const third = await ingestTable(deps, 'device_logs', options);
    expect(third.rowsWritten).toBe(0);
    const ids = await bronzeIds(lake);
    expect(ids).toHaveLength(53);
    expect(new Set(ids).size).toBe(53);
  });

  it('a source failure is recorded in the run ledger with its reason', async () => {
    source.insert('device_logs', deviceLogs(10, Date.UTC(2026, 1, 1)));
    source.failOnRead = 1;
    await expect(ingestTable(deps, 'device_logs', options)).rejects.toThrow('injected source failure');
    const [latest] = await deps.ledger.recent(1, 'bronze');
    expect(latest).toMatchObject({ status: 'failed', error: 'injected source failure', unit: 'device_logs' });
  });

  it('a backfill pulls a date range, leaves the watermark alone and replaces itself when rerun', async () => {
    const rows = deviceLogs(48, Date.UTC(2026, 1, 1), 3_600_000);
    source.insert('device_logs', rows);
    const range: [Date, Date] = [new Date('2026-02-01T06:00:00Z'), new Date('2026-02-01T12:00:00Z')];
    await backfillTable(deps, 'device_logs', ...range, options);
    await backfillTable(deps, 'device_logs', ...range, options);
    const ids = await bronzeIds(lake);
    expect(ids).toEqual(['L000006', 'L000007', 'L000008', 'L000009', 'L000010', 'L000011']);
    expect((await deps.watermarks.get('device_logs')).watermark).toBeNull();
  });
});
