import * as arrow from '@uwdata/flechette';
import * as parquet from 'parquet-wasm';
import type { ColumnSpec, ColumnType, Row } from '../sources/schema.js';

/**
 * Parquet encoding of row batches: rows -> Arrow (flechette) -> Parquet (parquet-wasm, Zstd).
 * parquet-wasm was picked over hyparquet-writer on measured write speed (bench/parquet.ts).
 */

function arrowType(type: ColumnType): arrow.DataType {
  switch (type) {
    case 'string':
      return arrow.utf8();
    case 'float64':
      return arrow.float64();
    case 'int32':
      return arrow.int32();
    case 'timestamp':
      return arrow.timestamp(arrow.TimeUnit.MILLISECOND, 'UTC');
    case 'date':
      return arrow.dateDay();
  }
}

/** Built per call: parquet-wasm takes ownership of (and frees) the properties on write. */
function properties(): parquet.WriterProperties {
  return new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setMaxRowGroupSize(128 * 1024)
    .build();
}

/**
 * A UTF-8 Arrow column built in one pass: flechette's generic builder encodes each string into
 * its own array, which made strings ~90% of the cost of writing a lab_results page.
 */
function utf8Column(values: readonly unknown[]): arrow.Column<string> {
  const length = values.length;
  const offsets = new Int32Array(length + 1);
  const validity = new Uint8Array((length + 7) >> 3);
  const parts: string[] = [];
  let nullCount = 0;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      nullCount++;
    } else {
      const text = typeof value === 'string' ? value : String(value);
      validity[i >> 3]! |= 1 << (i & 7);
      parts.push(text);
      bytes += Buffer.byteLength(text);
    }
    offsets[i + 1] = bytes;
  }
  const joined = Buffer.from(parts.join(''), 'utf8');
  const type = arrow.utf8();
  const Utf8Batch = arrow.batchType(type);
  const batch = new Utf8Batch({
    length,
    nullCount,
    type,
    validity: nullCount ? validity : new Uint8Array(0),
    values: new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength),
    offsets,
  });
  return new arrow.Column([batch]) as arrow.Column<string>;
}

function arrowColumn(spec: ColumnSpec, values: readonly unknown[]): arrow.Column<unknown> {
  if (spec.type === 'string') return utf8Column(values);
  return arrow.columnFromArray(values as unknown[], arrowType(spec.type));
}

export function columnsToParquet(columns: readonly ColumnSpec[], data: Record<string, unknown[]>): Uint8Array {
  const table = arrow.tableFromColumns(columns.map((c) => [c.name, arrowColumn(c, data[c.name] ?? [])] as [string, arrow.Column<unknown>]));
  const ipc = arrow.tableToIPC(table, { format: 'stream' });
  if (!ipc) throw new Error('Arrow IPC encoding produced no bytes');
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), properties());
}

export function rowsToParquet(columns: readonly ColumnSpec[], rows: readonly Row[]): Uint8Array {
  const data: Record<string, unknown[]> = {};
  for (const c of columns) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![c.name];
      values[i] = v === undefined ? null : v;
    }
    data[c.name] = values;
  }
  return columnsToParquet(columns, data);
}

export function parquetToArrow(bytes: Uint8Array): arrow.Table {
  const ipc = parquet.readParquet(bytes).intoIPCStream();
  return arrow.tableFromIPC(ipc, { useDate: false, useBigInt: false });
}

interface Utf8BatchData {
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array;
  readonly offsets: Int32Array;
  readonly values: Uint8Array;
}

/**
 * Strings of a UTF-8 column, decoded per batch in one native call and cut by offsets (ASCII,
 * the usual case) instead of one TextDecoder call per value.
 */
function decodeUtf8Column(column: arrow.Column<unknown>): (string | null)[] {
  const out: (string | null)[] = [];
  for (const batch of column.data as unknown as Utf8BatchData[]) {
    const buffer = Buffer.from(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
    const end = batch.offsets[batch.length] ?? 0;
    const whole = buffer.toString('utf8', 0, end);
    const ascii = whole.length === end;
    for (let i = 0; i < batch.length; i++) {
      if (batch.nullCount > 0 && ((batch.validity[i >> 3] ?? 0) & (1 << (i & 7))) === 0) {
        out.push(null);
        continue;
      }
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      out.push(ascii ? whole.slice(from, to) : buffer.toString('utf8', from, to));
    }
  }
  return out;
}

function columnValues(column: arrow.Column<unknown>): ArrayLike<unknown> {
  return column.type.typeId === arrow.Type.Utf8 ? decodeUtf8Column(column) : column.toArray();
}

/** Rows as plain objects, built column by column (faster than row-wise materialisation). */
export function parquetToRows(bytes: Uint8Array): Row[] {
  const table = parquetToArrow(bytes);
  const names = table.names;
  const columns = names.map((name) => columnValues(table.getChild(name)));
  const rows = new Array<Row>(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![i] as Row[string];
    rows[i] = row;
  }
  return rows;
}
