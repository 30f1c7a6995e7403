import { encodeKeyedBatch, type KeyedFile } from '../lake/lake.js';
import { concatBatches, distinctRows, numberAt, numbersOf, parquetToColumns, rowsOfColumns, selectRows, textAt, textCodes, type ColumnBatch } from '../lake/parquet.js';
import { createPositionEvaluator, type PositionEvaluation } from '../quality/index.js';
import { reportOf, type DqReport } from '../quality/report.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import { DAY_MS, isoDay } from '../calendar/days.js';
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
  const days = eventDayNumbers(silver, standardized);
  const partitions = [...positionsByPartition(silver, passed, days)].map(([value, positions]) => ({
    value,
    file: encodeKeyedBatch(silver, selectRows(standardized, positions), silver.key),
  }));
  return {
    rowsIn: standardized.length,
    rowsOut: passed.length,
    partitions,
    quarantined: quarantineRows(standardized, evaluation.quarantined),
    report: reportOf(table, evaluation),
    earlierVersions: earlierVersionPlaces(silver, standardized, passed, days),
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

/** Each row's event day (UTC day number) from the first of the table's event-time columns that is not null; NaN for none. */
function eventDayNumbers(table: SilverTable, batch: ColumnBatch): Float64Array {
  const days = new Float64Array(batch.length).fill(NaN);
  for (const name of [...table.eventTimes].reverse()) {
    const times = numbersOf(batch, name);
    for (let i = 0; i < days.length; i++) if (!Number.isNaN(times[i]!)) days[i] = Math.floor(times[i]! / DAY_MS);
  }
  return days;
}

/**
 * Positions of the rows by the value of their silver partition (an event day, or the snapshot).
 * Typed arrays throughout: this runs once a unit over every row, mostly before it is optimized.
 */
function positionsByPartition(table: SilverTable, positions: Int32Array, days: Float64Array): Map<string, Int32Array> {
  if (table.eventTimes.length === 0) return new Map(positions.length > 0 ? [[CURRENT, positions]] : []);
  // A Map keys NaN (no event day) as one value, like any day number.
  const groupOfDay = new Map<number, number>();
  const groupDays: number[] = [];
  const sizes: number[] = [];
  const group = new Int32Array(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const day = days[positions[i]!]!;
    let g = groupOfDay.get(day);
    if (g === undefined) {
      groupOfDay.set(day, (g = groupDays.push(day) - 1));
      sizes.push(0);
    }
    group[i] = g;
    sizes[g]!++;
  }
  const groups = sizes.map((size) => new Int32Array(size));
  const filled = new Int32Array(groupDays.length);
  for (let i = 0; i < positions.length; i++) groups[group[i]!]![filled[group[i]!]!++] = positions[i]!;
  return new Map(groupDays.map((day, g) => [Number.isNaN(day) ? UNKNOWN_DAY : isoDay(day * DAY_MS), groups[g]!]));
}

/** Longest a re-run result is looked for in earlier days: corrections come within days. */
const MOVED_RESULT_DAYS = 31;

/**
 * Day partitions (other than its own) where an earlier version of each result may sit, with the
 * modified_at that supersedes it there. A re-run re-sets resulted_at but never received_at, so an
 * earlier version was resulted between receipt and this version's modification. Only lab results
 * move: the other tables' event times do not change between versions.
 */
function earlierVersionPlaces(table: SilverTable, batch: ColumnBatch, positions: Int32Array, days: Float64Array): Map<string, Map<string, number>> {
  if (table.source !== 'lab_results') return new Map();
  // By day number while going through the rows: one date string per day, not per row.
  const places = new Map<number, Map<string, number>>();
  const received = numbersOf(batch, 'received_at');
  const resulted = numbersOf(batch, 'resulted_at');
  const modified = numbersOf(batch, 'modified_at');
  const keyAt = textAt(batch, table.key);
  for (let i = 0; i < positions.length; i++) {
    const position = positions[i]!;
    const from = Number.isNaN(received[position]!) ? resulted[position]! : received[position]!;
    const to = modified[position]!;
    if (Number.isNaN(from) || Number.isNaN(to)) continue;
    const own = days[position]!;
    const lastDay = Math.floor(to / DAY_MS);
    const firstDay = Math.max(Math.floor(from / DAY_MS), lastDay - MOVED_RESULT_DAYS);
    // Usually received, resulted and modified on its own day: no other day to look in.
    if (firstDay === lastDay && lastDay === own) continue;
    const key = String(keyAt(position));
    for (let day = firstDay; day <= lastDay; day++) {
      if (day === own) continue;
      let newer = places.get(day);
      if (!newer) places.set(day, (newer = new Map()));
      newer.set(key, to);
    }
  }
  return new Map([...places].map(([day, newer]) => [isoDay(day * DAY_MS), newer]));
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
