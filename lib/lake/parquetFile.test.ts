import * as arrow from '@uwdata/flechette';
import * as parquet from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import type { ColumnSpec, Row } from '../sources/schema.js';
import { concatBatches, parquetToColumns, parquetToRows, rowsToParquet, selectRows } from './parquet.js';
import { ROW_GROUP_ROWS, UnsupportedParquet, codesOfBytes, decodeParquet, distinctRows, encodeParquet, mostlyDistinct, stringsOfBytes, textOfBytes, valuesOfNullable, type DecodedColumn } from './parquetFile.js';

const DAY = 86_400_000;
const SPECS: readonly ColumnSpec[] = [
  { name: 'id', type: 'string' },
  { name: 'device', type: 'string' },
  { name: 'note', type: 'string' },
  { name: 'value', type: 'float64' },
  { name: 'level', type: 'int32' },
  { name: 'born', type: 'date' },
  { name: 'at', type: 'timestamp' },
];

/** Rows exercising every type: nulls, non-ASCII and long text, few and many distinct values. */
function sampleRows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `R${i}`,
    device: i % 101 === 0 ? null : `DEV${i % 37}`,
    note: i % 7 === 0 ? null : i % 5 === 0 ? `Müller ✓ ${'x'.repeat(i % 300)}` : `n${i % 3}`,
    value: i % 11 === 0 ? null : i / 8 - 100,
    level: i % 13 === 0 ? null : (i % 5) - 2,
    born: i % 17 === 0 ? null : (i % 20_000) * DAY - 10_000 * DAY,
    at: Date.UTC(2026, 0, 1) + i * 61_001,
  }));
}

function columnsOf(rows: readonly Row[]): Record<string, unknown[]> {
  return Object.fromEntries(SPECS.map((spec) => [spec.name, rows.map((row) => row[spec.name])]));
}

function valuesOf(column: DecodedColumn | undefined): unknown[] {
  if (!column) throw new Error('column missing');
  if ('codes' in column) return Array.from(column.codes.codes, (code) => (code < 0 ? null : column.codes.values[code]));
  if ('bytes' in column) return stringsOfBytes(column.bytes);
  if ('numbers' in column) return valuesOfNullable(column.numbers);
  return Array.from(column.values as ArrayLike<unknown>);
}

/** parquet-wasm (the Rust arrow/parquet writer) with the given properties, from rows. */
function writtenByParquetWasm(rows: readonly Row[], configure: (builder: parquet.WriterPropertiesBuilder) => parquet.WriterPropertiesBuilder): Uint8Array {
  const types: Record<string, arrow.DataType> = {
    id: arrow.utf8(),
    device: arrow.dictionary(arrow.utf8(), arrow.int32()),
    note: arrow.utf8(),
    value: arrow.float64(),
    level: arrow.int32(),
    born: arrow.dateDay(),
    at: arrow.timestamp(arrow.TimeUnit.MILLISECOND, 'UTC'),
  };
  const table = arrow.tableFromColumns(SPECS.map((spec) => [spec.name, arrow.columnFromArray(rows.map((row) => row[spec.name]), types[spec.name]!)] as [string, arrow.Column<unknown>]));
  const ipc = arrow.tableToIPC(table, { format: 'stream' })!;
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), configure(new parquet.WriterPropertiesBuilder()).build());
}

describe('our Parquet files', () => {
  it('are read back by another implementation (parquet-wasm, the Rust arrow reader) value for value', () => {
    const rows = sampleRows(3000);
    for (const compression of ['snappy', 'brotli', 'none'] as const) {
      const file = encodeParquet(SPECS, columnsOf(rows), compression);
      const table = arrow.tableFromIPC(parquet.readParquet(file).intoIPCStream(), { useDate: false, useBigInt: false });
      expect(table.numRows).toBe(rows.length);
      for (const spec of SPECS) expect(Array.from(table.getChild(spec.name).toArray() as ArrayLike<unknown>), `${compression} ${spec.name}`).toEqual(rows.map((row) => row[spec.name]));
    }
  });

  it('round-trip every type over several row groups, text of few distinct values as codes', () => {
    const rows = sampleRows(ROW_GROUP_ROWS + 12_000);
    const file = decodeParquet(encodeParquet(SPECS, columnsOf(rows), 'snappy'));
    expect(file.rows).toBe(rows.length);
    for (const spec of SPECS) expect(valuesOf(file.columns.get(spec.name)), spec.name).toEqual(rows.map((row) => row[spec.name]));
    const device = file.columns.get('device')!;
    expect('codes' in device && device.codes.values).toHaveLength(37);
    expect('bytes' in file.columns.get('id')!).toBe(true);
    expect(file.columns.get('at')).toEqual({ values: expect.any(Float64Array) });
    // Numbers with nulls: a typed array and its mask, written back as they read.
    const value = file.columns.get('value')!;
    if (!('numbers' in value)) throw new Error('a number column with nulls was not read as a typed array and mask');
    expect(value.numbers.values).toBeInstanceOf(Float64Array);
    const again = parquetToColumns(encodeParquet([{ name: 'value', type: 'float64' }], { value: value.numbers }, 'none'));
    expect(again.numbers?.value).toBeDefined();
    expect(again.columns.value).toEqual(rows.map((row) => row.value));
    const picked = selectRows(again, Int32Array.from([0, 11, 12]));
    expect([picked.numbers?.value?.present, picked.columns.value]).toEqual([Uint8Array.from([0, 0, 1]), [null, null, rows[12]!.value]]);
    expect(concatBatches([picked, picked]).columns.value).toEqual([null, null, rows[12]!.value, null, null, rows[12]!.value]);
  });

  it('read dictionary codes without nulls as they are in the first row group and mapped in later ones', () => {
    const spec: ColumnSpec[] = [{ name: 'kind', type: 'string' }];
    // Row group one meets A..E in order; later groups meet them in reverse, with F new.
    const kinds = Array.from({ length: ROW_GROUP_ROWS * 2 + 10 }, (_, i) => (i < ROW_GROUP_ROWS ? 'ABCDE'[i % 5]! : 'FEDCBA'[i % 6]!));
    const kind = decodeParquet(encodeParquet(spec, { kind: kinds }, 'snappy')).columns.get('kind')!;
    expect('codes' in kind && kind.codes.values).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(valuesOf(kind)).toEqual(kinds);
  });

  it('write text without a dictionary only when its values hardly repeat', () => {
    // A seeded draw of `n` values from `distinct` ids: 50,000 results over 10,000 devices repeat
    // each device about five times, over 100,000 patients hardly at all.
    let seed = 7;
    const draw = (distinct: number, n: number) => Array.from({ length: n }, () => `V${(seed = (seed * 48271) % 2147483647) % distinct}`);
    expect(mostlyDistinct(Array.from({ length: 50_000 }, (_, i) => `R${i}`))).toBe(true);
    expect(mostlyDistinct(draw(100_000, 50_000))).toBe(true);
    expect(mostlyDistinct(draw(10_000, 50_000))).toBe(false);
    expect(mostlyDistinct(draw(37, 50_000))).toBe(false);
    const file = decodeParquet(encodeParquet([{ name: 'device', type: 'string' }], { device: draw(10_000, 50_000) }, 'none'));
    expect('codes' in file.columns.get('device')!).toBe(true);
  });

  it('write text given as codes as it reads: a dictionary of the values used only, or plain when they hardly repeat', () => {
    const specs: ColumnSpec[] = [{ name: 'device', type: 'string' }, { name: 'id', type: 'string' }];
    const devices = { codes: Int32Array.from({ length: 300 }, (_, i) => (i % 50 === 0 ? -1 : i % 3)), values: ['A', 'B', 'C', 'unused'] };
    const ids = { codes: Int32Array.from({ length: 300 }, (_, i) => i), values: Array.from({ length: 300 }, (_, i) => `R${i}`) };
    const { columns } = decodeParquet(encodeParquet(specs, { device: devices, id: ids }, 'snappy'));
    const device = columns.get('device')!;
    expect('codes' in device && device.codes.values).toEqual(['B', 'C', 'A']);
    expect(valuesOf(device)).toEqual(Array.from(devices.codes, (code) => (code < 0 ? null : devices.values[code])));
    expect('bytes' in columns.get('id')! && valuesOf(columns.get('id'))).toEqual(ids.values);
  });

  it('read plain text as its bytes and write the same file from them; rows picked and batches joined stay bytes', () => {
    const spec: ColumnSpec[] = [{ name: 'id', type: 'string' }];
    const ids = Array.from({ length: ROW_GROUP_ROWS + 500 }, (_, i) => (i % 97 === 0 ? null : i % 89 === 0 ? '' : i % 83 === 0 ? `Grüße ✓ ${i}` : `R-${i}`));
    const file = encodeParquet(spec, { id: ids }, 'snappy');
    const id = decodeParquet(file).columns.get('id')!;
    if (!('bytes' in id)) throw new Error('plain text was not read as bytes');
    expect(stringsOfBytes(id.bytes)).toEqual(ids);
    for (const i of [0, 1, 83, 89, 97, ROW_GROUP_ROWS + 499]) expect(textOfBytes(id.bytes, i), `row ${i}`).toBe(ids[i]);
    expect(Buffer.from(encodeParquet(spec, { id: id.bytes }, 'snappy')).equals(Buffer.from(file))).toBe(true);

    const batch = parquetToColumns(file);
    const picked = selectRows(batch, Int32Array.from([0, 83, 89, 90, ROW_GROUP_ROWS + 499]));
    expect(picked.bytes?.id).toBeDefined();
    expect(picked.columns.id).toEqual([null, ids[83], '', 'R-90', ids[ROW_GROUP_ROWS + 499]]);
    const joined = concatBatches([picked, batch]);
    expect(joined.bytes?.id).toBeDefined();
    expect(joined.columns.id).toEqual([...(picked.columns.id as unknown[]), ...ids]);
    expect(parquetToColumns(encodeParquet(spec, { id: joined.bytes!.id! }, 'none')).columns.id).toEqual(joined.columns.id);
  });

  it('number text bytes by their distinct values without strings: nulls -1, codes in order of first appearance', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 101 === 0 ? null : i % 7 === 3 ? 'Grüße' : `P${(i * 7919) % 1700}`));
    // Text bytes as the reader makes them from a plain page (these ids repeat too much to be written plain).
    const encoded = ids.map((id) => Buffer.from(id ?? '', 'utf8'));
    let end = 0;
    const column = {
      bytes: { bytes: Buffer.concat(encoded), ends: Int32Array.from(encoded, (b) => (end += b.length)), present: Uint8Array.from(ids, (id) => (id === null ? 0 : 1)) },
    };
    expect(stringsOfBytes(column.bytes)).toEqual(ids);
    const { codes, firstRows } = distinctRows(column.bytes);
    const expected = new Map<string, number>();
    ids.forEach((id, row) => {
      if (id === null) return expect(codes[row]).toBe(-1);
      if (!expected.has(id)) {
        expected.set(id, expected.size);
        expect(firstRows[expected.get(id)!], id).toBe(row);
      }
      expect(codes[row], `row ${row}`).toBe(expected.get(id));
    });
    expect(firstRows).toHaveLength(expected.size);
    expect(codesOfBytes(column.bytes).values).toEqual([...expected.keys()]);
  });

  it('read only the columns asked for, and an empty file', () => {
    const rows = sampleRows(100);
    const file = decodeParquet(encodeParquet(SPECS, columnsOf(rows), 'none'), ['level', 'id', 'absent']);
    expect([...file.columns.keys()].sort()).toEqual(['id', 'level']);
    expect(decodeParquet(encodeParquet(SPECS, columnsOf([]), 'none'))).toEqual({ rows: 0, columns: new Map(SPECS.map((s) => [s.name, { values: s.type === 'string' ? [] : expect.anything() }])) });
  });

  it('refuse a value of the wrong type with its column and row', () => {
    const data = { value: [1.5, 2, 'three'] };
    expect(() => encodeParquet([{ name: 'value', type: 'float64' }], data, 'none')).toThrow('Column value (float64), row 2: "three" is not a number');
    expect(() => encodeParquet([{ name: 'at', type: 'timestamp' }], { at: [1.5] }, 'none')).toThrow('Column at (timestamp), row 0: 1.5 is not a whole number of milliseconds');
  });
});

describe('Parquet files of other writers', () => {
  const rows = sampleRows(20_000);

  it('are read with V1 and V2 data pages, several pages a chunk and dictionaries that fall back to plain', () => {
    const variants: [string, (b: parquet.WriterPropertiesBuilder) => parquet.WriterPropertiesBuilder][] = [
      ['v1 gzip', (b) => b.setCompression(parquet.Compression.GZIP)],
      ['v1 brotli', (b) => b.setCompression(parquet.Compression.BROTLI)],
      ['v1 snappy', (b) => b.setCompression(parquet.Compression.SNAPPY)],
      ['v2 snappy, small pages', (b) => b.setWriterVersion(parquet.WriterVersion.V2).setCompression(parquet.Compression.SNAPPY).setDataPageSizeLimit(4096)],
      ['v2 uncompressed', (b) => b.setWriterVersion(parquet.WriterVersion.V2).setCompression(parquet.Compression.UNCOMPRESSED)],
      ['v2 gzip, small pages', (b) => b.setWriterVersion(parquet.WriterVersion.V2).setCompression(parquet.Compression.GZIP).setDataPageSizeLimit(4096).setMaxRowGroupSize(7000)],
      ['dictionary falls back to plain', (b) => b.setCompression(parquet.Compression.UNCOMPRESSED).setDictionaryPageSizeLimit(64).setDataPageSizeLimit(2048)],
    ];
    for (const [name, configure] of variants) {
      const file = decodeParquet(writtenByParquetWasm(rows, configure));
      for (const spec of SPECS) expect(valuesOf(file.columns.get(spec.name)), `${name}: ${spec.name}`).toEqual(rows.map((row) => row[spec.name]));
    }
  });

  it('are left to parquet-wasm when their codec is not ours (Zstd: the lake before our writer; LZ4_RAW), and read the same', () => {
    for (const codec of [parquet.Compression.ZSTD, parquet.Compression.LZ4_RAW]) {
      const file = writtenByParquetWasm(rows, (b) => b.setCompression(codec));
      expect(() => decodeParquet(file)).toThrow(UnsupportedParquet);
      expect(parquetToRows(file)).toEqual(rows);
    }
    expect(parquetToRows(rowsToParquet(SPECS, rows))).toEqual(rows);
  });

  it('are refused with a clear error when broken', () => {
    const file = encodeParquet(SPECS, columnsOf(rows), 'snappy');
    expect(() => parquetToColumns(file.subarray(0, file.length - 100))).toThrow('Parquet: not a Parquet file (no PAR1 magic)');
    const damaged = Uint8Array.from(file);
    damaged.fill(0xff, 4, 2000);
    expect(() => parquetToColumns(damaged)).toThrow();
  });
});
