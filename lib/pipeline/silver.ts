import type { Lake } from '../lake/lake.js';
import { parquetToColumns, type ColumnBatch } from '../lake/parquet.js';
import { createEvaluator, type QuarantinedRow } from '../quality/index.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import type { DqReportStore } from '../state/dqReports.js';
import type { DataHorizon } from '../state/horizon.js';
import type { RunLedger } from '../state/runs.js';
import { reportOf, type DqReport } from '../quality/report.js';
import { bronzeTable, type BronzeCommit } from './bronze.js';
import { SILVER_TABLES, SNAPSHOT, partitionDate, quarantineTable } from './silverTables.js';
import { latestVersions, standardizeBatches, type Standards } from './standardize.js';
import { DAY_MS, dayStart, isoDay } from '../calendar/days.js';

/** What silver learns once per process: mappings and the patient-id hasher. */
export type StaticStandards = Omit<Standards, 'deviceSites'>;

export interface SilverDeps {
  readonly lake: Lake;
  readonly ledger: RunLedger;
  readonly dqReports: DqReportStore;
  readonly standards: StaticStandards;
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

async function readBronzeUnit(lake: Lake, commit: BronzeCommit): Promise<ColumnBatch[]> {
  const table = bronzeTable(commit.table);
  const files = (await lake.partitionFiles(table, commit.partition)).filter((f) => f.unit === commit.unit);
  const batches: ColumnBatch[] = [];
  for (const file of files) batches.push(parquetToColumns(await lake.readFile(table, commit.partition, file.name)));
  return batches;
}

function readSnapshot(lake: Lake, table: LimsTableName): Promise<readonly Row[]> {
  return lake.readSnapshotRows(SILVER_TABLES[table], SNAPSHOT);
}

function groupByPartition(table: LimsTableName, rows: readonly Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  const silver = SILVER_TABLES[table];
  for (const row of rows) {
    const value = silver.partitionValueOf(row);
    let group = groups.get(value);
    if (!group) groups.set(value, (group = []));
    group.push(row);
  }
  return groups;
}

/** Longest a re-run result is looked for in earlier days: corrections come within days. */
const MOVED_RESULT_DAYS = 31;

/**
 * Day partitions (other than its own) where an earlier version of each result may sit, with the
 * modified_at that supersedes it there. A re-run re-sets resulted_at but never received_at, so an
 * earlier version was resulted between receipt and this version's modification. Only lab results
 * move: the other tables' event times do not change between versions.
 */
function earlierVersionPlaces(table: LimsTableName, rows: readonly Row[]): Map<string, Map<string, number>> {
  const places = new Map<string, Map<string, number>>();
  if (table !== 'lab_results') return places;
  const silver = SILVER_TABLES[table];
  for (const row of rows) {
    const from = row.received_at ?? row.resulted_at;
    const to = row.modified_at;
    if (typeof from !== 'number' || typeof to !== 'number') continue;
    const own = silver.partitionValueOf(row);
    const firstDay = Math.max(dayStart(from), dayStart(to) - MOVED_RESULT_DAYS * DAY_MS);
    for (let day = firstDay; day <= to; day += DAY_MS) {
      const value = isoDay(day);
      if (value === own) continue;
      let newer = places.get(value);
      if (!newer) places.set(value, (newer = new Map()));
      newer.set(String(row[silver.key]), to);
    }
  }
  return places;
}

function quarantineRows(quarantined: readonly QuarantinedRow[]): Row[] {
  return quarantined.map(({ row, rules }) => ({ ...row, dq_rules: rules.join(',') }));
}

function eventDays(rows: readonly Row[]): string[] {
  const days = new Set<string>();
  for (const row of rows) {
    if (typeof row.started_at === 'number') days.add(isoDay(row.started_at));
  }
  return [...days].sort();
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
  const bronze = await readBronzeUnit(deps.lake, commit);
  const rowsIn = bronze.reduce((sum, batch) => sum + batch.length, 0);
  const devices = table === 'devices' ? [] : await readSnapshot(deps.lake, 'devices');
  if (table !== 'devices' && devices.length === 0 && rowsIn > 0) {
    // Everything would be quarantined as an unknown device: wait (retry) for the devices instead.
    throw new Error(`silver devices is empty: ${table} waits until the devices table has been standardized`);
  }
  const deviceSites = new Map(devices.map((d) => [String(d.device_id), String(d.site_id)]));
  const standardized = standardizeBatches(table, bronze, { ...deps.standards, deviceSites });
  const evaluation = createEvaluator(table, { nowMs: deps.now?.() ?? Date.now(), deviceIds: new Set(deviceSites.keys()) })(standardized);
  const silver = SILVER_TABLES[table];
  const passed = latestVersions(evaluation.passed, silver.key);
  const dates: string[] = [];
  for (const [value, rows] of groupByPartition(table, passed)) {
    const partition = { [silver.partitionColumn]: value };
    await deps.lake.upsertPartition(silver, partition, `silver-${commit.unit}`, rows, silver.key);
    const date = partitionDate(partition);
    if (date) dates.push(date);
  }
  for (const [value, newer] of earlierVersionPlaces(table, passed)) {
    const marked = await deps.lake.markSuperseded(silver, { [silver.partitionColumn]: value }, `silver-${commit.unit}`, newer, silver.key);
    if (marked > 0 && !dates.includes(value)) dates.push(value);
  }
  if ((table === 'lab_results' || table === 'device_logs') && dates.length > 0) await deps.horizon.advanceTo(dates.reduce((a, b) => (a > b ? a : b)));
  // A rerun that now quarantines nothing must still drop the unit's earlier quarantine files.
  const quarantine = quarantineTable(table);
  const earlier = (await deps.lake.partitionFiles(quarantine, commit.partition)).some((f) => f.unit === commit.unit);
  if (evaluation.quarantined.length > 0 || earlier) {
    await deps.lake.writePartition(quarantine, commit.partition, commit.unit, quarantineRows(evaluation.quarantined), 'append');
  }
  const report = reportOf(table, evaluation);
  await deps.dqReports.record(`${table}-${commit.unit}`, report);
  await deps.onSilverChanged?.({ table, dates: dates.sort(), eventDates: table === 'maintenance_events' ? eventDays(passed) : [] });
  return { table, rowsIn, rowsOut: passed.length, quarantined: evaluation.quarantined.length, report };
}
