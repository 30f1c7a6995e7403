import { Buffer } from 'node:buffer';
import { RestError } from '@azure/storage-blob';
import * as arrow from '@uwdata/flechette';
import type { Lake, LakeTable, PartitionValues } from '../lake/lake.js';
import { parquetToArrow } from '../lake/parquet.js';
import type { Row } from '../sources/schema.js';

/**
 * Partitions read column by column for monitoring's large reads (a day of QC is 100,000 rows at
 * 10,000 devices): numbers land in Float64Arrays and no row object is built, which is where
 * `Lake.readRows` spends its time and the garbage collector most of the rest.
 *
 * Only the common case is read here: committed files without rows marked superseded. A partition
 * with such marks, or whose files were replaced while it was being read, is read through
 * `Lake.readRows` (which applies the marks and starts over from the new manifest) and turned
 * into columns, so the lake's rules stay in one place.
 */
export interface Columns {
  readonly length: number;
  /** A numeric column; NaN where the value is null or not a number. */
  number(name: string): Float64Array;
  /** A text column; null where the value is null. */
  text(name: string): readonly (string | null)[];
}

export function columnsOfRows(rows: readonly Row[]): Columns {
  return {
    length: rows.length,
    number: (name) => {
      const out = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i]![name];
        out[i] = typeof v === 'number' ? v : NaN;
      }
      return out;
    },
    text: (name) => rows.map((row) => (row[name] === null || row[name] === undefined ? null : String(row[name]))),
  };
}

interface Utf8Batch {
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array;
  readonly offsets: Int32Array;
  readonly values: Uint8Array;
}

/**
 * Strings of a UTF-8 column. Each batch is decoded in one native call; a value equal to the one
 * before it (ids repeat row after row in sorted partitions) reuses that string instead of
 * allocating a new one.
 */
function textOf(column: arrow.Column<unknown>): (string | null)[] {
  const out = new Array<string | null>(column.length);
  let o = 0;
  let previous = '';
  for (const batch of column.data as unknown as Utf8Batch[]) {
    const buffer = Buffer.from(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
    const end = batch.offsets[batch.length] ?? 0;
    const whole = buffer.toString('utf8', 0, end);
    const ascii = whole.length === end;
    for (let i = 0; i < batch.length; i++, o++) {
      if (batch.nullCount > 0 && ((batch.validity[i >> 3] ?? 0) & (1 << (i & 7))) === 0) {
        out[o] = null;
        continue;
      }
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      if (!ascii) out[o] = buffer.toString('utf8', from, to);
      else if (to - from === previous.length && whole.startsWith(previous, from)) out[o] = previous;
      else out[o] = previous = whole.slice(from, to);
    }
  }
  return out;
}

function numbersOf(column: arrow.Column<unknown>): Float64Array {
  const values = column.toArray() as ArrayLike<unknown>;
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}

function columnsOfArrow(table: arrow.Table): Columns {
  return {
    length: table.numRows,
    number: (name) => numbersOf(table.getChild(name)),
    text: (name) => textOf(table.getChild(name)),
  };
}

const isMissingBlob = (error: unknown) => error instanceof RestError && error.statusCode === 404;

/** The committed columns of a partition, one `Columns` per file (none when the partition does not exist). */
export async function readColumns(lake: Lake, table: LakeTable, partition: PartitionValues, columns: readonly string[]): Promise<Columns[]> {
  const manifest = await lake.readManifest(table, partition);
  if (!manifest) return [];
  const viaRows = async () => [columnsOfRows(await lake.readRows(table, partition, columns))];
  if (manifest.files.some((file) => (file.deleted?.length ?? 0) > 0)) return viaRows();
  try {
    return await Promise.all(manifest.files.map(async (file) => columnsOfArrow(parquetToArrow(await lake.readFile(table, partition, file.name), columns))));
  } catch (error) {
    if (isMissingBlob(error)) return viaRows();
    throw error;
  }
}
