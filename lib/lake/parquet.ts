import * as arrow from '@uwdata/flechette';
import * as parquet from 'parquet-wasm';
import type { CellValue, ColumnSpec, Row } from '../sources/schema.js';
import { LITTLE_ENDIAN, ROW_GROUP_ROWS, UnsupportedParquet, codesOfBytes, concatBytes, decodeParquet, encodeParquet, encodeParquetFiles, isNullableNumbers, isTextBytes, isTextCodes, numberOfNullable, pickBytes, stringsOfBytes, textCoder, textOfBytes, valuesOfNullable, type ColumnData, type DecodedFile, type NullableNumbers, type PageCompression, type TextBytes, type TextCodes } from './parquetFile.js';

export { codesOfBytes, distinctRows, isNullableNumbers, isTextBytes, isTextCodes, numberOfNullable, stringsOfBytes, textCoder, textOfBytes, type ColumnData, type NullableNumbers, type TextBytes, type TextCodes } from './parquetFile.js';

/**
 * Parquet files of row batches and columns. Ours are written and read straight between columns
 * and pages (parquetFile.ts); a file that reader does not handle (another writer's Zstd or
 * LZ4, files of the lake from before it) is read through parquet-wasm and Arrow (flechette).
 */

/**
 * The codec of every file the lake writes: Snappy (see pageCodecs.ts). Compressed pages more
 * than pay for themselves on Azurite (2-day bench: 39,300-40,500 lab results/s with Brotli against
 * 34,200-37,200 uncompressed), and in Azure they are fewer bytes to move and store; Snappy's are
 * 1.4 times Brotli quality 1's, written in 0.6 and read in half its time (10-day bench: 89,799
 * lab results/s against 82,518 / 85,369 with Brotli).
 */
export type ParquetCodec = PageCompression;
export const LAKE_CODEC: ParquetCodec = 'snappy';

export function columnsToParquet(columns: readonly ColumnSpec[], data: Readonly<Record<string, ColumnData>>, codec: ParquetCodec = LAKE_CODEC): Uint8Array {
  return encodeParquet(columns, data, codec);
}

/** Files of the same rows, each of some of the columns (a file and its keys sidecar); each column is encoded once. */
export function columnsToParquetFiles(columns: readonly ColumnSpec[], data: Readonly<Record<string, ColumnData>>, files: readonly (readonly ColumnSpec[])[], codec: ParquetCodec = LAKE_CODEC): Uint8Array[] {
  return encodeParquetFiles(columns, data, codec, files);
}

/**
 * Row <-> column copying is the hot loop of every stage. It is compiled once per column list
 * (names come from our table definitions, checked to be identifiers), so each property access
 * is monomorphic and each row object is allocated whole as a literal.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
type ColumnExtractor = (rows: readonly Row[]) => unknown[][];
type RowBuilder = (columns: readonly ArrayLike<unknown>[], index: number) => Row;
const compiled = new Map<string, ColumnExtractor | RowBuilder>();

/** The function `source` gives for a column list, compiled once per kind and list. */
function compiledFor<F extends ColumnExtractor | RowBuilder>(kind: string, names: readonly string[], params: readonly string[], source: () => string): F {
  const signature = `${kind}:${names.join(',')}`;
  let compiledFunction = compiled.get(signature);
  if (!compiledFunction) {
    for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`Column name ${JSON.stringify(name)} is not an identifier`);
    compiledFunction = new Function(...params, source()) as F;
    compiled.set(signature, compiledFunction);
  }
  return compiledFunction as F;
}

function extractorFor(names: readonly string[]): ColumnExtractor {
  return compiledFor('extract', names, ['rows'], () => {
    const body = names.map((name, c) => `const c${c} = new Array(n); for (let i = 0; i < n; i++) { const v = rows[i].${name}; c${c}[i] = v === undefined ? null : v; }`).join('\n');
    return `const n = rows.length;\n${body}\nreturn [${names.map((_, c) => `c${c}`).join(', ')}];`;
  });
}

function builderFor(names: readonly string[]): RowBuilder {
  return compiledFor('build', names, ['columns', 'i'], () => `return { ${names.map((name, c) => `${name}: columns[${c}][i]`).join(', ')} };`);
}

/** Rows as one array of values per column. */
export function rowsToColumns(columns: readonly ColumnSpec[], rows: readonly Row[]): Record<string, unknown[]> {
  const values = extractorFor(columns.map((c) => c.name))(rows);
  const data: Record<string, unknown[]> = {};
  columns.forEach((c, i) => (data[c.name] = values[i]!));
  return data;
}

export function rowsToParquet(columns: readonly ColumnSpec[], rows: readonly Row[], codec: ParquetCodec = LAKE_CODEC): Uint8Array {
  return columnsToParquet(columns, rowsToColumns(columns, rows), codec);
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
    if (!remap) remaps.set(batch.dictionary, (remap = coder.codesOf(columnValues(batch.dictionary))));
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
  /** The plain-encoded text columns (ids) as their bytes: passing them from file to file needs no string per row. */
  readonly bytes?: Readonly<Record<string, TextBytes>>;
  /** The number columns with nulls as typed arrays and masks: no boxed number per row. */
  readonly numbers?: Readonly<Record<string, NullableNumbers>>;
}

/** A column as a batch holds it: text as codes or bytes, numbers with nulls as a typed array and mask, or values. */
export type HeldColumn = ArrayLike<CellValue> | TextCodes | TextBytes | NullableNumbers;

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
  const data: Record<string, HeldColumn> = {};
  for (const [name, column] of file.columns) data[name] = 'codes' in column ? column.codes : 'bytes' in column ? column.bytes : 'numbers' in column ? column.numbers : column.values;
  return batchOf(file.rows, data);
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
    heldColumn(columns, codes, name, dictionaryCodes(column), valuesOfCodes);
  }
  return { length: table.numRows, columns, codes };
}

/** A column held otherwise than as values (text codes or bytes, nullable numbers): its values are made only when asked for. */
function heldColumn<H>(columns: Record<string, ArrayLike<CellValue>>, held: Record<string, H>, name: string, column: H, valuesOf: (column: H) => (CellValue | null)[]): void {
  held[name] = column;
  let values: (CellValue | null)[] | undefined;
  Object.defineProperty(columns, name, { enumerable: true, get: () => (values ??= valuesOf(column)) });
}

type TypedColumn = Float64Array | Int32Array | Uint8Array;

/** Values at `rows` (ascending indices), typed arrays staying typed. */
function pick<T>(values: ArrayLike<T>, rows: Int32Array): ArrayLike<T> {
  if (values instanceof Float64Array || values instanceof Int32Array || values instanceof Uint8Array) {
    const out = new (values.constructor as new (length: number) => TypedColumn)(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
    return out as unknown as ArrayLike<T>;
  }
  const out = new Array<T>(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  return out;
}

/** The rows at `rows` (ascending indices) of a batch; columns keep their types, text its codes or bytes. */
export function selectRows(batch: ColumnBatch, rows: Int32Array): ColumnBatch {
  const data: Record<string, HeldColumn> = {};
  for (const [name, column] of Object.entries(columnData(batch))) {
    if (isTextCodes(column)) data[name] = { codes: pick(column.codes, rows) as Int32Array, values: column.values };
    else if (isTextBytes(column)) data[name] = pickBytes(column, rows);
    else if (isNullableNumbers(column)) data[name] = { values: pick(column.values, rows) as Float64Array, present: pick(column.present, rows) as Uint8Array };
    else data[name] = pick(column as ArrayLike<CellValue>, rows);
  }
  return batchOf(rows.length, data);
}

/** A batch's columns as they are held: text as its codes or bytes, so it is not spread into a string per row. */
export function columnData(batch: ColumnBatch): Record<string, HeldColumn> {
  const data: Record<string, HeldColumn> = {};
  for (const name of Object.keys(batch.columns)) data[name] = batch.codes?.[name] ?? batch.bytes?.[name] ?? batch.numbers?.[name] ?? batch.columns[name]!;
  return data;
}

/** Each row's number in a typed array, NaN where null or not a number: for loops that would otherwise box a number per row. */
export function numbersOrNaN(column: ArrayLike<CellValue> | NullableNumbers): Float64Array {
  if (column instanceof Float64Array) return column;
  if (isNullableNumbers(column)) {
    const out = Float64Array.from(column.values);
    for (let i = 0; i < out.length; i++) if (column.present[i] === 0) out[i] = NaN;
    return out;
  }
  const out = new Float64Array(column.length);
  for (let i = 0; i < out.length; i++) {
    const value = column[i];
    out[i] = typeof value === 'number' ? value : NaN;
  }
  return out;
}

/** A number column of a batch as `numbersOrNaN` gives it. */
export function numbersOf(batch: ColumnBatch, name: string): Float64Array {
  return numbersOrNaN(batch.numbers?.[name] ?? columnOf(batch, name));
}

/** Each row's number of a column (null where null), without making a value per row of a column held as a typed array and mask. */
export function numberAt(batch: ColumnBatch, name: string): (position: number) => number | null {
  const nullable = batch.numbers?.[name];
  if (nullable) return (position) => numberOfNullable(nullable, position);
  const values = columnOf(batch, name);
  return (position) => {
    const value = values[position];
    return typeof value === 'number' ? value : null;
  };
}

/** Each row's text of a column, without spelling out the rows not asked for (codes and bytes stay as they are). */
export function textAt(batch: ColumnBatch, name: string): (position: number) => string | null {
  const codes = batch.codes?.[name];
  if (codes) return (position) => (codes.codes[position]! < 0 ? null : codes.values[codes.codes[position]!]!);
  const bytes = batch.bytes?.[name];
  if (bytes) return (position) => textOfBytes(bytes, position);
  const values = columnOf(batch, name);
  return (position) => (values[position] === null || values[position] === undefined ? null : String(values[position]));
}

/** A text column of a batch as codes: the file's own dictionary when it has one. */
export function textCodes(batch: ColumnBatch, name: string): TextCodes {
  const bytes = batch.bytes?.[name];
  return batch.codes?.[name] ?? (bytes ? codesOfBytes(bytes) : codesOfValues(columnOf(batch, name)));
}

/** A batch of `length` rows from its columns: text given as codes or bytes stays so (see ColumnBatch). */
export function batchOf(length: number, data: Readonly<Record<string, HeldColumn>>): ColumnBatch {
  const columns: Record<string, ArrayLike<CellValue>> = {};
  const codes: Record<string, TextCodes> = {};
  const bytes: Record<string, TextBytes> = {};
  const numbers: Record<string, NullableNumbers> = {};
  for (const [name, column] of Object.entries(data)) {
    if (isTextCodes(column)) heldColumn(columns, codes, name, column, valuesOfCodes);
    else if (isTextBytes(column)) heldColumn(columns, bytes, name, column, stringsOfBytes);
    else if (isNullableNumbers(column)) heldColumn(columns, numbers, name, column, valuesOfNullable);
    else columns[name] = column;
  }
  return { length, columns, codes, bytes, numbers };
}

/** One batch of several with the same columns (a unit of several files); coded text stays coded, its dictionaries merged. */
export function concatBatches(batches: readonly ColumnBatch[]): ColumnBatch {
  if (batches.length === 1) return batches[0]!;
  const length = batches.reduce((sum, b) => sum + b.length, 0);
  const names = [...new Set(batches.flatMap((b) => Object.keys(b.columns)))];
  const data: Record<string, HeldColumn> = {};
  for (const name of names) {
    if (batches.every((b) => b.bytes?.[name])) {
      data[name] = concatBytes(batches.map((b) => b.bytes![name]!));
      continue;
    }
    if (batches.every((b) => b.codes?.[name])) {
      const coder = textCoder();
      const codes = new Int32Array(length);
      let o = 0;
      for (const batch of batches) {
        const text = batch.codes![name]!;
        const remap = coder.codesOf(text.values);
        for (let i = 0; i < batch.length; i++, o++) codes[o] = text.codes[i]! < 0 ? -1 : remap[text.codes[i]!]!;
      }
      data[name] = { codes, values: coder.values };
      continue;
    }
    if (batches.every((b) => b.numbers?.[name] || b.columns[name] instanceof Float64Array)) {
      data[name] = concatNumbers(batches.map((b) => b.numbers?.[name] ?? (b.columns[name] as Float64Array)), length);
      continue;
    }
    const columns = batches.map((b) => b.columns[name]);
    const values = new Array<CellValue>(length);
    let o = 0;
    batches.forEach((batch, b) => {
      const column = columns[b];
      for (let i = 0; i < batch.length; i++, o++) values[o] = column ? column[i]! : null;
    });
    data[name] = values;
  }
  return batchOf(length, data);
}

/** Number columns one after another: typed, with a mask where any has nulls. */
function concatNumbers(columns: readonly (Float64Array | NullableNumbers)[], length: number): Float64Array | NullableNumbers {
  const values = new Float64Array(length);
  const present = columns.some(isNullableNumbers) ? new Uint8Array(length).fill(1) : undefined;
  let offset = 0;
  for (const column of columns) {
    const typed = isNullableNumbers(column) ? column.values : column;
    values.set(typed, offset);
    if (isNullableNumbers(column)) present!.set(column.present.subarray(0, typed.length), offset);
    offset += typed.length;
  }
  return present ? { values, present } : values;
}

/** Rows as plain objects (all of them, or those at `positions`), built column by column (faster than row-wise materialisation). */
export function rowsOfColumns(batch: ColumnBatch, positions?: ArrayLike<number>): Row[] {
  // A few rows of many: coded text is spelled out for those rows only.
  const source = positions ? selectRows(batch, Int32Array.from(positions)) : batch;
  const names = Object.keys(source.columns);
  const values = names.map((name) => source.columns[name]!);
  const build = builderFor(names);
  const rows = new Array<Row>(source.length);
  for (let i = 0; i < rows.length; i++) rows[i] = build(values, i);
  return rows;
}

/** `f` of null (at index 0) and of each value of coded text (at its code + 1): a lookup per row by code, with f run once per distinct value. */
export function perCode<T>(text: TextCodes, f: (value: string | null) => T): T[] {
  return [f(null), ...text.values.map((value) => f(value))];
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
