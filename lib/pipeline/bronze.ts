import { createHash } from 'node:crypto';
import type { Lake, LakeTable } from '../lake/lake.js';
import { LIMS_TABLES, LIMS_TABLE_NAMES, compareToWatermark, type LimsTableName, type Row, type TableSpec, type Watermark } from '../sources/schema.js';
import type { LimsSource } from '../sources/source.js';
import type { RunLedger } from '../state/runs.js';
import type { IngestState, WatermarkStore } from '../state/watermarks.js';

/** Bronze: raw LIMS rows, exactly as the source had them, partitioned by ingestion day. */
export function bronzeTable(name: LimsTableName): LakeTable {
  return { zone: 'bronze', name, columns: LIMS_TABLES[name].columns };
}

export interface BronzeCommit {
  readonly table: LimsTableName;
  readonly partition: { readonly ingest_date: string };
  readonly unit: string;
  readonly rows: number;
  /** Set by `lims-mlops silver --rebuild`: silver rewrites the rows whose version it already holds. */
  readonly rebuild?: boolean;
}

export interface BronzeDeps {
  readonly source: LimsSource;
  readonly lake: Lake;
  readonly watermarks: WatermarkStore;
  readonly ledger: RunLedger;
  /** Told after each committed page (the silver stage listens). */
  readonly onCommit?: (commit: BronzeCommit) => Promise<void>;
  readonly now?: () => Date;
}

export interface IngestOptions {
  readonly pageSize: number;
  readonly overlapMinutes: number;
  readonly tables?: readonly LimsTableName[];
  readonly onProgress?: (table: LimsTableName, rowsSoFar: number) => void;
}

export interface TableIngestResult {
  readonly table: LimsTableName;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly pages: number;
}

/**
 * Compact fingerprint of a row version, remembered while inside the overlap window:
 * `<modified_at base 36>:<hash of the key>` so that entries can be pruned by time.
 */
function versionKey(row: Row, spec: TableSpec): string {
  const modifiedAt = row[spec.modifiedColumn] as number;
  const hash = createHash('sha1').update(String(row[spec.key])).digest('base64url').slice(0, 12);
  return `${modifiedAt.toString(36)}:${hash}`;
}

function versionTime(entry: string): number {
  return parseInt(entry.slice(0, entry.indexOf(':')), 36);
}

function positionOf(row: Row, spec: TableSpec): Watermark {
  return { modifiedAt: row[spec.modifiedColumn] as number, key: String(row[spec.key]) };
}

function later(a: Watermark | null, b: Watermark): Watermark {
  if (!a) return b;
  if (a.modifiedAt !== b.modifiedAt) return a.modifiedAt > b.modifiedAt ? a : b;
  return a.key >= b.key ? a : b;
}

function ingestDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Incremental pull of one table: re-read the overlap window behind the watermark, skip row
 * versions already taken, write each page as one unit of work (files, then commit), and move
 * the watermark only after the commit. A crashed page is resumed under the same unit and
 * partition, so its files are replaced rather than duplicated.
 */
export async function ingestTable(deps: BronzeDeps, table: LimsTableName, options: IngestOptions): Promise<TableIngestResult> {
  const spec = LIMS_TABLES[table];
  const overlapMs = options.overlapMinutes * 60_000;
  const run = await deps.ledger.start('bronze', table);
  let state = await deps.watermarks.get(table);
  const partition = { ingest_date: state.pending?.partition ?? ingestDate(deps.now?.() ?? new Date()) };
  let cursor: Watermark | null = state.watermark ? { modifiedAt: state.watermark.modifiedAt - overlapMs, key: '' } : null;
  let rowsRead = 0;
  let rowsWritten = 0;
  let pages = 0;
  try {
    // The next page is read while this one is written, so source and lake work overlap.
    let nextPage = prefetch(deps.source, table, cursor, options.pageSize);
    for (;;) {
      const rows = await nextPage;
      if (rows.length === 0) break;
      rowsRead += rows.length;
      cursor = positionOf(rows[rows.length - 1]!, spec);
      const lastPage = rows.length < options.pageSize;
      nextPage = lastPage ? Promise.resolve([]) : prefetch(deps.source, table, cursor, options.pageSize);
      const fresh = unseenRows(rows, spec, state);
      const unit = state.pending?.unit ?? `${table}-${run.runId}-${String(pages).padStart(5, '0')}`;
      if (fresh.length > 0) {
        state = { ...state, pending: { unit, partition: partition.ingest_date } };
        await deps.watermarks.put(table, state);
        const writer = deps.lake.writer(bronzeTable(table), partition, unit);
        await writer.write(fresh);
        await writer.commit('append');
        rowsWritten += fresh.length;
      }
      state = advance(state, cursor, fresh, spec, overlapMs);
      await deps.watermarks.put(table, state);
      if (fresh.length > 0) await deps.onCommit?.({ table, partition, unit, rows: fresh.length });
      pages++;
      options.onProgress?.(table, rowsWritten);
      if (lastPage) break;
    }
    await run.succeed({ rowsIn: rowsRead, rowsOut: rowsWritten });
  } catch (error) {
    await run.fail(error, { rowsIn: rowsRead, rowsOut: rowsWritten });
    throw error;
  }
  return { table, rowsRead, rowsWritten, pages };
}

/** A page read started now; its failure is observed where it is awaited, not as unhandled. */
function prefetch(source: LimsSource, table: LimsTableName, after: Watermark | null, limit: number): Promise<Row[]> {
  const page = source.readPage(table, after, limit);
  page.catch(() => undefined);
  return page;
}

function unseenRows(rows: readonly Row[], spec: TableSpec, state: IngestState): Row[] {
  const mark = state.watermark;
  if (!mark) return [...rows];
  const seen = new Set(state.recentKeys);
  return rows.filter((row) => compareToWatermark(row, spec, mark) > 0 || !seen.has(versionKey(row, spec)));
}

/** New state after a committed page: watermark forward, overlap-window memory refreshed. */
function advance(state: IngestState, readUpTo: Watermark, fresh: readonly Row[], spec: TableSpec, overlapMs: number): IngestState {
  const watermark = later(state.watermark, readUpTo);
  const horizon = watermark.modifiedAt - overlapMs;
  const recent = new Set(state.recentKeys.filter((entry) => versionTime(entry) >= horizon));
  for (const row of fresh) {
    if ((row[spec.modifiedColumn] as number) >= horizon) recent.add(versionKey(row, spec));
  }
  return { watermark, recentKeys: [...recent], pending: null, updatedAt: null };
}

/** Silver maps the other tables' rows to sites through the devices, so these go first. */
export const REFERENCE_TABLES: readonly LimsTableName[] = ['devices', 'maintenance_events'];
export const EVENT_TABLES: readonly LimsTableName[] = ['quality_control', 'device_logs', 'lab_results'];
/** Reference tables first, so that silver knows the devices the other tables mention. */
export const INGESTION_ORDER: readonly LimsTableName[] = [...REFERENCE_TABLES, ...EVENT_TABLES];

/** Pulls every table (the timer's unit of work); tables run one after another to bound memory. */
export async function ingestAll(deps: BronzeDeps, options: IngestOptions): Promise<TableIngestResult[]> {
  const results: TableIngestResult[] = [];
  const tables = options.tables ?? LIMS_TABLE_NAMES;
  for (const table of INGESTION_ORDER.filter((t) => tables.includes(t))) results.push(await ingestTable(deps, table, options));
  return results;
}

/** The committed units of a table's bronze partitions with ingest dates in [from, to), oldest partition first. */
export async function bronzeUnits(lake: Lake, table: LimsTableName, from: string, to: string): Promise<BronzeCommit[]> {
  const commits: BronzeCommit[] = [];
  const partitions = (await lake.listPartitions(bronzeTable(table))).map((p) => p.ingest_date!).filter((day) => day >= from && day < to);
  for (const day of partitions.sort()) {
    const rowsByUnit = new Map<string, number>();
    for (const file of await lake.partitionFiles(bronzeTable(table), { ingest_date: day })) rowsByUnit.set(file.unit, (rowsByUnit.get(file.unit) ?? 0) + file.rows);
    for (const [unit, rows] of rowsByUnit) commits.push({ table, partition: { ingest_date: day }, unit, rows });
  }
  return commits;
}

/**
 * Re-pulls rows modified in [from, to) whatever the watermark (which it leaves alone), e.g.
 * after a mapping fix. Units are named after the range, so the same backfill run again on the
 * same day replaces its files. Silver de-duplicates versions already ingested.
 */
export async function backfillTable(deps: BronzeDeps, table: LimsTableName, from: Date, to: Date, options: IngestOptions): Promise<TableIngestResult> {
  const spec = LIMS_TABLES[table];
  const run = await deps.ledger.start('bronze-backfill', table);
  const partition = { ingest_date: ingestDate(deps.now?.() ?? new Date()) };
  const range = `${from.toISOString().slice(0, 10)}_${to.toISOString().slice(0, 10)}`;
  // Strictly after (from - 1 ms, highest key) means modified_at >= from.
  let cursor: Watermark = { modifiedAt: from.getTime() - 1, key: '\uffff' };
  let rowsRead = 0;
  let pages = 0;
  try {
    for (;;) {
      const rows = await deps.source.readPage(table, cursor, options.pageSize, to.getTime() - 1);
      if (rows.length === 0) break;
      const unit = `backfill-${table}-${range}-${String(pages).padStart(5, '0')}`;
      const writer = deps.lake.writer(bronzeTable(table), partition, unit);
      await writer.write(rows);
      await writer.commit('append');
      rowsRead += rows.length;
      await deps.onCommit?.({ table, partition, unit, rows: rows.length });
      cursor = positionOf(rows[rows.length - 1]!, spec);
      pages++;
      options.onProgress?.(table, rowsRead);
      if (rows.length < options.pageSize) break;
    }
    await run.succeed({ rowsIn: rowsRead, rowsOut: rowsRead });
  } catch (error) {
    await run.fail(error, { rowsIn: rowsRead, rowsOut: rowsRead });
    throw error;
  }
  return { table, rowsRead, rowsWritten: rowsRead, pages };
}
