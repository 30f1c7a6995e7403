import type { Lake } from '../lake/lake.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import type { DqReportStore } from '../state/dqReports.js';
import type { DataHorizon } from '../state/horizon.js';
import type { RunLedger } from '../state/runs.js';
import type { DqReport } from '../quality/report.js';
import { bronzeTable, type BronzeCommit } from './bronze.js';
import { SILVER_TABLES, SNAPSHOT, partitionDate, quarantineTable } from './silverTables.js';
import type { PreparedSilver, SilverInput } from './silverPrepare.js';

export interface SilverDeps {
  readonly lake: Lake;
  readonly ledger: RunLedger;
  readonly dqReports: DqReportStore;
  /** The unit's CPU: decode, standardize, check, encode (PipelineCompute.silver). */
  readonly prepare: (input: SilverInput) => Promise<PreparedSilver>;
  readonly horizon: DataHorizon;
  /** Told which silver days a unit changed (the gold stage listens). */
  readonly onSilverChanged?: (change: SilverChange) => Promise<void>;
  readonly now?: () => number;
}

export interface SilverChange {
  readonly table: LimsTableName;
  /** Event days rewritten; empty for the snapshot tables. */
  readonly dates: readonly string[];
  /** Event days of maintenance events touched (they move features around them). */
  readonly eventDates: readonly string[];
}

export interface SilverResult {
  readonly table: LimsTableName;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly quarantined: number;
  readonly report: DqReport;
}

/** The unit's bronze files, undecoded (decoding is the compute's work). */
async function readBronzeFiles(lake: Lake, commit: BronzeCommit): Promise<{ files: Uint8Array[]; rows: number }> {
  const table = bronzeTable(commit.table);
  const listed = (await lake.partitionFiles(table, commit.partition)).filter((f) => f.unit === commit.unit);
  const files: Uint8Array[] = [];
  for (const file of listed) files.push(await lake.readFile(table, commit.partition, file.name));
  return { files, rows: listed.reduce((sum, f) => sum + f.rows, 0) };
}

function readSnapshot(lake: Lake, table: LimsTableName): Promise<readonly Row[]> {
  return lake.readSnapshotRows(SILVER_TABLES[table], SNAPSHOT);
}

/**
 * Silver for one committed bronze unit: standardize, check the data-quality rules, quarantine
 * the rows that break them (with the rules' names), and merge the rest into their silver
 * partitions, where the latest version of each key wins. Re-running a unit gives the same silver.
 */
export async function silverForBronzeUnit(deps: SilverDeps, commit: BronzeCommit): Promise<SilverResult> {
  const run = await deps.ledger.start('silver', `${commit.table}:${commit.unit}`);
  try {
    const result = await standardizeUnit(deps, commit);
    await run.succeed({ rowsIn: result.rowsIn, rowsOut: result.rowsOut });
    return result;
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}

async function standardizeUnit(deps: SilverDeps, commit: BronzeCommit): Promise<SilverResult> {
  const { table } = commit;
  const bronze = await readBronzeFiles(deps.lake, commit);
  const devices = table === 'devices' ? [] : await readSnapshot(deps.lake, 'devices');
  if (table !== 'devices' && devices.length === 0 && bronze.rows > 0) {
    // Everything would be quarantined as an unknown device: wait (retry) for the devices instead.
    throw new Error(`silver devices is empty: ${table} waits until the devices table has been standardized`);
  }
  const deviceSites = new Map(devices.map((d) => [String(d.device_id), String(d.site_id)]));
  const prepared = await deps.prepare({ table, files: bronze.files, deviceSites, nowMs: deps.now?.() ?? Date.now() });
  const silver = SILVER_TABLES[table];
  const dates: string[] = [];
  for (const { value, file } of prepared.partitions) {
    const partition = { [silver.partitionColumn]: value };
    await deps.lake.upsertPartition(silver, partition, `silver-${commit.unit}`, file, silver.key, commit.rebuild ? 'replace' : 'keep');
    const date = partitionDate(partition);
    if (date) dates.push(date);
  }
  for (const [value, newer] of prepared.earlierVersions) {
    const marked = await deps.lake.markSuperseded(silver, { [silver.partitionColumn]: value }, `silver-${commit.unit}`, newer, silver.key);
    if (marked > 0 && !dates.includes(value)) dates.push(value);
  }
  if ((table === 'lab_results' || table === 'device_logs') && dates.length > 0) await deps.horizon.advanceTo(dates.reduce((a, b) => (a > b ? a : b)));
  // A rerun that now quarantines nothing must still drop the unit's earlier quarantine files.
  const quarantine = quarantineTable(table);
  const earlier = (await deps.lake.partitionFiles(quarantine, commit.partition)).some((f) => f.unit === commit.unit);
  if (prepared.quarantined.length > 0 || earlier) {
    await deps.lake.writePartition(quarantine, commit.partition, commit.unit, prepared.quarantined, 'append');
  }
  await deps.dqReports.record(`${table}-${commit.unit}`, prepared.report);
  await deps.onSilverChanged?.({ table, dates: dates.sort(), eventDates: prepared.eventDates });
  return { table, rowsIn: prepared.rowsIn, rowsOut: prepared.rowsOut, quarantined: prepared.quarantined.length, report: prepared.report };
}
