import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { downloadBlob, readBlob } from '../platform/blobs.js';
import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { CellValue, ColumnSpec, Row } from '../sources/schema.js';
import { columnData, columnOf, columnsToParquet, columnsToParquetFiles, parquetToColumns, rowsOfColumns, rowsToColumns, rowsToParquet, selectRows, textAt, type ColumnBatch } from './parquet.js';
import { SETTINGS } from '../config/settings.js';
import { KeyIndex, fnv1a, keyListOf, keyStart, type KeyList } from './keyIndex.js';

/**
 * The lake: Hive-style Parquet partitions in one container, made visible atomically.
 *
 * Data files are written first under unique names; a partition's `_manifest.json` is written
 * last with a conditional (ETag) upload and lists the files that make up the partition. Readers
 * only read files a manifest lists, so a crash mid-write leaves nothing visible, and a unit of
 * work that runs again replaces its own files instead of adding copies.
 */

export type Zone = 'bronze' | 'silver' | 'gold' | 'predictions' | 'quarantine';

export interface LakeTable {
  readonly zone: Zone;
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

/** Partition column values in path order, e.g. { ingest_date: '2026-03-01' }. */
export type PartitionValues = Readonly<Record<string, string>>;

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  /** The unit of work that wrote the file; a rerun of the unit replaces its files. */
  readonly unit: string;
  /** Rows of this file, by position, that a newer version of their key supersedes (merge on read). */
  readonly deletedRows?: readonly number[];
  /** The same by key, as manifests written before `deletedRows` name them: still honoured on read. */
  readonly deleted?: readonly string[];
  /**
   * A sidecar of a keyed file: its key and modified_at columns alone, which key indexes read
   * instead of the whole file (a tenth of the bytes of a lab_results file). Named `.keys`, so
   * a `*.parquet` glob of the table does not take it for data.
   */
  readonly keys?: string;
}

/** The blobs of a committed file: the data and its keys sidecar. */
function blobsOf(file: ManifestFile): string[] {
  return file.keys ? [file.name, file.keys] : [file.name];
}

/**
 * Rows encoded as one Parquet file, not yet stored. Encoding is pure work, so it can happen on a
 * worker thread, and the buffers move to the thread that uploads them.
 */
export interface EncodedFile {
  readonly rows: number;
  readonly data: Uint8Array;
  /** The keys sidecar (ManifestFile.keys) of a keyed file. */
  readonly keysData?: Uint8Array;
}

/** A keyed file, with each row's key and modified_at: what an upsert compares with the partition's versions. */
export interface KeyedFile extends EncodedFile {
  readonly keys: KeyList;
  readonly modifiedAt: Float64Array;
  readonly keysData: Uint8Array;
}

export function encodeFile(table: LakeTable, rows: readonly Row[]): EncodedFile {
  return { rows: rows.length, data: rowsToParquet(table.columns, rows) };
}

/** A batch of `table`'s columns as one Parquet file, not yet stored; coded text stays codes. */
export function encodeBatch(table: LakeTable, batch: ColumnBatch): EncodedFile {
  return { rows: batch.length, data: columnsToParquet(table.columns, columnData(batch)) };
}

/** A committed file's bytes, with what merge on read drops from it (rows of superseded keys). */
export interface StoredFile {
  readonly bytes: Uint8Array;
  readonly deletedRows?: readonly number[];
  /** Deleted rows by key (ManifestFile.deleted), and the key column they name. */
  readonly key?: string;
  readonly deleted?: readonly string[];
}

/** A stored file's live rows, as columns (all, or `columns`); rows deleted by key add the key column. */
export function decodeStoredFile(file: StoredFile, columns?: readonly string[]): ColumnBatch {
  const { key, deleted, deletedRows } = file;
  const byKey = deleted?.length && key ? { key, deleted: new Set(deleted) } : undefined;
  if (!deletedRows?.length && !byKey) return parquetToColumns(file.bytes, columns);
  const wanted = byKey && columns && !columns.includes(byKey.key) ? [...columns, byKey.key] : columns;
  const batch = parquetToColumns(file.bytes, wanted);
  const gone = rowFlags(batch.length, deletedRows);
  const keys = byKey ? columnOf(batch, byKey.key) : undefined;
  const live = new Int32Array(batch.length);
  let count = 0;
  for (let i = 0; i < batch.length; i++) if (gone[i] === 0 && !(keys && byKey!.deleted.has(String(keys[i])))) live[count++] = i;
  return selectRows(batch, live.subarray(0, count));
}

/** 1 at each of `rows` (positions in a file of `length` rows), 0 elsewhere. */
function rowFlags(length: number, rows: readonly number[] = []): Uint8Array {
  const flags = new Uint8Array(length);
  for (const row of rows) flags[row] = 1;
  return flags;
}

/** Rows as a keyed file of `table`, the columns taken from the rows once for the file and its sidecar. */
export function encodeKeyedFile(table: LakeTable, rows: readonly Row[], key: string): KeyedFile {
  return encodeKeyedBatch(table, { length: rows.length, columns: rowsToColumns(table.columns, rows) as Record<string, CellValue[]> }, key);
}

/** A batch of `table`'s columns as a keyed file: its file and sidecar share their encoded columns, coded text stays codes. */
export function encodeKeyedBatch(table: LakeTable, batch: ColumnBatch, key: string): KeyedFile {
  const sidecar = table.columns.filter((c) => c.name === key || c.name === 'modified_at');
  const [file, keysFile] = columnsToParquetFiles(table.columns, columnData(batch), [table.columns, sidecar]);
  const modified = batch.columns.modified_at;
  const modifiedAt = new Float64Array(batch.length);
  for (let i = 0; i < batch.length; i++) modifiedAt[i] = modified ? Number(modified[i]) : NaN;
  return { rows: batch.length, keys: keyListOfColumn(batch, key), modifiedAt, data: file!, keysData: keysFile! };
}

/** The keys of a batch's rows (a null key spelled 'null'); ASCII keys kept as bytes become the list's text in one call. */
function keyListOfColumn(batch: ColumnBatch, key: string): KeyList {
  const bytes = batch.bytes?.[key];
  const end = bytes && bytes.ends.length > 0 ? bytes.ends[bytes.ends.length - 1]! : 0;
  if (bytes && !bytes.present && isAscii(bytes.bytes.subarray(0, end))) {
    return { text: Buffer.from(bytes.bytes.buffer, bytes.bytes.byteOffset, end).toString('latin1'), ends: bytes.ends };
  }
  const keyAt = textAt(batch, key);
  return keyListOf(Array.from({ length: batch.length }, (_, i) => String(keyAt(i))));
}

export interface Manifest {
  readonly table: string;
  readonly partition: PartitionValues;
  readonly committedAt: string;
  readonly files: readonly ManifestFile[];
  /** The key column `deleted` entries refer to. */
  readonly key?: string;
  /**
   * Keys whose newer version lives in another partition, with that version's modified_at: an
   * older version arriving here again (a rerun) is not fresh, so a moved row is not resurrected.
   */
  readonly movedAway?: Readonly<Record<string, number>>;
  /**
   * For a partition derived from others (a packed copy): their paths and manifest ETags when it
   * was built, so a reader can tell from a listing whether a source changed since.
   */
  readonly sources?: Readonly<Record<string, string>>;
}

/** A committed partition and its manifest's ETag, as a listing gives them. */
export interface PartitionListing {
  readonly partition: PartitionValues;
  readonly path: string;
  readonly etag: string;
}

export type CommitMode = 'replace' | 'append';

/**
 * What an upsert does with an incoming row whose version (modified_at) the partition already
 * holds: keep the stored row (a rerun of the same data writes nothing), or replace it (a rebuild
 * after the standards changed: a site's LOINC mapping, the PII key).
 */
export type SameVersion = 'keep' | 'replace';

/** A partition as read at one moment; a commit based on it fails if the partition moved on. */
export interface PartitionVersion {
  readonly manifest: Manifest | undefined;
  readonly etag: string | undefined;
}

/** Another writer committed the partition between our read and our commit. */
export class CommitConflict extends Error {
  constructor(partitionPath: string) {
    super(`Partition ${partitionPath} changed while it was being rewritten`);
    this.name = 'CommitConflict';
  }
}

const MANIFEST = '_manifest.json';
/** Small partitions whose rows a process keeps (reference snapshots: devices, maintenance events). */
const SNAPSHOT_PARTITIONS = 4;
/** The file of a key whose live version is in another partition (Manifest.movedAway). */
const ELSEWHERE = -1;
const SAFE_VALUE = /^[A-Za-z0-9_.:-]+$/;

export function tablePath(table: Pick<LakeTable, 'zone' | 'name'>): string {
  return `${table.zone}/${table.name}`;
}

export function partitionPath(partition: PartitionValues): string {
  return Object.entries(partition)
    .map(([key, value]) => {
      if (!SAFE_VALUE.test(key) || !SAFE_VALUE.test(value)) {
        throw new Error(`Invalid partition value ${key}=${value}: use letters, digits, '_', '.', ':' or '-'`);
      }
      return `${key}=${value}`;
    })
    .join('/');
}

function parsePartitionPath(path: string): PartitionValues {
  const values: Record<string, string> = {};
  for (const segment of path.split('/')) {
    const eq = segment.indexOf('=');
    if (eq > 0) values[segment.slice(0, eq)] = segment.slice(eq + 1);
  }
  return values;
}

function safeUnit(unit: string): string {
  return unit.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Files of one unit of work for one partition; `commit` makes them visible in one step. */
export class PartitionWriter {
  private readonly files: ManifestFile[] = [];
  private readonly prefix: string;

  constructor(
    private readonly lake: Lake,
    readonly table: LakeTable,
    readonly partition: PartitionValues,
    readonly unit: string,
  ) {
    this.prefix = `${tablePath(table)}/${partitionPath(partition)}`;
  }

  get writtenFiles(): readonly ManifestFile[] {
    return this.files;
  }

  get rowsWritten(): number {
    return this.files.reduce((sum, f) => sum + f.rows, 0);
  }

  /**
   * Writes one Parquet file (not yet visible); with `key`, its keys sidecar too. Empty batches
   * write nothing.
   */
  async write(rows: readonly Row[], key?: string): Promise<void> {
    if (rows.length > 0) await this.writeEncoded(key ? encodeKeyedFile(this.table, rows, key) : encodeFile(this.table, rows));
  }

  /**
   * Writes a file encoded beforehand (on a worker thread, say), and its keys sidecar if it has
   * one; its `deletedRows` are dropped on read, as if superseded.
   */
  async writeEncoded(file: EncodedFile, deletedRows: readonly number[] = []): Promise<void> {
    if (file.rows === 0) return;
    const name = this.nextName();
    const keys = file.keysData ? `${name.slice(0, -'.parquet'.length)}.keys` : undefined;
    // The sidecar goes up beside its file: neither is visible before the commit.
    await Promise.all([this.upload(name, file.data), keys ? this.upload(keys, file.keysData!) : undefined]);
    this.files.push({ name, rows: file.rows, bytes: file.data.byteLength, unit: this.unit, ...(keys ? { keys } : {}), ...(deletedRows.length > 0 ? { deletedRows } : {}) });
  }

  private nextName(): string {
    return `${safeUnit(this.unit)}-${Date.now().toString(36)}-${String(this.files.length).padStart(4, '0')}.parquet`;
  }

  private async upload(name: string, bytes: Uint8Array): Promise<void> {
    await this.lake.container.getBlockBlobClient(`${this.prefix}/${name}`).uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: 'application/vnd.apache.parquet' },
    });
  }

  commit(mode: CommitMode, { base, sources }: { base?: PartitionVersion; sources?: Manifest['sources'] } = {}): Promise<Manifest> {
    return this.lake.commit(this.table, this.partition, this.unit, this.files, mode, { base, sources });
  }

  /** Removes the files written so far (after a lost commit race). */
  async discard(): Promise<void> {
    await Promise.all(this.files.flatMap(blobsOf).map((name) => this.lake.container.getBlobClient(`${this.prefix}/${name}`).deleteIfExists()));
    this.files.length = 0;
  }
}

/**
 * An upsert's rows against the partition's key index: the rows newer than their key's version
 * there, and the rows each committed file loses to them. Rows that are not newer (a duplicate
 * sent again) are listed as stale, to be marked deleted in the new file rather than cut out of
 * it, which would decode and encode the file again. Its own function, so this per-row loop is
 * compiled small rather than inside the upsert's async state machine.
 */
function compareVersions(
  file: KeyedFile,
  existing: KeyIndex,
  files: readonly ManifestFile[],
  sameVersion: SameVersion,
): { fresh: number[]; stale: number[]; supersededByFile: Map<string, number[]>; hashes: Int32Array } {
  const replaceSame = sameVersion === 'replace';
  const isStale = (incoming: number, stored: number) => (replaceSame ? incoming < stored : incoming <= stored);
  const fresh: number[] = [];
  const stale: number[] = [];
  const supersededByFile = new Map<string, number[]>();
  const { text, ends } = file.keys;
  // Kept for adding the fresh keys after the commit: each key is hashed once.
  const hashes = new Int32Array(file.rows);
  for (let i = 0, start = 0; i < file.rows; start = ends[i++]!) {
    const current = existing.find(text, start, ends[i], (hashes[i] = fnv1a(text, start, ends[i])));
    if (current >= 0 && isStale(file.modifiedAt[i]!, existing.version(current))) {
      stale.push(i);
      continue;
    }
    fresh.push(i);
    if (current < 0 || existing.file(current) === ELSEWHERE) continue;
    const loser = files[existing.file(current)]!.name;
    let rows = supersededByFile.get(loser);
    if (!rows) supersededByFile.set(loser, (rows = []));
    rows.push(existing.row(current));
  }
  return { fresh, stale, supersededByFile, hashes };
}

export class Lake {
  /** `keyIndexKeys`: how many keys of partition indexes to keep between upserts (KEY_INDEX_CACHE_KEYS). */
  constructor(
    readonly container: ContainerClient,
    private readonly keyIndexKeys: number = SETTINGS.KEY_INDEX_CACHE_KEYS.default,
  ) {}

  writer(table: LakeTable, partition: PartitionValues, unit: string): PartitionWriter {
    return new PartitionWriter(this, table, partition, unit);
  }

  /** Writes `rows` as one unit of work and commits it. */
  writePartition(table: LakeTable, partition: PartitionValues, unit: string, rows: readonly Row[], mode: CommitMode = 'replace'): Promise<Manifest> {
    return this.writeEncodedPartition(table, partition, unit, rows.length > 0 ? [encodeFile(table, rows)] : [], mode);
  }

  /** Stores files encoded beforehand as one unit of work and commits them. */
  async writeEncodedPartition(table: LakeTable, partition: PartitionValues, unit: string, files: readonly EncodedFile[], mode: CommitMode = 'replace'): Promise<Manifest> {
    const writer = this.writer(table, partition, unit);
    for (const file of files) await writer.writeEncoded(file);
    return writer.commit(mode);
  }

  /**
   * Publishes `files` for `unit`: `replace` makes them the whole partition; `append` keeps other
   * units' files and swaps this unit's previous files for the new ones. Concurrent committers
   * are serialised by the manifest's ETag. With `base`, the commit is refused (CommitConflict)
   * if the partition changed since that version was read: for read-merge-write units.
   */
  async commit(
    table: LakeTable,
    partition: PartitionValues,
    unit: string,
    files: readonly ManifestFile[],
    mode: CommitMode,
    { base, key, movedAway, sources, onCommitted }: { base?: PartitionVersion | undefined; key?: string; movedAway?: Manifest['movedAway']; sources?: Manifest['sources']; onCommitted?: (etag: string) => void } = {},
  ): Promise<Manifest> {
    const prefix = `${tablePath(table)}/${partitionPath(partition)}`;
    const blob = this.container.getBlockBlobClient(`${prefix}/${MANIFEST}`);
    for (let attempt = 0; ; attempt++) {
      // A read-merge-write unit already holds the version it read: the conditional upload checks it.
      const current = base ? (base.manifest && base.etag !== undefined ? { manifest: base.manifest, etag: base.etag } : undefined) : await this.readManifestWithTag(prefix);
      const kept = mode === 'append' && current ? current.manifest.files.filter((f) => f.unit !== unit) : [];
      const manifest: Manifest = { table: tablePath(table), partition, committedAt: new Date().toISOString(), files: [...kept, ...files], ...(key ? { key } : {}), ...(movedAway ? { movedAway } : {}), ...(sources ? { sources } : {}) };
      const body = JSON.stringify(manifest);
      try {
        const uploaded = await blob.upload(body, Buffer.byteLength(body), {
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        if (uploaded.etag) onCommitted?.(uploaded.etag);
      } catch (error) {
        if (isConflict(error) && base) throw new CommitConflict(prefix);
        if (isConflict(error) && attempt < 20) continue;
        throw error;
      }
      await this.deleteUnreferenced(prefix, unit, manifest, current?.manifest, mode === 'append');
      return manifest;
    }
  }

  /**
   * Removes files the new manifest dropped. Append units (bronze pages) have a single writer,
   * so their crashed attempts' leftovers are swept too; replace units may run twice at once
   * (a redelivered message), and sweeping by unit name would delete the other run's files.
   */
  private async deleteUnreferenced(prefix: string, unit: string, manifest: Manifest, previous: Manifest | undefined, sweepUnit: boolean): Promise<void> {
    const live = new Set(manifest.files.flatMap(blobsOf));
    const doomed = new Set((previous?.files ?? []).flatMap(blobsOf).filter((name) => !live.has(name)));
    if (sweepUnit) {
      for await (const blob of this.container.listBlobsFlat({ prefix: `${prefix}/${safeUnit(unit)}-` })) {
        const name = blob.name.slice(prefix.length + 1);
        if (!live.has(name)) doomed.add(name);
      }
    }
    await Promise.all([...doomed].map((name) => this.container.getBlobClient(`${prefix}/${name}`).deleteIfExists()));
  }

  /** The partition's current version, to base a read-merge-write commit on. */
  async version(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<PartitionVersion> {
    const current = await this.readManifestWithTag(`${tablePath(table)}/${partitionPath(partition)}`);
    return { manifest: current?.manifest, etag: current?.etag };
  }

  /**
   * Inserts or updates rows by key without rewriting the partition (merge on read): the
   * existing files' key and modified_at columns are read to tell which incoming versions are
   * newer; the incoming file is stored as it is, its versions that are not newer and the rows
   * they supersede elsewhere only marked `deleted` in the manifest. A file is rewritten without its superseded rows once they pass a quarter
   * of it, so corrections cost little and partitions stay compact. Conflicting commits retry
   * from a fresh read, so no update is lost.
   */
  upsertPartition(table: LakeTable, partition: PartitionValues, unit: string, file: KeyedFile, key: string, sameVersion: SameVersion = 'keep'): Promise<{ written: number }> {
    const prefix = `${tablePath(table)}/${partitionPath(partition)}`;
    return this.oneAtATime(prefix, () => this.upsertNow(table, partition, unit, file, key, sameVersion));
  }

  /**
   * Upserts of one partition from this process queue up: concurrent units would otherwise lose
   * the commit race to each other, and each lost race re-reads the partition's keys and rewrites
   * its file. Other processes are still serialised by the manifest's ETag.
   */
  private readonly partitionQueues = new Map<string, Promise<unknown>>();

  private async oneAtATime<T>(prefix: string, work: () => Promise<T>): Promise<T> {
    const before = this.partitionQueues.get(prefix) ?? Promise.resolve();
    const mine = before.then(work);
    const settled = mine.catch(() => undefined);
    this.partitionQueues.set(prefix, settled);
    try {
      return await mine;
    } finally {
      if (this.partitionQueues.get(prefix) === settled) this.partitionQueues.delete(prefix);
    }
  }

  private async upsertNow(table: LakeTable, partition: PartitionValues, unit: string, file: KeyedFile, key: string, sameVersion: SameVersion): Promise<{ written: number }> {
    for (let attempt = 1; ; attempt++) {
      const base = await this.version(table, partition);
      const files = base.manifest?.files ?? [];
      const existing = await this.keyIndex(table, partition, base, key);
      const { fresh, stale, supersededByFile, hashes } = compareVersions(file, existing, files, sameVersion);
      if (fresh.length === 0) return { written: 0 };
      const writer = this.writer(table, partition, `${unit}-${randomUUID().slice(0, 8)}`);
      await writer.writeEncoded(file, stale);
      const kept: ManifestFile[] = [];
      for (const older of files) {
        const deletedRows = [...(older.deletedRows ?? []), ...(supersededByFile.get(older.name) ?? [])];
        if ((deletedRows.length + (older.deleted?.length ?? 0)) * 4 <= older.rows) {
          kept.push(deletedRows.length > 0 ? { ...older, deletedRows } : older);
          continue;
        }
        const bytes = await this.readFile(table, partition, older.name);
        await writer.writeEncoded(encodeKeyedBatch(table, decodeStoredFile({ bytes, deletedRows, key, deleted: older.deleted ?? [] }), key));
      }
      const committedFiles = [...kept, ...writer.writtenFiles];
      const prefix = `${tablePath(table)}/${partitionPath(partition)}`;
      try {
        await this.commit(table, partition, writer.unit, committedFiles, 'replace', {
          base,
          key,
          movedAway: base.manifest?.movedAway,
          onCommitted: (etag) => this.rememberKeys(prefix, etag, existing, kept.length < files.length, file, fresh, hashes, kept.length),
        });
        return { written: fresh.length };
      } catch (error) {
        this.keyIndexes.delete(prefix);
        await writer.discard();
        if (!(error instanceof CommitConflict) || attempt >= 20) throw error;
      }
    }
  }

  /**
   * Marks this partition's rows of keys whose newer version landed in another partition (a
   * correction that moved a result to another day): a key whose version here is older than the
   * given modified_at is marked deleted, as an upsert marks the versions it supersedes. Returns
   * how many rows it marked; a partition that does not exist has none.
   */
  markSuperseded(table: LakeTable, partition: PartitionValues, unit: string, newer: ReadonlyMap<string, number>, key: string): Promise<number> {
    const prefix = `${tablePath(table)}/${partitionPath(partition)}`;
    return this.oneAtATime(prefix, () => this.markSupersededNow(table, partition, unit, newer, key, prefix));
  }

  private async markSupersededNow(table: LakeTable, partition: PartitionValues, unit: string, newer: ReadonlyMap<string, number>, key: string, prefix: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const base = await this.version(table, partition);
      if (!base.manifest) return 0;
      const files = base.manifest.files;
      // An earlier day's partition is looked up for a few keys: its whole index is read only for an upsert.
      const cached = this.cachedKeyIndex(prefix, base);
      const existing = cached ?? (await this.readVersions(table, partition, base, key, new Set(newer.keys())));
      const supersededByFile = new Map<string, number[]>();
      const movedAway: Record<string, number> = { ...base.manifest.movedAway };
      const marked: string[] = [];
      for (const [k, modifiedAt] of newer) {
        const current = existing.find(k);
        if (current < 0 || existing.version(current) >= modifiedAt || existing.file(current) === ELSEWHERE) continue;
        const file = files[existing.file(current)]!.name;
        let rows = supersededByFile.get(file);
        if (!rows) supersededByFile.set(file, (rows = []));
        rows.push(existing.row(current));
        movedAway[k] = modifiedAt;
        marked.push(k);
      }
      if (marked.length === 0) return 0;
      const committed = files.map((f) => (supersededByFile.has(f.name) ? { ...f, deletedRows: [...(f.deletedRows ?? []), ...supersededByFile.get(f.name)!] } : f));
      const remember = (etag: string) => {
        this.keyIndexes.delete(prefix);
        if (!cached) return;
        for (const k of marked) existing.set(k, 0, k.length, movedAway[k]!, ELSEWHERE, 0);
        this.cacheKeyIndex(prefix, etag, existing);
      };
      try {
        await this.commit(table, partition, unit, committed, 'replace', { base, key, movedAway, onCommitted: remember });
        return marked.length;
      } catch (error) {
        this.keyIndexes.delete(prefix);
        if (!(error instanceof CommitConflict) || attempt >= 20) throw error;
      }
    }
  }

  /**
   * Key -> (modified_at, file) of a partition's live rows. Kept per process for the partitions
   * written last, as many keys as `keyIndexKeys`, and valid while the manifest's ETag is
   * unchanged, so a bulk load does not re-read the key column of every file for every unit.
   */
  private readonly keyIndexes = new Map<string, { etag: string; index: KeyIndex }>();

  private async keyIndex(table: LakeTable, partition: PartitionValues, base: PartitionVersion, key: string): Promise<KeyIndex> {
    return this.cachedKeyIndex(`${tablePath(table)}/${partitionPath(partition)}`, base) ?? this.readVersions(table, partition, base, key);
  }

  private cachedKeyIndex(prefix: string, base: PartitionVersion): KeyIndex | undefined {
    const cached = this.keyIndexes.get(prefix);
    return cached && base.etag && cached.etag === base.etag ? cached.index : undefined;
  }

  /** Key -> (modified_at, file, row) of the live rows of a partition's version; with `only`, of those keys alone. */
  private async readVersions(table: LakeTable, partition: PartitionValues, base: PartitionVersion, key: string, only?: ReadonlySet<string>): Promise<KeyIndex> {
    const index = new KeyIndex();
    for (const [k, modifiedAt] of Object.entries(base.manifest?.movedAway ?? {})) if (!only || only.has(k)) index.set(k, 0, k.length, modifiedAt, ELSEWHERE, 0);
    for (const [f, file] of (base.manifest?.files ?? []).entries()) {
      const deleted = new Set(file.deleted);
      const batch = parquetToColumns(await this.readFile(table, partition, file.keys ?? file.name), [key, 'modified_at']);
      const [keys, modified] = [columnOf(batch, key), columnOf(batch, 'modified_at')];
      const deletedRows = rowFlags(batch.length, file.deletedRows);
      for (let i = 0; i < batch.length; i++) {
        const k = String(keys[i]);
        if (deletedRows[i] === 1 || (only && !only.has(k))) continue;
        const moved = index.find(k);
        const modifiedAt = modified[i] as number;
        if (!deleted.has(k) && (moved < 0 || index.version(moved) < modifiedAt)) index.set(k, 0, k.length, modifiedAt, f, i);
      }
    }
    return index;
  }

  /**
   * The index after our own commit, updated in place: without compaction the old files keep
   * their positions and the fresh file comes after them. A compacted file's rows moved, so the
   * index is dropped and read again next time (rare: only corrections compact).
   */
  private rememberKeys(prefix: string, etag: string, index: KeyIndex, compacted: boolean, file: KeyedFile, fresh: readonly number[], hashes: Int32Array, freshFile: number): void {
    this.keyIndexes.delete(prefix);
    if (compacted) return;
    const { text } = file.keys;
    for (const i of fresh) index.set(text, keyStart(file.keys, i), file.keys.ends[i]!, file.modifiedAt[i]!, freshFile, i, hashes[i]!);
    this.cacheKeyIndex(prefix, etag, index);
  }

  private cacheKeyIndex(prefix: string, etag: string, index: KeyIndex): void {
    keepRecent(this.keyIndexes, prefix, { etag, index }, this.keyIndexKeys, (entry) => entry.index.size);
  }

  async readManifest(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<Manifest | undefined> {
    return (await this.readManifestWithTag(`${tablePath(table)}/${partitionPath(partition)}`))?.manifest;
  }

  private async readManifestWithTag(prefix: string): Promise<{ manifest: Manifest; etag: string } | undefined> {
    try {
      const { bytes, etag } = await downloadBlob(this.container.getBlobClient(`${prefix}/${MANIFEST}`));
      return { manifest: JSON.parse(bytes.toString('utf8')) as Manifest, etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Committed partitions of a table (from manifests only, never from data files); `within`, the
   * values of leading partition keys, lists only the partitions under them (a day's shards, not
   * every shard of every day: a listing pages through every blob under its prefix).
   */
  async listPartitions(table: Pick<LakeTable, 'zone' | 'name'>, within?: PartitionValues): Promise<PartitionValues[]> {
    const prefix = within && Object.keys(within).length > 0 ? `${partitionPath(within)}/` : '';
    return (await this.listManifests(table, prefix)).map((p) => p.partition);
  }

  /**
   * Committed partitions whose path starts with `pathPrefix` (e.g. `series_date=2021-11-`: one
   * month of days), each with its manifest's ETag, from one listing.
   */
  async listManifests(table: Pick<LakeTable, 'zone' | 'name'>, pathPrefix: string): Promise<PartitionListing[]> {
    const root = `${tablePath(table)}/`;
    const partitions: PartitionListing[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: `${root}${pathPrefix}` })) {
      if (blob.name.endsWith(`/${MANIFEST}`)) {
        const path = blob.name.slice(root.length, -MANIFEST.length - 1);
        partitions.push({ partition: parsePartitionPath(path), path, etag: blob.properties.etag ?? '' });
      }
    }
    return partitions;
  }

  /**
   * The first committed partition in path order (for a table partitioned by date, its earliest
   * day), found by listing partition folders a page at a time rather than every blob.
   */
  async firstPartition(table: Pick<LakeTable, 'zone' | 'name'>): Promise<PartitionValues | undefined> {
    const root = `${tablePath(table)}/`;
    for await (const page of this.container.listBlobsByHierarchy('/', { prefix: root }).byPage({ maxPageSize: 16 })) {
      for (const folder of page.segment.blobPrefixes ?? []) {
        const partition = parsePartitionPath(folder.name.slice(root.length, -1));
        const nested = await this.listPartitions(table, partition);
        if (nested.length > 0) return nested.sort((a, b) => (partitionPath(a) < partitionPath(b) ? -1 : 1))[0];
      }
    }
    return undefined;
  }

  /** Committed files of a partition, as blob paths inside the container. */
  async partitionFiles(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<ManifestFile[]> {
    const manifest = await this.readManifest(table, partition);
    return manifest ? [...manifest.files] : [];
  }

  async readFile(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, file: string): Promise<Uint8Array> {
    const path = `${tablePath(table)}/${partitionPath(partition)}/${file}`;
    return readBlob(this.container.getBlobClient(path));
  }

  /**
   * Streams the committed columns of a partition, one file at a time (memory bounded by a file);
   * from `known`, a manifest the caller just read, instead of reading it again.
   */
  async *readPartitionColumns(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, columns?: readonly string[], known?: Manifest): AsyncGenerator<ColumnBatch> {
    for await (const file of this.storedFiles(table, partition, known)) yield decodeStoredFile(file, columns);
  }

  private async *storedFiles(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, known?: Manifest): AsyncGenerator<StoredFile> {
    const manifest = known ?? (await this.readManifest(table, partition));
    const key = manifest?.key;
    for (const file of manifest?.files ?? []) {
      const bytes = await this.readFile(table, partition, file.name);
      yield { bytes, ...(file.deletedRows?.length ? { deletedRows: file.deletedRows } : {}), ...(file.deleted?.length && key ? { key, deleted: file.deleted } : {}) };
    }
  }

  /**
   * The committed files of a partition, undecoded (to decode on a worker thread with
   * decodeStoredFile); restarts like `readRows`.
   */
  readStoredFiles(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<StoredFile[]> {
    return this.readWhole(() => this.storedFiles(table, partition));
  }

  /** Streams the committed rows of a partition, one file at a time (memory bounded by a file). */
  async *readPartition(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, columns?: readonly string[]): AsyncGenerator<Row[]> {
    for await (const batch of this.readPartitionColumns(table, partition, columns)) yield rowsOfColumns(batch);
  }

  /**
   * All committed columns of a partition, a batch per file; restarts like `readRows` when a
   * replace deletes files under it (then from the new manifest, not `known`).
   */
  readColumns(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, columns: readonly string[], known?: Manifest): Promise<ColumnBatch[]> {
    return this.readWhole((attempt) => this.readPartitionColumns(table, partition, columns, attempt === 1 ? known : undefined));
  }

  /**
   * All committed rows of a partition. A replace committed while reading deletes the files the
   * old manifest listed: the read then starts over from the new manifest.
   */
  async readRows(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues, columns?: readonly string[]): Promise<Row[]> {
    const batches = await this.readWhole(() => this.readPartition(table, partition, columns));
    const rows: Row[] = [];
    // Appended row by row: spreading a file of 100K+ rows into push() overflows the stack.
    for (const batch of batches) for (const row of batch) rows.push(row);
    return rows;
  }

  private async readWhole<B>(read: (attempt: number) => AsyncGenerator<B>): Promise<B[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const batches: B[] = [];
        for await (const batch of read(attempt)) batches.push(batch);
        return batches;
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404) || attempt >= 5) throw error;
      }
    }
  }

  /**
   * Rows of a small partition read by many units (the reference snapshots), kept per process
   * while its manifest's ETag is unchanged: one manifest read instead of the whole partition.
   * Callers share the rows and must not change them.
   */
  async readSnapshotRows(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<readonly Row[]> {
    const prefix = `${tablePath(table)}/${partitionPath(partition)}`;
    const { etag } = await this.version(table, partition);
    const cached = this.snapshots.get(prefix);
    if (cached && etag && cached.etag === etag) return cached.rows;
    // Read after the version: the rows are at least that new, so a stale entry is never kept as fresh.
    const rows = await this.readRows(table, partition);
    if (etag) keepRecent(this.snapshots, prefix, { etag, rows }, SNAPSHOT_PARTITIONS);
    return rows;
  }

  private readonly snapshots = new Map<string, { etag: string; rows: readonly Row[] }>();

  async countRows(table: Pick<LakeTable, 'zone' | 'name'>): Promise<{ partitions: number; files: number; rows: number }> {
    let files = 0;
    let rows = 0;
    const partitions = await this.listPartitions(table);
    for (const partition of partitions) {
      const listed = await this.partitionFiles(table, partition);
      files += listed.length;
      rows += listed.reduce((sum, f) => sum + f.rows - (f.deletedRows?.length ?? 0) - (f.deleted?.length ?? 0), 0);
    }
    return { partitions: partitions.length, files, rows };
  }
}

/**
 * Stores `value` as the most recent entry of `cache`, dropping the oldest while the entries
 * weigh more than `budget` (each weighs 1 unless `weight` says otherwise); the newest stays.
 */
function keepRecent<K, V>(cache: Map<K, V>, key: K, value: V, budget: number, weight: (value: V) => number = () => 1): void {
  cache.delete(key);
  cache.set(key, value);
  let total = 0;
  for (const entry of cache.values()) total += weight(entry);
  for (const [oldest, entry] of cache) {
    if (total <= budget || oldest === key) break;
    cache.delete(oldest);
    total -= weight(entry);
  }
}

function isConflict(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409);
}
