import { encodeKeyedFile, type KeyedFile } from '../lake/lake.js';
import { parquetToColumns } from '../lake/parquet.js';
import { createEvaluator, type QuarantinedRow } from '../quality/index.js';
import { reportOf, type DqReport } from '../quality/report.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import { DAY_MS, dayStart, isoDay } from '../calendar/days.js';
import { SILVER_TABLES } from './silverTables.js';
import { bronzeColumnsRead, latestVersions, standardizeBatches, type Standards } from './standardize.js';

/**
 * The CPU of a silver unit, apart from its I/O: bronze files in, silver files out, encoded and
 * ready to upload. Pure, so it runs on a worker thread (compute.ts) while the main thread reads
 * and writes the lake.
 */
export interface SilverInput {
  readonly table: LimsTableName;
  /** The unit's bronze Parquet files. */
  readonly files: readonly Uint8Array[];
  /** device_id -> site_id of silver devices. */
  readonly deviceSites: ReadonlyMap<string, string>;
  readonly nowMs: number;
}

export interface PreparedSilver {
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** The passed rows, latest version per key, as one keyed file per silver partition value. */
  readonly partitions: readonly { readonly value: string; readonly file: KeyedFile }[];
  /** Quarantined rows in their silver shape, with the names of the rules they broke in `dq_rules`. */
  readonly quarantined: Row[];
  readonly report: DqReport;
  /** Days other than its own where an earlier version of a result may sit: day -> key -> superseding modified_at. */
  readonly earlierVersions: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Event days of maintenance events (they move the features around them). */
  readonly eventDates: readonly string[];
}

/** Silver's part of the standards that does not change within a process: mappings and the patient-id hasher. */
export type StaticStandards = Omit<Standards, 'deviceSites'>;

export function prepareSilver(input: SilverInput, standards: StaticStandards): PreparedSilver {
  const { table } = input;
  const bronze = input.files.map((file) => parquetToColumns(file, bronzeColumnsRead(table)));
  const standardized = standardizeBatches(table, bronze, { ...standards, deviceSites: input.deviceSites });
  const evaluation = createEvaluator(table, { nowMs: input.nowMs, deviceIds: new Set(input.deviceSites.keys()) })(standardized);
  const silver = SILVER_TABLES[table];
  const passed = latestVersions(evaluation.passed, silver.key);
  const partitions = [...groupByPartition(table, passed)].map(([value, rows]) => ({ value, file: encodeKeyedFile(silver, rows, silver.key) }));
  return {
    rowsIn: standardized.length,
    rowsOut: passed.length,
    partitions,
    quarantined: quarantineRows(evaluation.quarantined),
    report: reportOf(table, evaluation),
    earlierVersions: earlierVersionPlaces(table, passed),
    eventDates: table === 'maintenance_events' ? eventDays(passed) : [],
  };
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
