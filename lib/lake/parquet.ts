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

export function columnsToParquet(columns: readonly ColumnSpec[], data: Record<string, unknown[]>): Uint8Array {
  const types: Record<string, arrow.DataType> = {};
  for (const c of columns) types[c.name] = arrowType(c.type);
  const table = arrow.tableFromArrays(data, { types });
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

export function parquetToRows(bytes: Uint8Array): Row[] {
  return parquetToArrow(bytes).toArray() as Row[];
}
