import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetToRows, rowsToParquet } from '../lake/parquet.js';
import { LIMS_TABLES, LIMS_TABLE_NAMES, compareToWatermark, type LimsTableName, type Row, type Watermark } from '../sources/schema.js';
import type { LimsSource } from '../sources/source.js';
import { simulateLab, type SimulatedDay } from './lab.js';
import { isoDay } from '../calendar/days.js';
import { validateOptions, type SimulationOptions } from './options.js';
import { GroundTruthRecorder, type GroundTruth } from './truth.js';

/**
 * The simulated LIMS on disk: `<dir>/<table>/day=YYYY-MM-DD.part-NNNN.parquet` holding the rows
 * whose modified_at falls on that day (sorted by modified_at, key) in parts of at most
 * STORE_PART_ROWS rows, so that a reader's memory is bounded by a part, not by a day;
 * `meta.json` and `ground_truth.json`.
 */
const META_FILE = 'meta.json';
const TRUTH_FILE = 'ground_truth.json';
/** Bumped whenever the simulator's output changes, so stores written by older code are regenerated. */
const SIMULATOR_VERSION = 2;
const DAY_FILE = /^day=(\d{4}-\d{2}-\d{2})\.part-\d{4}\.parquet$/;
const STORE_PART_ROWS = 25_000;

interface StoreMeta {
  simulatorVersion: number;
  options: SimulationOptions;
  rows: Record<LimsTableName, number>;
}

export interface SimulatedStore {
  rows: Record<LimsTableName, number>;
  groundTruth: GroundTruth;
}

function zeroCounts(): Record<LimsTableName, number> {
  return Object.fromEntries(LIMS_TABLE_NAMES.map((t) => [t, 0])) as Record<LimsTableName, number>;
}

function sameOptions(a: SimulationOptions, b: SimulationOptions): boolean {
  return a.devices === b.devices && a.days === b.days && a.sites === b.sites && a.resultsPerDeviceDay === b.resultsPerDeviceDay && a.seed === b.seed && a.start === b.start;
}

async function readMeta(dir: string): Promise<StoreMeta | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, META_FILE), 'utf8')) as StoreMeta;
  } catch {
    return null;
  }
}

/**
 * Simulates the lab into `dir`. Written to a sibling temp folder and renamed into place at the
 * end, so a crash never leaves a half-written store; a store with the same options is reused.
 */
export async function writeSimulatedLims(
  options: SimulationOptions,
  dir: string,
  onProgress?: (daysDone: number, daysTotal: number, rowsWritten: number) => void,
): Promise<SimulatedStore> {
  validateOptions(options);
  const existing = await readMeta(dir);
  if (existing && existing.simulatorVersion === SIMULATOR_VERSION && sameOptions(existing.options, options)) {
    return { rows: existing.rows, groundTruth: readGroundTruth(dir) };
  }
  const temp = `${dir}.writing-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const recorder = new GroundTruthRecorder(options);
  const rows = zeroCounts();
  let daysDone = 0;
  let rowsWritten = 0;
  try {
    await Promise.all(LIMS_TABLE_NAMES.map((table) => mkdir(path.join(temp, table))));
    const days = simulateLab(options, recorder);
    for (let dayRows = await writeNextDay(days, temp); dayRows; dayRows = await writeNextDay(days, temp)) {
      for (const table of LIMS_TABLE_NAMES) {
        rows[table] += dayRows[table];
        rowsWritten += dayRows[table];
      }
      onProgress?.(++daysDone, options.days, rowsWritten);
    }
    await writeFile(path.join(temp, TRUTH_FILE), JSON.stringify(recorder.truth, null, 1));
    const meta: StoreMeta = { simulatorVersion: SIMULATOR_VERSION, options: { ...options }, rows };
    await writeFile(path.join(temp, META_FILE), JSON.stringify(meta, null, 2));
    await replaceDir(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { rows, groundTruth: recorder.truth };
}

/**
 * Writes the next day's Parquet files and returns its row counts (null after the last day).
 * The day's rows are only referenced in here, so they can be collected before the next day is
 * generated: the store is written holding one day at a time.
 */
async function writeNextDay(days: Generator<SimulatedDay>, dir: string): Promise<Record<LimsTableName, number> | null> {
  const next = days.next();
  if (next.done) return null;
  const { day, tables } = next.value;
  const counts = zeroCounts();
  for (const table of LIMS_TABLE_NAMES) {
    counts[table] = tables[table].length;
    const rows = tables[table];
    for (let start = 0, part = 0; start < rows.length; start += STORE_PART_ROWS, part++) {
      const file = `day=${day}.part-${String(part).padStart(4, '0')}.parquet`;
      await writeFile(path.join(dir, table, file), rowsToParquet(LIMS_TABLES[table].columns, rows.slice(start, start + STORE_PART_ROWS)));
    }
  }
  return counts;
}

/** Moves `from` to `to`, replacing an older store (moved aside first, deleted after). */
async function replaceDir(from: string, to: string): Promise<void> {
  const old = `${to}.old-${process.pid}`;
  const hadOld = existsSync(to);
  if (hadOld) await rename(to, old);
  await rename(from, to);
  if (hadOld) await rm(old, { recursive: true, force: true });
}

function missingStore(dir: string, what: string): Error {
  return new Error(`No simulated LIMS store in ${path.resolve(dir)} (${what} missing): generate it first with writeSimulatedLims or \`lims-mlops simulate\``);
}

export function readGroundTruth(dir: string): GroundTruth {
  const file = path.join(dir, TRUTH_FILE);
  if (!existsSync(file)) throw missingStore(dir, TRUTH_FILE);
  return JSON.parse(readFileSync(file, 'utf8')) as GroundTruth;
}

/** Index of the first row strictly after `mark` in rows sorted by (modified_at, key). */
function firstAfter(rows: readonly Row[], table: LimsTableName, mark: Watermark): number {
  const spec = LIMS_TABLES[table];
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareToWatermark(rows[mid]!, spec, mark) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function sameVersion(a: Row, b: Row, key: string): boolean {
  return a.modified_at === b.modified_at && a[key] === b[key];
}

/**
 * The simulator's store as a LIMS source. Pages run over the day files from the watermark's day
 * on; only the last decoded day file is kept in memory. Exact duplicate rows share
 * (modified_at, key), which a watermark cannot tell apart, so a page never ends between two of
 * them: it may then hold a row or two more than `limit`.
 */
export class SimulatorSource implements LimsSource {
  readonly kind = 'simulator';
  /** Part files per table, in (day, part) order, with the day each holds. */
  private readonly files: Record<LimsTableName, { day: string; name: string }[]>;
  /** Last (modified_at, key) of each part already read: parts wholly before a watermark are skipped unread. */
  private readonly lastPosition = new Map<string, Watermark>();
  private cached: { file: string; rows: Row[] } | null = null;

  constructor(readonly dir: string) {
    if (!existsSync(path.join(dir, META_FILE))) throw missingStore(dir, META_FILE);
    this.files = Object.fromEntries(LIMS_TABLE_NAMES.map((table) => [table, this.listFiles(table)])) as SimulatorSource['files'];
  }

  private listFiles(table: LimsTableName): { day: string; name: string }[] {
    const folder = path.join(this.dir, table);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .flatMap((name) => {
        const day = DAY_FILE.exec(name)?.[1];
        return day === undefined ? [] : [{ day, name }];
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async readPage(table: LimsTableName, after: Watermark | null, limit: number, until?: number): Promise<Row[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`readPage limit must be a positive integer, got ${String(limit)}`);
    const spec = LIMS_TABLES[table];
    const firstDay = after ? isoDay(after.modifiedAt) : '';
    const lastDay = until === undefined ? null : isoDay(until);
    const page: Row[] = [];
    for (const { day, name } of this.files[table]) {
      if (day < firstDay) continue;
      if (lastDay !== null && day > lastDay) break;
      const file = path.join(table, name);
      const known = this.lastPosition.get(file);
      if (after && known && compareToWatermark({ modified_at: known.modifiedAt, [spec.key]: known.key }, spec, after) <= 0) continue;
      const rows = await this.partRows(file, spec.key);
      for (let i = after ? firstAfter(rows, table, after) : 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (until !== undefined && (row.modified_at as number) > until) return page;
        const previous = page[page.length - 1];
        if (page.length >= limit && !(previous && sameVersion(previous, row, spec.key))) return page;
        page.push(row);
      }
    }
    return page;
  }

  private async partRows(file: string, key: string): Promise<Row[]> {
    if (this.cached?.file === file) return this.cached.rows;
    this.cached = null; // let the previous part's rows go before decoding the next
    const rows = parquetToRows(await readFile(path.join(this.dir, file)));
    const last = rows[rows.length - 1];
    if (last) this.lastPosition.set(file, { modifiedAt: last.modified_at as number, key: String(last[key]) });
    this.cached = { file, rows };
    return rows;
  }

  async close(): Promise<void> {
    this.cached = null;
  }
}
