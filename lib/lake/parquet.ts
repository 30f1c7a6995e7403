import * as arrow from '@uwdata/flechette';
import * as parquet from 'parquet-wasm';
import type { CellValue, ColumnSpec, ColumnType, Row } from '../sources/schema.js';
import { ROW_GROUP_ROWS, UnsupportedParquet, decodeParquet, encodeParquet, mostlyDistinct, textCoder, type DecodedFile, type TextCodes } from './parquetFile.js';

export type { TextCodes } from './parquetFile.js';

/**
 * Parquet encoding of row batches. Files the pipeline writes and re-reads (Snappy or
 * uncompressed) go straight between columns and pages in parquetFile.ts; Zstd files (the bronze
 * archive, exports) are written, and any file that reader does not handle is read, through Arrow
 * (flechette) and parquet-wasm.
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

/**
 * Zstd packs tightest (the bronze archive, files handed to analysts), written by parquet-wasm.
 * Snappy and uncompressed files are written by our own encoder (parquetFile.ts), the zones the
 * pipeline writes and re-reads: Snappy about twice and uncompressed about four times as fast as
 * parquet-wasm's Snappy, uncompressed for about three times the bytes of Snappy.
 */
export type ParquetCodec = 'zstd' | 'snappy' | 'none';

/** Built per call: parquet-wasm takes ownership of (and frees) the properties on write. */
function properties(codec: ParquetCodec, columns: readonly ColumnSpec[], data: Record<string, unknown[]>): parquet.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(codec === 'zstd' ? parquet.Compression.ZSTD : codec === 'snappy' ? parquet.Compression.SNAPPY : parquet.Compression.UNCOMPRESSED)
    .setMaxRowGroupSize(ROW_GROUP_ROWS);
  for (const column of columns) if (mostlyDistinct(data[column.name] ?? [])) builder = builder.setColumnDictionaryEnabled(column.name, false);
  return builder.build();
}

/** Byte offsets of a column holding non-ASCII text. */
function utf8Offsets(values: readonly unknown[], offsets: Int32Array): void {
  let bytes = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) bytes += Buffer.byteLength(typeof value === 'string' ? value : String(value));
    offsets[i + 1] = bytes;
  }
}

/**
 * A UTF-8 Arrow column built in one pass: flechette's generic builder encodes each string into
 * its own array, which made strings ~90% of the cost of writing a lab_results page.
 */
function utf8Column(values: readonly unknown[], type: arrow.DataType = arrow.utf8()): arrow.Column<string> {
  const length = values.length;
  const offsets = new Int32Array(length + 1);
  const validity = new Uint8Array((length + 7) >> 3);
  const parts: string[] = [];
  let nullCount = 0;
  let chars = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      nullCount++;
    } else {
      const text = typeof value === 'string' ? value : String(value);
      validity[i >> 3]! |= 1 << (i & 7);
      parts.push(text);
      chars += text.length;
    }
    offsets[i + 1] = chars;
  }
  const joined = Buffer.from(parts.join(''), 'utf8');
  // Offsets were counted in UTF-16 units: right when every character is ASCII (one byte each).
  if (joined.length !== chars) utf8Offsets(values, offsets);
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

/**
 * A text column of few distinct values (device ids, codes, units, regions) as an Arrow
 * dictionary: the Parquet file keeps it dictionary-encoded, and a reader gets each distinct
 * string once and Int32 keys, instead of decoding and allocating one string per row.
 */
function dictionaryColumn(values: readonly unknown[]): arrow.Column<string> {
  const length = values.length;
  const coder = textCoder();
  const keys = new Int32Array(length);
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    const key = coder.code(values[i]);
    if (key < 0) {
      nullCount++;
      continue;
    }
    keys[i] = key;
    validity[i >> 3]! |= 1 << (i & 7);
  }
  const type = arrow.dictionary(arrow.utf8(), arrow.int32());
  const DictionaryBatch = arrow.batchType(type);
  const batch = new DictionaryBatch({ length, nullCount, type, validity: nullCount ? validity : new Uint8Array(0), values: keys });
  // The dictionary column must carry the dictionary type's own value type: flechette finds its IPC id by it.
  batch.setDictionary(utf8Column(coder.values, type.dictionary));
  return new arrow.Column([batch]) as arrow.Column<string>;
}

/**
 * A numeric column written straight into its typed array (a timestamp as the two 32-bit halves
 * of its int64): flechette's generic builder checks each value and makes a BigInt per timestamp.
 * Undefined when a value is neither a number nor null (or a timestamp is not a whole number):
 * the generic builder then converts or refuses it as before.
 */
function numericColumn(type: 'float64' | 'int32' | 'timestamp', values: readonly unknown[]): arrow.Column<unknown> | undefined {
  const length = values.length;
  const validity = new Uint8Array((length + 7) >> 3);
  const data = type === 'float64' ? new Float64Array(length) : new Int32Array(type === 'timestamp' ? 2 * length : length);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      nullCount++;
      continue;
    }
    if (typeof value !== 'number') return undefined;
    if (type === 'timestamp') {
      if (!Number.isSafeInteger(value)) return undefined;
      const high = Math.floor(value / 4294967296);
      data[2 * i] = value - high * 4294967296;
      data[2 * i + 1] = high;
    } else {
      data[i] = value;
    }
    validity[i >> 3]! |= 1 << (i & 7);
  }
  const columnType = arrowType(type);
  const Batch = arrow.batchType(columnType);
  const batch = new Batch({ length, nullCount, type: columnType, validity: nullCount ? validity : new Uint8Array(0), values: type === 'timestamp' ? new BigInt64Array(data.buffer) : data });
  return new arrow.Column([batch]);
}

function arrowColumn(spec: ColumnSpec, values: readonly unknown[]): arrow.Column<unknown> {
  if (spec.type === 'string') return mostlyDistinct(values) ? utf8Column(values) : dictionaryColumn(values);
  const direct = spec.type === 'date' || (spec.type === 'timestamp' && !LITTLE_ENDIAN) ? undefined : numericColumn(spec.type, values);
  return direct ?? arrow.columnFromArray(values as unknown[], arrowType(spec.type));
}

export function columnsToParquet(columns: readonly ColumnSpec[], data: Record<string, unknown[]>, codec: ParquetCodec = 'zstd'): Uint8Array {
  if (codec !== 'zstd' && LITTLE_ENDIAN) return encodeParquet(columns, data, codec);
  const table = arrow.tableFromColumns(columns.map((c) => [c.name, arrowColumn(c, data[c.name] ?? [])] as [string, arrow.Column<unknown>]));
  const ipc = arrow.tableToIPC(table, { format: 'stream' });
  if (!ipc) throw new Error('Arrow IPC encoding produced no bytes');
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), properties(codec, columns, data));
}

/**
 * Row <-> column copying is the hot loop of every stage. It is compiled once per column list
 * (names come from our table definitions, checked to be identifiers), so each property access
 * is monomorphic and each row object is allocated whole as a literal.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
type ColumnExtractor = (rows: readonly Row[]) => unknown[][];
type RowBuilder = (columns: readonly ArrayLike<unknown>[], index: number) => Row;
const extractors = new Map<string, ColumnExtractor>();
const builders = new Map<string, RowBuilder>();

function checkedNames(names: readonly string[]): readonly string[] {
  for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`Column name ${JSON.stringify(name)} is not an identifier`);
  return names;
}

function extractorFor(names: readonly string[]): ColumnExtractor {
  const signature = names.join(',');
  let extractor = extractors.get(signature);
  if (!extractor) {
    const body = checkedNames(names)
      .map((name, c) => `const c${c} = new Array(n); for (let i = 0; i < n; i++) { const v = rows[i].${name}; c${c}[i] = v === undefined ? null : v; }`)
      .join('\n');
    extractor = new Function('rows', `const n = rows.length;\n${body}\nreturn [${names.map((_, c) => `c${c}`).join(', ')}];`) as ColumnExtractor;
    extractors.set(signature, extractor);
  }
  return extractor;
}

function builderFor(names: readonly string[]): RowBuilder {
  const signature = names.join(',');
  let builder = builders.get(signature);
  if (!builder) {
    const fields = checkedNames(names).map((name, c) => `${name}: columns[${c}][i]`).join(', ');
    builder = new Function('columns', 'i', `return { ${fields} };`) as RowBuilder;
    builders.set(signature, builder);
  }
  return builder;
}

export function rowsToParquet(columns: readonly ColumnSpec[], rows: readonly Row[], codec: ParquetCodec = 'zstd'): Uint8Array {
  const values = extractorFor(columns.map((c) => c.name))(rows);
  const data: Record<string, unknown[]> = {};
  columns.forEach((c, i) => (data[c.name] = values[i]!));
  return columnsToParquet(columns, data, codec);
}

export function parquetToArrow(bytes: Uint8Array, columns?: readonly string[]): arrow.Table {
  const ipc = parquet.readParquet(bytes, { batchSize: ROW_GROUP_ROWS, ...(columns ? { columns: [...columns] } : {}) }).intoIPCStream();
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

interface DictionaryBatchData {
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array;
  readonly values: Int32Array;
  readonly dictionary: arrow.Column<unknown>;
}

/**
 * Codes of a dictionary column: each batch's dictionary decoded once and its keys mapped to one
 * code list for the whole file (a file of several row groups has a dictionary per group).
 */
function dictionaryCodes(column: arrow.Column<unknown>): TextCodes {
  const codes = new Int32Array(column.length);
  const coder = textCoder();
  const remaps = new Map<arrow.Column<unknown>, Int32Array>();
  let o = 0;
  for (const batch of column.data as unknown as DictionaryBatchData[]) {
    let remap = remaps.get(batch.dictionary);
    if (!remap) remaps.set(batch.dictionary, (remap = Int32Array.from(columnValues(batch.dictionary), (value) => coder.code(value))));
    const keys = batch.values;
    if (batch.nullCount === 0) {
      for (let i = 0; i < batch.length; i++) codes[o + i] = remap[keys[i]!]!;
    } else {
      for (let i = 0; i < batch.length; i++) codes[o + i] = ((batch.validity[i >> 3] ?? 0) & (1 << (i & 7))) === 0 ? -1 : remap[keys[i]!]!;
    }
    o += batch.length;
  }
  return { codes, values: coder.values };
}

/** Values of coded text: rows share the strings of the code list. */
function valuesOfCodes(text: TextCodes): (string | null)[] {
  const out = new Array<string | null>(text.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = text.codes[i]! < 0 ? null : text.values[text.codes[i]!]!;
  return out;
}

/** Codes of text values (a column that was not dictionary-encoded, or rows). */
export function codesOfValues(values: ArrayLike<CellValue | undefined>): TextCodes {
  const coder = textCoder();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = coder.code(values[i]);
  return { codes, values: coder.values };
}

interface Int64BatchData {
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array;
  readonly values: BigInt64Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Millisecond timestamps as numbers, each int64 read as its two 32-bit halves (exact below 2^53,
 * any date within 285,000 years) instead of a BigInt made and converted per value: flechette's
 * way was 160 ns a value, the largest cost of reading a day of QC. Typed when nothing is null.
 */
function decodeMillisecondColumn(column: arrow.Column<unknown>): ArrayLike<number | null> {
  const batches = column.data as unknown as Int64BatchData[];
  const out: Float64Array | (number | null)[] = batches.some((b) => b.nullCount > 0) ? new Array<number | null>(column.length) : new Float64Array(column.length);
  let o = 0;
  for (const batch of batches) {
    const words = new Int32Array(batch.values.buffer, batch.values.byteOffset, batch.length * 2);
    for (let i = 0; i < batch.length; i++, o++) {
      out[o] = batch.nullCount > 0 && ((batch.validity[i >> 3] ?? 0) & (1 << (i & 7))) === 0 ? null : words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
    }
  }
  return out;
}

function isMillisecondTimestamp(type: arrow.DataType): boolean {
  return type.typeId === arrow.Type.Timestamp && type.unit === arrow.TimeUnit.MILLISECOND;
}

function columnValues(column: arrow.Column<unknown>): ArrayLike<unknown> {
  if (LITTLE_ENDIAN && isMillisecondTimestamp(column.type)) return decodeMillisecondColumn(column);
  switch (column.type.typeId) {
    case arrow.Type.Utf8:
      return decodeUtf8Column(column);
    case arrow.Type.Dictionary:
      return valuesOfCodes(dictionaryCodes(column));
    default:
      return column.toArray();
  }
}

/** A file's columns as arrays: strings decoded, numbers typed where the column has no nulls. */
export interface ColumnBatch {
  readonly length: number;
  readonly columns: Readonly<Record<string, ArrayLike<CellValue>>>;
  /** The dictionary-encoded text columns as codes (grouping by them needs no string per row). */
  readonly codes?: Readonly<Record<string, TextCodes>>;
}

/**
 * Columns without row objects: for aggregations over many rows, where rows would be garbage.
 * Dictionary-encoded text is kept as codes and its strings are spread over the rows only when
 * the column's values are asked for.
 */
export function parquetToColumns(bytes: Uint8Array, only?: readonly string[]): ColumnBatch {
  let file: DecodedFile;
  try {
    file = decodeParquet(bytes, only);
  } catch (error) {
    if (error instanceof UnsupportedParquet) return arrowToColumns(parquetToArrow(bytes, only));
    throw error;
  }
  const columns: Record<string, ArrayLike<CellValue>> = {};
  const codes: Record<string, TextCodes> = {};
  for (const [name, column] of file.columns) {
    if ('codes' in column) codedColumn(columns, codes, name, column.codes);
    else columns[name] = column.values;
  }
  return { length: file.rows, columns, codes };
}

/** Columns of a file our reader leaves to parquet-wasm (Zstd, other encodings) via Arrow. */
function arrowToColumns(table: arrow.Table): ColumnBatch {
  const columns: Record<string, ArrayLike<CellValue>> = {};
  const codes: Record<string, TextCodes> = {};
  for (const name of table.names) {
    const column = table.getChild(name);
    if (column.type.typeId !== arrow.Type.Dictionary) {
      columns[name] = columnValues(column) as ArrayLike<CellValue>;
      continue;
    }
    codedColumn(columns, codes, name, dictionaryCodes(column));
  }
  return { length: table.numRows, columns, codes };
}

/** A text column kept as codes; its strings are spread over the rows only when asked for. */
function codedColumn(columns: Record<string, ArrayLike<CellValue>>, codes: Record<string, TextCodes>, name: string, text: TextCodes): void {
  codes[name] = text;
  let values: (string | null)[] | undefined;
  Object.defineProperty(columns, name, { enumerable: true, get: () => (values ??= valuesOfCodes(text)) });
}

type TypedColumn = Float64Array | Int32Array;

/** Values at `rows` (ascending indices), typed arrays staying typed. */
function pick<T>(values: ArrayLike<T>, rows: Int32Array): ArrayLike<T> {
  if (values instanceof Float64Array || values instanceof Int32Array) {
    const out = new (values.constructor as new (length: number) => TypedColumn)(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
    return out as unknown as ArrayLike<T>;
  }
  const out = new Array<T>(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  return out;
}

/** The rows at `rows` (ascending indices) of a batch; columns keep their types, text its codes. */
export function selectRows(batch: ColumnBatch, rows: Int32Array): ColumnBatch {
  const columns: Record<string, ArrayLike<CellValue>> = {};
  const codes: Record<string, TextCodes> = {};
  for (const name of Object.keys(batch.columns)) {
    const text = batch.codes?.[name];
    if (text) codedColumn(columns, codes, name, { codes: pick(text.codes, rows) as Int32Array, values: text.values });
    else columns[name] = pick(batch.columns[name]!, rows);
  }
  return { length: rows.length, columns, codes };
}

/** A text column of a batch as codes: the file's own dictionary when it has one. */
export function textCodes(batch: ColumnBatch, name: string): TextCodes {
  return batch.codes?.[name] ?? codesOfValues(columnOf(batch, name));
}

/** Rows as plain objects, built column by column (faster than row-wise materialisation). */
export function rowsOfColumns(batch: ColumnBatch): Row[] {
  const names = Object.keys(batch.columns);
  const values = names.map((name) => batch.columns[name]!);
  const build = builderFor(names);
  const rows = new Array<Row>(batch.length);
  for (let i = 0; i < batch.length; i++) rows[i] = build(values, i);
  return rows;
}

export function parquetToRows(bytes: Uint8Array, only?: readonly string[]): Row[] {
  return rowsOfColumns(parquetToColumns(bytes, only));
}

/** A column of a batch, refused by name when the file lacks it. */
export function columnOf(batch: ColumnBatch, name: string): ArrayLike<CellValue> {
  const column = batch.columns[name];
  if (!column) throw new Error(`Column ${name} is missing (columns: ${Object.keys(batch.columns).join(', ')})`);
  return column;
}
