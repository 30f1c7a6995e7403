import { encodeKeyedBatch, type KeyedFile } from '../lake/lake.js';
import { concatBatches, distinctRows, numberAt, parquetToColumns, rowsOfColumns, selectRows, textAt, textCodes, type ColumnBatch } from '../lake/parquet.js';
import { createPositionEvaluator, type PositionEvaluation } from '../quality/index.js';
import { reportOf, type DqReport } from '../quality/report.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import { DAY_MS, dayStart, isoDay } from '../calendar/days.js';
import { CURRENT, SILVER_TABLES, UNKNOWN_DAY, type SilverTable } from './silverTables.js';
import { bronzeColumnsRead, standardizeBatch, type Standards } from './standardize.js';

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
  const silver = SILVER_TABLES[table];
  const bronze = concatBatches(input.files.map((file) => parquetToColumns(file, bronzeColumnsRead(table))));
  const standardized = standardizeBatch(table, bronze, { ...standards, deviceSites: input.deviceSites });
  const evaluation = createPositionEvaluator(table, { nowMs: input.nowMs, deviceIds: new Set(input.deviceSites.keys()) }).evaluate(standardized);
  const passed = latestVersions(standardized, evaluation.passed, silver.key);
  const partitions = [...positionsByPartition(silver, standardized, passed)].map(([value, positions]) => ({
    value,
    file: encodeKeyedBatch(silver, selectRows(standardized, Int32Array.from(positions)), silver.key),
  }));
  return {
    rowsIn: standardized.length,
    rowsOut: passed.length,
    partitions,
    quarantined: quarantineRows(standardized, evaluation.quarantined),
    report: reportOf(table, evaluation),
    earlierVersions: earlierVersionPlaces(silver, standardized, passed),
    eventDates: table === 'maintenance_events' ? eventDays(standardized, passed) : [],
  };
}

/**
 * Latest version per key among the rows at `positions`: `modified_at` decides, a later row wins a
 * tie (exact duplicates collapse). Ascending. Keys are numbered first (ids kept as bytes without
 * a string each), then each number keeps its newest row.
 */
function latestVersions(batch: ColumnBatch, positions: Int32Array, key: string): Int32Array {
  const modified = numberAt(batch, 'modified_at');
  const codes = keyCodes(batch, key);
  // By code + 1: a null key is a key of its own (rules quarantine it before this, by default).
  const newest = new Int32Array(batch.length + 1).fill(-1);
  let lost: Uint8Array | undefined;
  for (let i = 0; i < positions.length; i++) {
    const position = positions[i]!;
    const code = codes[position]! + 1;
    const current = newest[code]!;
    if (current < 0) {
      newest[code] = position;
      continue;
    }
    lost ??= new Uint8Array(batch.length);
    // A missing modified_at never wins (the data-quality rules quarantine it anyway).
    const newer = (modified(position) ?? -Infinity) >= (modified(current) ?? -Infinity);
    lost[newer ? current : position] = 1;
    if (newer) newest[code] = position;
  }
  // Usually each key comes once: the positions are the answer as they are.
  if (!lost) return positions;
  const kept = new Int32Array(positions.length);
  let count = 0;
  for (let i = 0; i < positions.length; i++) if (lost[positions[i]!] === 0) kept[count++] = positions[i]!;
  return kept.subarray(0, count);
}

/** A number per distinct key of each row (-1 for null): from its bytes, its codes, or its values. */
function keyCodes(batch: ColumnBatch, key: string): Int32Array {
  const bytes = batch.bytes?.[key];
  if (bytes) return distinctRows(bytes).codes;
  return textCodes(batch, key).codes;
}

/** Each row's event day (UTC day start): of the first of the table's event-time columns that is not null; NaN for none. */
function eventDayAt(table: SilverTable, batch: ColumnBatch): (position: number) => number {
  const columns = table.eventTimes.map((name) => numberAt(batch, name));
  return (position) => {
    for (const column of columns) {
      const value = column(position);
      if (value !== null) return dayStart(value);
    }
    return NaN;
  };
}

/** Positions of the rows by the value of their silver partition (an event day, or the snapshot). */
function positionsByPartition(table: SilverTable, batch: ColumnBatch, positions: Int32Array): Map<string, number[]> {
  if (table.eventTimes.length === 0) return new Map(positions.length > 0 ? [[CURRENT, Array.from(positions)]] : []);
  const dayAt = eventDayAt(table, batch);
  const byDay = new Map<number, number[]>();
  for (const position of positions) {
    const day = dayAt(position);
    let group = byDay.get(day);
    if (!group) byDay.set(day, (group = []));
    group.push(position);
  }
  return new Map([...byDay].map(([day, group]) => [Number.isNaN(day) ? UNKNOWN_DAY : isoDay(day), group]));
}

/** Longest a re-run result is looked for in earlier days: corrections come within days. */
const MOVED_RESULT_DAYS = 31;

/**
 * Day partitions (other than its own) where an earlier version of each result may sit, with the
 * modified_at that supersedes it there. A re-run re-sets resulted_at but never received_at, so an
 * earlier version was resulted between receipt and this version's modification. Only lab results
 * move: the other tables' event times do not change between versions.
 */
function earlierVersionPlaces(table: SilverTable, batch: ColumnBatch, positions: Int32Array): Map<string, Map<string, number>> {
  if (table.source !== 'lab_results') return new Map();
  // By day start while going through the rows: one date string per day, not per row.
  const places = new Map<number, Map<string, number>>();
  const [received, resulted, modified] = ['received_at', 'resulted_at', 'modified_at'].map((name) => numberAt(batch, name));
  const keyAt = textAt(batch, table.key);
  const dayAt = eventDayAt(table, batch);
  for (const position of positions) {
    const from = received!(position) ?? resulted!(position);
    const to = modified!(position);
    if (from === null || to === null) continue;
    const own = dayAt(position);
    const firstDay = Math.max(dayStart(from), dayStart(to) - MOVED_RESULT_DAYS * DAY_MS);
    for (let day = firstDay; day <= to; day += DAY_MS) {
      if (day === own) continue;
      let newer = places.get(day);
      if (!newer) places.set(day, (newer = new Map()));
      newer.set(String(keyAt(position)), to);
    }
  }
  return new Map([...places].map(([day, newer]) => [isoDay(day), newer]));
}

/** Quarantined rows in their silver shape, with the rules they broke. */
function quarantineRows(batch: ColumnBatch, quarantined: PositionEvaluation['quarantined']): Row[] {
  const rows = rowsOfColumns(batch, quarantined.map((q) => q.position));
  return rows.map((row, i) => ({ ...row, dq_rules: quarantined[i]!.rules.join(',') }));
}

function eventDays(batch: ColumnBatch, positions: Int32Array): string[] {
  const started = numberAt(batch, 'started_at');
  const days = new Set<string>();
  for (const position of positions) {
    const value = started(position);
    if (value !== null) days.add(isoDay(value));
  }
  return [...days].sort();
}
