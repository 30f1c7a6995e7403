import { isAscii } from 'node:buffer';
import { DAY_MS } from '../calendar/days.js';
import type { ColumnSpec, ColumnType } from '../sources/schema.js';
import { codecOf, compressPage, decompressPage, isReadableCodec, type PageCompression } from './pageCodecs.js';
import { ByteWriter, ThriftReader, child, int, list, optionalInt, text, writeStruct, type ThriftField, type ThriftStruct } from './thrift.js';

/**
 * Parquet files written and read in plain TypeScript for the column types the lake holds (text,
 * float64, int32, date, millisecond timestamps; flat, nullable). The lake's hot loop is writing
 * and reading these files: going through Arrow IPC and parquet-wasm cost a copy of every column
 * each way and a tenth of the CPU in wasm glue. Here a column goes straight from its values to
 * its page bytes and back into typed arrays, and text of few distinct values stays as codes.
 *
 * Written: format version 1, one data page (V1) per column chunk, PLAIN values or a dictionary
 * (RLE_DICTIONARY data pages), definition levels RLE/bit-packed, pages compressed by one of
 * pageCodecs.ts (the lake's: Snappy) or not. Read: those and what other writers commonly produce
 * with them (V2 data pages, PLAIN_DICTIONARY, several pages and row groups, Gzip, statistics and
 * page indexes read past). Anything else (Zstd, LZ4, nested columns, other encodings) is reported
 * as unsupported so the caller can use a general reader.
 */

export type { PageCompression } from './pageCodecs.js';

/** Rows per row group. */
export const ROW_GROUP_ROWS = 256 * 1024;

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // PAR1

// Parquet enumerations (parquet.thrift).
const enum Physical {
  INT32 = 1,
  INT64 = 2,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
}
const enum Encoding {
  PLAIN = 0,
  PLAIN_DICTIONARY = 2,
  RLE = 3,
  RLE_DICTIONARY = 8,
}
const enum PageType {
  DATA_PAGE = 0,
  DICTIONARY_PAGE = 2,
  DATA_PAGE_V2 = 3,
}
const OPTIONAL = 1;
const CONVERTED_UTF8 = 0;
const CONVERTED_DATE = 6;
const CONVERTED_TIMESTAMP_MILLIS = 9;

/** Numbers text as it comes: the same string, the same code; null (or undefined) is -1. */
export function textCoder(): { code(value: unknown): number; codesOf(texts: ArrayLike<unknown>): Int32Array; readonly values: string[] } {
  const values: string[] = [];
  const codeOf = new Map<string, number>();
  const code = (value: unknown): number => {
    if (value === null || value === undefined) return -1;
    const text = String(value);
    let found = codeOf.get(text);
    if (found === undefined) codeOf.set(text, (found = values.push(text) - 1));
    return found;
  };
  return {
    values,
    code,
    /** The code of each of `texts` (another code list mapped into this one). */
    codesOf(texts) {
      const codes = new Int32Array(texts.length);
      for (let i = 0; i < codes.length; i++) codes[i] = code(texts[i]);
      return codes;
    },
  };
}

/** A text column as small integers: row i's value is values[codes[i]], code -1 is null. */
export interface TextCodes {
  readonly codes: Int32Array;
  readonly values: readonly string[];
}

/**
 * A text column as its UTF-8 bytes: mostly distinct text (ids) read from plain pages, one buffer
 * for the column instead of a string per row. Row i is bytes[ends[i - 1], ends[i]) (from 0 for
 * row 0); it is null where `present` is 0 (no `present`: no nulls), and a null row holds no bytes.
 */
export interface TextBytes {
  readonly bytes: Uint8Array;
  readonly ends: Int32Array;
  readonly present?: Uint8Array;
}

/**
 * A number column with nulls as a typed array and a mask: row i is values[i] where present[i] is
 * 1, else null. What a nullable number column is read as: no boxed number per row.
 */
export interface NullableNumbers {
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

export function isNullableNumbers(column: unknown): column is NullableNumbers {
  return typeof column === 'object' && column !== null && !ArrayBuffer.isView(column) && !Array.isArray(column) && 'present' in column && 'values' in column && ArrayBuffer.isView((column as NullableNumbers).values);
}

/** Row i of nullable numbers (null where absent). */
export function numberOfNullable(column: NullableNumbers, i: number): number | null {
  return column.present[i] === 1 ? column.values[i]! : null;
}

/** Nullable numbers as one value per row: numbers and nulls. */
export function valuesOfNullable(column: NullableNumbers): (number | null)[] {
  const out = new Array<number | null>(column.values.length);
  for (let i = 0; i < out.length; i++) out[i] = column.present[i] === 1 ? column.values[i]! : null;
  return out;
}

export function isTextBytes(column: unknown): column is TextBytes {
  return typeof column === 'object' && column !== null && !ArrayBuffer.isView(column) && 'ends' in column && 'bytes' in column;
}

/** Where row i of text bytes starts. */
function startOf(ends: Int32Array, i: number): number {
  return i === 0 ? 0 : ends[i - 1]!;
}

/** Row i of text bytes as a string (null where null). */
export function textOfBytes(text: TextBytes, i: number): string | null {
  if (text.present && text.present[i] === 0) return null;
  return Buffer.from(text.bytes.buffer, text.bytes.byteOffset, text.bytes.byteLength).toString('utf8', startOf(text.ends, i), text.ends[i]);
}

/** Every row of text bytes as a string: ASCII cut from one decoded string. */
export function stringsOfBytes(text: TextBytes): (string | null)[] {
  const { bytes, ends, present } = text;
  const out = new Array<string | null>(ends.length);
  const end = ends.length === 0 ? 0 : ends[ends.length - 1]!;
  if (!isAscii(bytes.subarray(0, end))) {
    for (let i = 0; i < out.length; i++) out[i] = textOfBytes(text, i);
    return out;
  }
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', 0, end);
  for (let i = 0, start = 0; i < out.length; start = ends[i]!, i++) out[i] = present && present[i] === 0 ? null : whole.slice(start, ends[i]);
  return out;
}

/**
 * The rows of text bytes numbered by their distinct values, in order of first appearance: a code
 * per row (-1 for null) and each code's first row. Open addressing on FNV-1a hashes of the
 * bytes, so no string is made.
 */
export function distinctRows(text: TextBytes): { readonly codes: Int32Array; readonly firstRows: Int32Array } {
  const { bytes, ends, present } = text;
  const rows = ends.length;
  const same = (a: number, b: number): boolean => {
    const [from, to, length] = [startOf(ends, a), startOf(ends, b), ends[a]! - startOf(ends, a)];
    if (ends[b]! - to !== length) return false;
    for (let j = 0; j < length; j++) if (bytes[from + j] !== bytes[to + j]) return false;
    return true;
  };
  let size = 16;
  while (size < 2 * rows) size *= 2;
  const [slots, hashes] = [new Int32Array(size).fill(-1), new Int32Array(size)];
  const [codes, firstRows] = [new Int32Array(rows), new Int32Array(rows)];
  let count = 0;
  for (let row = 0; row < rows; row++) {
    if (present && present[row] === 0) {
      codes[row] = -1;
      continue;
    }
    let hash = 0x811c9dc5;
    for (let j = startOf(ends, row); j < ends[row]!; j++) hash = Math.imul(hash ^ bytes[j]!, 0x01000193);
    for (let slot = hash & (size - 1); ; slot = (slot + 1) & (size - 1)) {
      const code = slots[slot]!;
      if (code < 0) {
        slots[slot] = codes[row] = count;
        hashes[slot] = hash;
        firstRows[count++] = row;
        break;
      }
      if (hashes[slot] === hash && same(firstRows[code]!, row)) {
        codes[row] = code;
        break;
      }
    }
  }
  return { codes, firstRows: firstRows.subarray(0, count) };
}

/** Text bytes as codes into their distinct values, each spelled once. */
export function codesOfBytes(text: TextBytes): TextCodes {
  const { codes, firstRows } = distinctRows(text);
  return { codes, values: Array.from(firstRows, (row) => textOfBytes(text, row)!) };
}

/** The rows at `rows` of text bytes, in that order. */
export function pickBytes(text: TextBytes, rows: Int32Array): TextBytes {
  const { bytes, ends, present } = text;
  let size = 0;
  for (let k = 0; k < rows.length; k++) size += ends[rows[k]!]! - startOf(ends, rows[k]!);
  const [out, outEnds] = [new Uint8Array(size), new Int32Array(rows.length)];
  const outPresent = present ? new Uint8Array(rows.length) : undefined;
  for (let k = 0, p = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const end = ends[row]!;
    for (let j = startOf(ends, row); j < end; j++) out[p++] = bytes[j]!;
    outEnds[k] = p;
    if (outPresent) outPresent[k] = present![row]!;
  }
  return { bytes: out, ends: outEnds, present: outPresent };
}

/** Text bytes of several columns one after another. */
export function concatBytes(texts: readonly TextBytes[]): TextBytes {
  const rows = texts.reduce((sum, t) => sum + t.ends.length, 0);
  const size = texts.reduce((sum, t) => sum + (t.ends.length === 0 ? 0 : t.ends[t.ends.length - 1]!), 0);
  const [bytes, ends] = [new Uint8Array(size), new Int32Array(rows)];
  const present = texts.some((t) => t.present) ? new Uint8Array(rows).fill(1) : undefined;
  let [row, offset] = [0, 0];
  for (const text of texts) {
    const used = text.ends.length === 0 ? 0 : text.ends[text.ends.length - 1]!;
    bytes.set(text.bytes.subarray(0, used), offset);
    for (let i = 0; i < text.ends.length; i++) ends[row + i] = offset + text.ends[i]!;
    if (text.present) present!.set(text.present.subarray(0, text.ends.length), row);
    row += text.ends.length;
    offset += used;
  }
  return { bytes, ends, present };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Values sampled to choose a text column's encoding. */
const ENCODING_SAMPLE = 1024;

/**
 * A column of mostly distinct values (ids, hashes) gains nothing from a dictionary, and a
 * dictionary's hash lookups per value would be most of its write time. Values that repeat even
 * a few times a file (10,000 device ids in 50,000 results) do gain: fewer bytes to compress, and
 * readers get codes and one string per value instead of a string per row. A sample of 1,024 from
 * 10,000 values is 95% distinct; one from 100,000 (patients) or of unique ids, over 99%.
 */
export function mostlyDistinct(values: ArrayLike<unknown>): boolean {
  const sample = Math.min(values.length, ENCODING_SAMPLE);
  const seen = new Set<unknown>();
  for (let i = 0; i < sample; i++) seen.add(values[i]);
  return sample >= 64 && seen.size > sample * DISTINCT_SHARE;
}

/** Share of distinct values in the sample above which a text column is written without a dictionary. */
const DISTINCT_SHARE = 0.98;

const PHYSICAL: Readonly<Record<ColumnType, Physical>> = {
  string: Physical.BYTE_ARRAY,
  float64: Physical.DOUBLE,
  int32: Physical.INT32,
  date: Physical.INT32,
  timestamp: Physical.INT64,
};

function schemaElement(spec: ColumnSpec): ThriftField[] {
  const fields: ThriftField[] = [
    { id: 1, i32: PHYSICAL[spec.type] },
    { id: 3, i32: OPTIONAL },
    { id: 4, text: spec.name },
  ];
  if (spec.type === 'string') fields.push({ id: 6, i32: CONVERTED_UTF8 }, { id: 10, struct: [{ id: 1, struct: [] }] });
  if (spec.type === 'date') fields.push({ id: 6, i32: CONVERTED_DATE }, { id: 10, struct: [{ id: 6, struct: [] }] });
  if (spec.type === 'timestamp') {
    const millisUtc: ThriftField = { id: 8, struct: [{ id: 1, bool: true }, { id: 2, struct: [{ id: 1, struct: [] }] }] };
    fields.push({ id: 6, i32: CONVERTED_TIMESTAMP_MILLIS }, { id: 10, struct: [millisUtc] });
  }
  return fields;
}

/** A value of a numeric column as a number; anything else is refused with the column and row. */
function numberAt(spec: ColumnSpec, values: ArrayLike<unknown>, row: number): number {
  const value = values[row];
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`Column ${spec.name} (${spec.type}), row ${row}: ${JSON.stringify(value)} is not a number`);
}

const isNull = (value: unknown): boolean => value === null || value === undefined;

/** Definition levels of a flat optional column, RLE/bit-packed hybrid at bit width 1. */
function definitionLevels(isNullAt: (row: number) => boolean, start: number, end: number, present: number): Uint8Array {
  const count = end - start;
  const out = new ByteWriter();
  if (present === count || present === 0) {
    out.varint(count * 2);
    out.byte(present === count ? 1 : 0);
    return out.result();
  }
  // One bit-packed run: the bits are a validity bitmap, least significant bit first.
  const groups = Math.ceil(count / 8);
  out.varint(groups * 2 + 1);
  const bits = new Uint8Array(groups);
  for (let i = 0; i < count; i++) if (!isNullAt(start + i)) bits[i >> 3]! |= 1 << (i & 7);
  out.write(bits);
  return out.result();
}

/** The 4-byte little-endian length prefix of a value, as latin1 characters. */
const PREFIXES = Array.from({ length: 128 }, (_, length) => String.fromCharCode(length, 0, 0, 0));
const NOT_ASCII = /[\u0080-\uffff]/;
/** Up to this mean length, copying characters in a loop beats one joined string's native encoding. */
const SHORT_TEXT = 24;

/** Short ASCII text copied a character at a time; undefined at the first non-ASCII character. */
function copiedAscii(strings: readonly string[], chars: number): Uint8Array | undefined {
  const out = new Uint8Array(4 * strings.length + chars);
  let p = 0;
  for (const text of strings) {
    const length = text.length;
    out[p] = length;
    out[p + 1] = length >> 8;
    out[p + 2] = length >> 16;
    out[p + 3] = length >>> 24;
    p += 4;
    for (let j = 0; j < length; j++) {
      const code = text.charCodeAt(j);
      if (code > 0x7f) return undefined;
      out[p++] = code;
    }
  }
  return out;
}

/** Long ASCII text joined with its length prefixes and encoded in one native call. */
function joinedAscii(strings: readonly string[]): Uint8Array | undefined {
  const parts = new Array<string>(2 * strings.length);
  for (let k = 0; k < strings.length; k++) {
    const prefix = PREFIXES[strings[k]!.length];
    if (prefix === undefined) return undefined;
    parts[2 * k] = prefix;
    parts[2 * k + 1] = strings[k]!;
  }
  const joined = parts.join('');
  return NOT_ASCII.test(joined) ? undefined : Buffer.from(joined, 'latin1');
}

function encodedUtf8(strings: readonly string[]): Uint8Array {
  let bytes = 0;
  for (const text of strings) bytes += 4 + Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(bytes);
  let p = 0;
  for (const text of strings) {
    const written = out.write(text, p + 4, 'utf8');
    out.writeUInt32LE(written, p);
    p += 4 + written;
  }
  return out;
}

/** PLAIN BYTE_ARRAY of text bytes' rows start..end: their bytes copied after their lengths. */
function plainBytes(text: TextBytes, start: number, end: number, present: number): Uint8Array {
  const { bytes, ends } = text;
  const first = startOf(ends, start);
  const out = new Uint8Array(4 * present + ends[end - 1]! - first);
  for (let i = start, p = 0, from = first; i < end; from = ends[i]!, i++) {
    if (text.present && text.present[i] === 0) continue;
    const to = ends[i]!;
    const length = to - from;
    out[p] = length;
    out[p + 1] = length >> 8;
    out[p + 2] = length >> 16;
    out[p + 3] = length >>> 24;
    p += 4;
    for (let j = from; j < to; j++) out[p++] = bytes[j]!;
  }
  return out;
}

/** PLAIN BYTE_ARRAY: each value's UTF-8 bytes after their 4-byte length. */
function plainText(values: ArrayLike<unknown>, start: number, end: number, present: number): Uint8Array {
  const strings = new Array<string>(present);
  let chars = 0;
  for (let i = start, k = 0; i < end; i++) {
    const value = values[i];
    if (isNull(value)) continue;
    const text = typeof value === 'string' ? value : String(value);
    strings[k++] = text;
    chars += text.length;
  }
  const ascii = chars <= SHORT_TEXT * present ? copiedAscii(strings, chars) : joinedAscii(strings);
  return ascii ?? encodedUtf8(strings);
}

function plainNumbers(spec: ColumnSpec, column: ArrayLike<unknown> | NullableNumbers, start: number, end: number, present: number): Uint8Array {
  if (isNullableNumbers(column)) {
    // The present values alone, which a typed array then writes as it does any column without nulls.
    const values = new Float64Array(present);
    for (let i = start, k = 0; i < end; i++) if (column.present[i] === 1) values[k++] = column.values[i]!;
    return plainNumbers(spec, values, 0, present, present);
  }
  const values = column;
  if (spec.type === 'float64') {
    const out = new Float64Array(present);
    for (let i = start, k = 0; i < end; i++) if (!isNull(values[i])) out[k++] = numberAt(spec, values, i);
    return new Uint8Array(out.buffer);
  }
  if (spec.type === 'timestamp') {
    const out = new Int32Array(2 * present);
    for (let i = start, k = 0; i < end; i++) {
      if (isNull(values[i])) continue;
      const ms = numberAt(spec, values, i);
      if (!Number.isSafeInteger(ms)) throw new Error(`Column ${spec.name} (timestamp), row ${i}: ${ms} is not a whole number of milliseconds`);
      const high = Math.floor(ms / 4294967296);
      out[k++] = ms - high * 4294967296;
      out[k++] = high;
    }
    return new Uint8Array(out.buffer);
  }
  const out = new Int32Array(present);
  const scale = spec.type === 'date' ? DAY_MS : 1;
  for (let i = start, k = 0; i < end; i++) if (!isNull(values[i])) out[k++] = Math.floor(numberAt(spec, values, i) / scale);
  return new Uint8Array(out.buffer);
}

/** Bits needed for codes 0..count-1 (at least 1: some readers refuse a width of 0). */
function bitWidth(count: number): number {
  let width = 1;
  while (1 << width < count) width++;
  return width;
}

/** Dictionary keys as one bit-packed run after their bit width (RLE_DICTIONARY data). */
function packedKeys(keys: Int32Array, width: number): Uint8Array {
  const groups = Math.ceil(keys.length / 8);
  const head = new ByteWriter();
  head.byte(width);
  head.varint(groups * 2 + 1);
  const header = head.result();
  const out = new Uint8Array(header.length + groups * width);
  out.set(header);
  let p = header.length;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < keys.length; i++) {
    acc |= keys[i]! << bits;
    bits += width;
    while (bits >= 8) {
      out[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[p] = acc & 0xff;
  return out;
}

interface EncodedPage {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly uncompressed: number;
}

function page(compression: PageCompression, fields: (size: number, compressedSize: number) => ThriftField[], body: Uint8Array): EncodedPage {
  const stored = compressPage(compression, body);
  const out = new ByteWriter();
  writeStruct(out, fields(body.length, stored.length));
  const header = out.result();
  return { header, body: stored, uncompressed: header.length + body.length };
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

interface EncodedChunk {
  readonly pages: EncodedPage[];
  readonly dictionary: boolean;
}

/**
 * A column's values to write: an array (or typed array) of values, or text as codes into its
 * distinct values, which is written as a dictionary without a string per row.
 */
export type ColumnData = ArrayLike<unknown> | TextCodes | TextBytes | NullableNumbers;

export function isTextCodes(column: ColumnData): column is TextCodes {
  return !Array.isArray(column) && !ArrayBuffer.isView(column) && 'codes' in column;
}

/** Rows of a column to write. */
function rowsOf(column: ColumnData): number {
  if (isNullableNumbers(column)) return column.values.length;
  return isTextCodes(column) ? column.codes.length : isTextBytes(column) ? column.ends.length : column.length;
}

/** A text chunk as dictionary keys (one per present value) into its distinct values, or undefined when its values are mostly distinct. */
function dictionaryOf(column: ColumnData, start: number, end: number, present: number): { keys: Int32Array; values: string[] } | undefined {
  const sampleEnd = Math.min(end, start + ENCODING_SAMPLE);
  const keys = new Int32Array(present);
  if (isTextCodes(column)) {
    const { codes, values } = column;
    if (mostlyDistinct(codes.subarray(start, sampleEnd))) return undefined;
    // Only the values the chunk uses, numbered in order of first use.
    const remap = new Int32Array(values.length).fill(-1);
    const used: string[] = [];
    for (let i = start, k = 0; i < end; i++) {
      const code = codes[i]!;
      if (code < 0) continue;
      let key = remap[code]!;
      if (key < 0) key = remap[code] = used.push(values[code]!) - 1;
      keys[k++] = key;
    }
    return { keys, values: used };
  }
  if (isTextBytes(column)) {
    // Bytes come from plain pages, which writers choose for mostly distinct text: usually plain again.
    const sample = Array.from({ length: sampleEnd - start }, (_, i) => textOfBytes(column, start + i));
    if (mostlyDistinct(sample)) return undefined;
    return dictionaryOf(codesOfBytes(column), start, end, present);
  }
  // Numbers written as text (not a column the lake has): as their values.
  if (isNullableNumbers(column)) return dictionaryOf(valuesOfNullable(column), start, end, present);
  if (mostlyDistinct(Array.prototype.slice.call(column, start, sampleEnd))) return undefined;
  const coder = textCoder();
  for (let i = start, k = 0; i < end; i++) if (!isNull(column[i])) keys[k++] = coder.code(column[i]);
  return { keys, values: coder.values };
}

/** The strings of rows start..end of coded text, null where a code is -1. */
function textValues(column: TextCodes, start: number, end: number): (string | null)[] {
  const out = new Array<string | null>(end - start);
  for (let i = start; i < end; i++) out[i - start] = column.codes[i]! < 0 ? null : column.values[column.codes[i]!]!;
  return out;
}

/** Values of rows start..end that are not null (a typed array holds no nulls). */
function presentValues(column: ColumnData, start: number, end: number): number {
  if (ArrayBuffer.isView(column)) return end - start;
  let present = 0;
  if (isNullableNumbers(column)) {
    for (let i = start; i < end; i++) present += column.present[i]!;
  } else if (isTextBytes(column)) {
    if (!column.present) return end - start;
    for (let i = start; i < end; i++) present += column.present[i]!;
  } else if (isTextCodes(column)) {
    for (let i = start; i < end; i++) if (column.codes[i]! >= 0) present++;
  } else {
    for (let i = start; i < end; i++) if (!isNull(column[i])) present++;
  }
  return present;
}

function nullTest(column: ColumnData): (row: number) => boolean {
  if (isTextCodes(column)) return (row) => column.codes[row]! < 0;
  if (isNullableNumbers(column)) return (row) => column.present[row] === 0;
  if (isTextBytes(column)) {
    const present = column.present;
    return present ? (row) => present[row] === 0 : () => false;
  }
  return (row) => isNull(column[row]);
}

function encodeChunk(spec: ColumnSpec, column: ColumnData, start: number, end: number, compression: PageCompression): EncodedChunk {
  const count = end - start;
  const isNullAt = nullTest(column);
  const present = presentValues(column, start, end);
  const levels = definitionLevels(isNullAt, start, end, present);
  const pages: EncodedPage[] = [];
  let encoded: Uint8Array;
  let encoding = Encoding.PLAIN;
  const dictionary = spec.type === 'string' ? dictionaryOf(column, start, end, present) : undefined;
  if (dictionary) {
    const { keys, values } = dictionary;
    pages.push(page(compression, (size, stored) => [
      { id: 1, i32: PageType.DICTIONARY_PAGE },
      { id: 2, i32: size },
      { id: 3, i32: stored },
      { id: 7, struct: [{ id: 1, i32: values.length }, { id: 2, i32: Encoding.PLAIN }] },
    ], plainText(values, 0, values.length, values.length)));
    encoded = packedKeys(keys, bitWidth(values.length));
    encoding = Encoding.RLE_DICTIONARY;
  } else {
    if (isTextCodes(column)) encoded = plainText(textValues(column, start, end), 0, count, present);
    else if (isTextBytes(column)) encoded = plainBytes(column, start, end, present);
    else if (spec.type !== 'string') encoded = plainNumbers(spec, column, start, end, present);
    else encoded = plainText(isNullableNumbers(column) ? valuesOfNullable(column) : column, start, end, present);
  }
  const body = Buffer.concat([u32(levels.length), levels, encoded]);
  pages.push(page(compression, (size, stored) => [
    { id: 1, i32: PageType.DATA_PAGE },
    { id: 2, i32: size },
    { id: 3, i32: stored },
    { id: 5, struct: [{ id: 1, i32: count }, { id: 2, i32: encoding }, { id: 3, i32: Encoding.RLE }, { id: 4, i32: Encoding.RLE }] },
  ], body));
  return { pages, dictionary: encoding === Encoding.RLE_DICTIONARY };
}

/** A Parquet file of `columns` (every column nullable), `data` holding each column's values. */
export function encodeParquet(columns: readonly ColumnSpec[], data: Readonly<Record<string, ColumnData>>, compression: PageCompression): Uint8Array {
  return encodeParquetFiles(columns, data, compression, [columns])[0]!;
}

/** A row group's column chunks, encoded once for every file that holds the column. */
interface EncodedGroup {
  readonly rows: number;
  readonly chunks: ReadonlyMap<string, EncodedChunk>;
}

/**
 * Several Parquet files of the same rows, each of some of `columns` (a file and its keys
 * sidecar): each column is encoded once and its pages go into every file that holds it.
 */
export function encodeParquetFiles(
  columns: readonly ColumnSpec[],
  data: Readonly<Record<string, ColumnData>>,
  compression: PageCompression,
  files: readonly (readonly ColumnSpec[])[],
): Uint8Array[] {
  // Numbers are copied as their in-memory bytes, which Parquet defines as little-endian.
  if (!LITTLE_ENDIAN) throw new Error('Writing Parquet needs a little-endian CPU');
  const rows = columns.length === 0 ? 0 : Math.max(...columns.map((c) => (data[c.name] === undefined ? 0 : rowsOf(data[c.name]!))));
  const wanted = new Set(files.flatMap((file) => file.map((spec) => spec.name)));
  const groups: EncodedGroup[] = [];
  for (let start = 0; start < rows; start += ROW_GROUP_ROWS) {
    const end = Math.min(rows, start + ROW_GROUP_ROWS);
    const chunks = new Map<string, EncodedChunk>();
    for (const spec of columns) {
      if (wanted.has(spec.name)) chunks.set(spec.name, encodeChunk(spec, data[spec.name] ?? new Array<null>(rows).fill(null), start, end, compression));
    }
    groups.push({ rows: end - start, chunks });
  }
  return files.map((file) => assembleParquet(file, groups, rows, compression));
}

function assembleParquet(columns: readonly ColumnSpec[], groups: readonly EncodedGroup[], rows: number, compression: PageCompression): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  let offset = MAGIC.length;
  const rowGroups: ThriftField[][] = [];
  for (const group of groups) {
    const groupOffset = offset;
    let groupBytes = 0;
    const chunks: ThriftField[][] = [];
    for (const spec of columns) {
      const chunk = group.chunks.get(spec.name)!;
      const chunkOffset = offset;
      let uncompressed = 0;
      for (const p of chunk.pages) {
        parts.push(p.header, p.body);
        offset += p.header.length + p.body.length;
        uncompressed += p.uncompressed;
      }
      groupBytes += uncompressed;
      const dataPageOffset = chunk.dictionary ? chunkOffset + chunk.pages[0]!.header.length + chunk.pages[0]!.body.length : chunkOffset;
      const meta: ThriftField[] = [
        { id: 1, i32: PHYSICAL[spec.type] },
        { id: 2, i32s: chunk.dictionary ? [Encoding.PLAIN, Encoding.RLE, Encoding.RLE_DICTIONARY] : [Encoding.PLAIN, Encoding.RLE] },
        { id: 3, texts: [spec.name] },
        { id: 4, i32: codecOf(compression) },
        { id: 5, i64: group.rows },
        { id: 6, i64: uncompressed },
        { id: 7, i64: offset - chunkOffset },
        { id: 9, i64: dataPageOffset },
      ];
      if (chunk.dictionary) meta.push({ id: 11, i64: chunkOffset });
      chunks.push([{ id: 2, i64: chunkOffset }, { id: 3, struct: meta }]);
    }
    rowGroups.push([
      { id: 1, structs: chunks },
      { id: 2, i64: groupBytes },
      { id: 3, i64: group.rows },
      { id: 5, i64: groupOffset },
      { id: 6, i64: offset - groupOffset },
    ]);
  }
  const footer = new ByteWriter();
  writeStruct(footer, [
    { id: 1, i32: 1 },
    { id: 2, structs: [[{ id: 4, text: 'schema' }, { id: 5, i32: columns.length }], ...columns.map(schemaElement)] },
    { id: 3, i64: rows },
    { id: 4, structs: rowGroups },
    { id: 6, text: 'lims-mlops' },
  ]);
  const meta = footer.result();
  parts.push(meta, u32(meta.length), MAGIC);
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A column read back: text of a dictionary-encoded column as codes, any other as values. */
export type DecodedColumn = { readonly codes: TextCodes } | { readonly bytes: TextBytes } | { readonly numbers: NullableNumbers } | { readonly values: ArrayLike<string | number | null> };

export interface DecodedFile {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, DecodedColumn>;
}

/** Why a file is left to a general reader. */
export class UnsupportedParquet extends Error {}

type Kind = 'text' | 'float64' | 'int32' | 'date' | 'timestamp';

interface LeafColumn {
  readonly name: string;
  readonly index: number;
  readonly kind: Kind;
  readonly optional: boolean;
}

function leafKind(element: ThriftStruct, name: string): Kind {
  const physical = optionalInt(element, 1);
  const converted = optionalInt(element, 6);
  const logical = child(element, 10);
  switch (physical) {
    case Physical.BYTE_ARRAY:
      return 'text';
    case Physical.DOUBLE:
      return 'float64';
    case Physical.INT32:
      return converted === CONVERTED_DATE || (logical && child(logical, 6)) ? 'date' : 'int32';
    case Physical.INT64: {
      const timestamp = logical ? child(logical, 8) : undefined;
      const unit = timestamp ? child(timestamp, 2) : undefined;
      if ((unit && child(unit, 1)) || (!logical && converted === CONVERTED_TIMESTAMP_MILLIS)) return 'timestamp';
      throw new UnsupportedParquet(`column ${name}: INT64 other than millisecond timestamps`);
    }
    default:
      throw new UnsupportedParquet(`column ${name}: physical type ${physical}`);
  }
}

function leafColumns(schema: ThriftStruct[]): LeafColumn[] {
  const root = schema[0];
  if (!root || schema.length - 1 !== optionalInt(root, 5)) throw new UnsupportedParquet('nested schema');
  return schema.slice(1).map((element, index) => {
    const name = text(element, 4) ?? `column ${index}`;
    if (optionalInt(element, 5) !== undefined) throw new UnsupportedParquet(`column ${name} is nested`);
    const repetition = optionalInt(element, 3) ?? 0;
    if (repetition > OPTIONAL) throw new UnsupportedParquet(`column ${name} is repeated`);
    return { name, index, kind: leafKind(element, name), optional: repetition === OPTIONAL };
  });
}

/** Bit-unpacks `take` values of up to 24 bits: the accumulator never passes 31 bits. */
function unpackBits(bytes: Uint8Array, offset: number, width: number, take: number, out: Int32Array, at: number): void {
  const mask = (1 << width) - 1;
  let acc = 0;
  let bits = 0;
  let p = offset;
  for (let i = 0; i < take; i++) {
    while (bits < width) {
      acc |= bytes[p++]! << bits;
      bits += 8;
    }
    out[at + i] = acc & mask;
    acc >>>= width;
    bits -= width;
  }
}

/** Reads RLE/bit-packed hybrid data of `width` bits into out[0..count). */
function readHybrid(bytes: Uint8Array, offset: number, width: number, count: number, out: Int32Array): void {
  // Dictionaries of more than 2^24 values do not occur (writers cap a dictionary page at a few MB).
  if (width > 24) throw new UnsupportedParquet(`bit width ${width}`);
  const byteWidth = (width + 7) >> 3;
  let produced = 0;
  while (produced < count) {
    let header = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      if (byte === undefined) throw new Error('Parquet: RLE data ends early');
      header += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    if (header % 2 === 1) {
      const values = Math.floor(header / 2) * 8;
      const take = Math.min(values, count - produced);
      unpackBits(bytes, offset, width, take, out, produced);
      offset += (values / 8) * width;
      produced += take;
    } else {
      const run = Math.floor(header / 2);
      let value = 0;
      for (let b = 0; b < byteWidth; b++) value |= bytes[offset++]! << (8 * b);
      out.fill(value, produced, Math.min(count, produced + run));
      produced += run;
    }
  }
}

const dataView = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** `count` PLAIN BYTE_ARRAY values from `offset`: cut from one decoded string when all ASCII. */
function plainStrings(bytes: Uint8Array, offset: number, count: number): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const view = dataView(bytes);
  const out = new Array<string>(count);
  let end = offset;
  for (let i = 0; i < count; i++) end += 4 + view.getUint32(end, true);
  if (end > bytes.length) throw new Error('Parquet: text values run past their page');
  const ascii = isAscii(bytes.subarray(offset, end));
  const whole = ascii ? buffer.toString('latin1', offset, end) : '';
  for (let i = 0, p = offset; i < count; i++) {
    const length = view.getUint32(p, true);
    p += 4;
    out[i] = ascii ? whole.slice(p - offset, p - offset + length) : buffer.toString('utf8', p, p + length);
    p += length;
  }
  return out;
}

function plainValues(kind: Exclude<Kind, 'text'>, bytes: Uint8Array, offset: number, count: number): Float64Array {
  const view = dataView(bytes);
  const out = new Float64Array(count);
  if (kind === 'float64') for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  else if (kind === 'timestamp') for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 8 * i + 4, true) * 4294967296 + view.getUint32(offset + 8 * i, true);
  else {
    const scale = kind === 'date' ? DAY_MS : 1;
    for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, true) * scale;
  }
  return out;
}

/**
 * One column's values gathered over its pages and row groups. Text from dictionary pages is
 * kept as codes into one list for the file (each row group has its own dictionary); text from
 * plain pages as its bytes (strings once pages of both kinds meet); numbers with nulls as a
 * typed array and mask.
 */
class ColumnSink {
  private readonly present: Uint8Array;
  private nulls = 0;
  private numbers?: Float64Array;
  private strings?: (string | null)[];
  private codes?: Int32Array;
  /** Plain text as bytes, while every page so far was plain: `used` bytes of `bytes`, each row's end. */
  private text?: { bytes: Uint8Array; used: number; readonly ends: Int32Array };
  /** The file's code list: the first dictionary as it is; later row groups' dictionaries coded into it. */
  private codeList: string[] = [];
  private codeOf?: Map<string, number>;
  private dictionary?: { readonly strings?: string[]; readonly codes?: Int32Array; readonly identity?: boolean; readonly numbers?: Float64Array };
  private at = 0;
  private levels = new Int32Array(0);

  constructor(
    private readonly leaf: LeafColumn,
    private readonly rows: number,
  ) {
    this.present = new Uint8Array(rows);
  }

  setDictionary(bytes: Uint8Array, count: number): void {
    if (this.leaf.kind !== 'text') {
      this.dictionary = { numbers: plainValues(this.leaf.kind, bytes, 0, count) };
      return;
    }
    const strings = plainStrings(bytes, 0, count);
    const identity = this.codeList.length === 0;
    this.dictionary = { strings, codes: this.codesOfDictionary(strings), identity };
  }

  /**
   * Codes of a dictionary's values in the file's code list. A writer's dictionary holds distinct
   * values, so the first one is the list itself (no lookup per value); another row group's is
   * matched value by value.
   */
  private codesOfDictionary(strings: string[]): Int32Array {
    const codes = new Int32Array(strings.length);
    if (this.codeList.length === 0) {
      this.codeList = strings.slice();
      for (let i = 0; i < codes.length; i++) codes[i] = i;
      return codes;
    }
    const codeOf = (this.codeOf ??= new Map(this.codeList.map((value, code) => [value, code])));
    for (let i = 0; i < strings.length; i++) {
      let code = codeOf.get(strings[i]!);
      if (code === undefined) codeOf.set(strings[i]!, (code = this.codeList.push(strings[i]!) - 1));
      codes[i] = code;
    }
    return codes;
  }

  /** A data page: `levels` (definition levels, or null for a required column) then values. */
  addPage(count: number, levelBytes: Uint8Array | null, levelOffset: number, encoding: number, values: Uint8Array, valueOffset: number): void {
    if (this.at + count > this.rows) throw new Error(`Parquet: column ${this.leaf.name} has more values than the file's ${this.rows} rows`);
    let present = count;
    if (levelBytes) {
      if (this.levels.length < count) this.levels = new Int32Array(count);
      readHybrid(levelBytes, levelOffset, 1, count, this.levels);
      present = 0;
      for (let i = 0; i < count; i++) present += this.present[this.at + i] = this.levels[i]!;
    } else {
      this.present.fill(1, this.at, this.at + count);
    }
    this.nulls += count - present;
    if (encoding === Encoding.PLAIN) this.addPlain(count, present, values, valueOffset);
    else if (encoding === Encoding.RLE_DICTIONARY || encoding === Encoding.PLAIN_DICTIONARY) this.addKeys(count, present, values, valueOffset);
    else throw new UnsupportedParquet(`column ${this.leaf.name}: encoding ${encoding}`);
    this.at += count;
  }

  private addPlain(count: number, present: number, bytes: Uint8Array, offset: number): void {
    if (this.leaf.kind === 'text') {
      if (this.codes || this.strings) {
        const strings = this.stringsOut();
        const decoded = plainStrings(bytes, offset, present);
        for (let i = 0, k = 0; i < count; i++) strings[this.at + i] = this.present[this.at + i] ? decoded[k++]! : null;
      } else {
        this.addBytes(count, present, bytes, offset);
      }
      return;
    }
    const numbers = (this.numbers ??= new Float64Array(this.rows));
    const decoded = plainValues(this.leaf.kind, bytes, offset, present);
    for (let i = 0, k = 0; i < count; i++) if (this.present[this.at + i]) numbers[this.at + i] = decoded[k++]!;
  }

  private addKeys(count: number, present: number, bytes: Uint8Array, offset: number): void {
    const dictionary = this.dictionary;
    if (!dictionary) throw new Error(`Parquet: column ${this.leaf.name} has dictionary-encoded values and no dictionary`);
    const at = this.at;
    // A dictionary after plain pages (a writer's dictionary grew too big, then stopped): strings from here on.
    if (this.text) this.stringsOut();
    if (dictionary.identity && present === count && !this.strings) {
      // The file's first dictionary and no nulls: the keys are the codes, read in place.
      const codes = (this.codes ??= new Int32Array(this.rows)).subarray(at, at + count);
      if (count > 0) readHybrid(bytes, offset + 1, bytes[offset]!, count, codes);
      const size = dictionary.codes!.length;
      for (let i = 0; i < count; i++) if (codes[i]! >= size) throw new Error(`Parquet: column ${this.leaf.name} has a dictionary key past its ${size} values`);
      return;
    }
    const keys = new Int32Array(present);
    if (present > 0) readHybrid(bytes, offset + 1, bytes[offset]!, present, keys);
    if (dictionary.numbers) {
      const numbers = (this.numbers ??= new Float64Array(this.rows));
      for (let i = 0, k = 0; i < count; i++) if (this.present[at + i]) numbers[at + i] = dictionary.numbers[keys[k++]!]!;
    } else if (this.strings) {
      const strings = this.stringsOut();
      for (let i = 0, k = 0; i < count; i++) strings[at + i] = this.present[at + i] ? dictionary.strings![keys[k++]!]! : null;
    } else {
      const codes = (this.codes ??= new Int32Array(this.rows));
      for (let i = 0, k = 0; i < count; i++) codes[at + i] = this.present[at + i] ? dictionary.codes![keys[k++]!]! : -1;
    }
  }

  /** A plain page's text appended to the column's bytes, without the values' length prefixes. */
  private addBytes(count: number, present: number, page: Uint8Array, offset: number): void {
    const view = dataView(page);
    let size = 0;
    for (let k = 0, p = offset; k < present; k++) {
      if (p + 4 > page.length) throw new Error(`Parquet: column ${this.leaf.name}'s text values run past their page`);
      const length = view.getUint32(p, true);
      size += length;
      p += 4 + length;
    }
    if (offset + 4 * present + size > page.length) throw new Error(`Parquet: column ${this.leaf.name}'s text values run past their page`);
    const text = (this.text ??= { bytes: new Uint8Array(0), used: 0, ends: new Int32Array(this.rows) });
    if (text.used + size > text.bytes.length) {
      const bigger = new Uint8Array(Math.max(text.used + size, Math.ceil(((text.used + size) * this.rows) / (this.at + count))));
      bigger.set(text.bytes.subarray(0, text.used));
      text.bytes = bigger;
    }
    const { bytes, ends } = text;
    let used = text.used;
    for (let i = 0, p = offset; i < count; i++) {
      if (this.present[this.at + i]) {
        const length = view.getUint32(p, true);
        p += 4;
        for (let j = 0; j < length; j++) bytes[used++] = page[p + j]!;
        p += length;
      }
      ends[this.at + i] = used;
    }
    text.used = used;
  }

  /** The text bytes gathered so far. */
  private textBytes(): TextBytes {
    const { bytes, used, ends } = this.text!;
    return { bytes: bytes.subarray(0, used), ends, present: this.nulls > 0 ? this.present : undefined };
  }

  /** Text as strings from here on: codes or bytes gathered so far are spelled out. */
  private stringsOut(): (string | null)[] {
    if (!this.strings) {
      const strings = new Array<string | null>(this.rows).fill(null);
      if (this.codes) for (let i = 0; i < this.at; i++) strings[i] = this.codes[i]! < 0 ? null : this.codeList[this.codes[i]!]!;
      if (this.text) {
        const text = this.textBytes();
        for (let i = 0; i < this.at; i++) strings[i] = textOfBytes(text, i);
      }
      this.codes = undefined;
      this.text = undefined;
      this.strings = strings;
    }
    return this.strings;
  }

  result(): DecodedColumn {
    if (this.at !== this.rows) throw new Error(`Parquet: column ${this.leaf.name} has ${this.at} values for ${this.rows} rows`);
    if (this.leaf.kind === 'text') {
      if (this.codes) return { codes: { codes: this.codes, values: this.codeList } };
      if (this.text) return { bytes: this.textBytes() };
      return { values: this.strings ?? new Array<null>(this.rows).fill(null) };
    }
    const numbers = this.numbers ?? new Float64Array(this.rows);
    if (this.nulls === 0) return { values: this.leaf.kind === 'int32' ? Int32Array.from(numbers) : numbers };
    return { numbers: { values: numbers, present: this.present } };
  }
}

/** Reads one column chunk's pages into its sink. */
function readChunk(bytes: Uint8Array, leaf: LeafColumn, meta: ThriftStruct, sink: ColumnSink): void {
  const codec = int(meta, 4, `column ${leaf.name}'s codec`);
  if (!isReadableCodec(codec)) throw new UnsupportedParquet(`column ${leaf.name}: codec ${codec}`);
  const dataOffset = int(meta, 9, `column ${leaf.name}'s data page offset`);
  const dictionaryOffset = optionalInt(meta, 11);
  const start = dictionaryOffset !== undefined && dictionaryOffset > 0 && dictionaryOffset < dataOffset ? dictionaryOffset : dataOffset;
  const end = start + int(meta, 7, `column ${leaf.name}'s size`);
  const values = int(meta, 5, `column ${leaf.name}'s value count`);
  if (end > bytes.length) throw new Error(`Parquet: column ${leaf.name} runs past the end of the file`);
  let offset = start;
  let read = 0;
  while (offset < end && read < values) {
    const reader = new ThriftReader(bytes, offset);
    const header = reader.struct();
    const stored = int(header, 3, 'page size');
    const body = bytes.subarray(reader.offset, reader.offset + stored);
    offset = reader.offset + stored;
    const type = int(header, 1, 'page type');
    if (type === PageType.DICTIONARY_PAGE) {
      const dictionary = child(header, 7);
      sink.setDictionary(decompressPage(codec, body), dictionary ? int(dictionary, 1, 'dictionary size') : 0);
    } else if (type === PageType.DATA_PAGE) {
      const page = child(header, 5);
      if (!page) throw new Error(`Parquet: column ${leaf.name} has a data page without its header`);
      if (leaf.optional && optionalInt(page, 3) !== Encoding.RLE) throw new UnsupportedParquet(`column ${leaf.name}: definition level encoding ${optionalInt(page, 3)}`);
      const count = int(page, 1, 'page value count');
      const plain = decompressPage(codec, body);
      const levelBytes = leaf.optional ? dataView(plain).getUint32(0, true) : 0;
      sink.addPage(count, leaf.optional ? plain : null, 4, int(page, 2, 'page encoding'), plain, leaf.optional ? 4 + levelBytes : 0);
      read += count;
    } else if (type === PageType.DATA_PAGE_V2) {
      const page = child(header, 8);
      if (!page) throw new Error(`Parquet: column ${leaf.name} has a data page without its header`);
      const count = int(page, 1, 'page value count');
      const levelsEnd = int(page, 6, 'repetition levels size') + int(page, 5, 'definition levels size');
      const compressed = page[7] !== false;
      const valueBytes = compressed ? decompressPage(codec, body.subarray(levelsEnd)) : body.subarray(levelsEnd);
      sink.addPage(count, leaf.optional ? body : null, int(page, 6, 'repetition levels size'), int(page, 4, 'page encoding'), valueBytes, 0);
      read += count;
    }
  }
}

/**
 * The columns of a Parquet file (all, or those of `only` that it has). Throws UnsupportedParquet
 * for a file this reader does not handle, and an Error for one that is broken.
 */
export function decodeParquet(bytes: Uint8Array, only?: readonly string[]): DecodedFile {
  const length = bytes.length;
  if (length < 12 || !MAGIC.every((b, i) => bytes[i] === b && bytes[length - 4 + i] === b)) throw new Error('Parquet: not a Parquet file (no PAR1 magic)');
  const metaLength = dataView(bytes).getUint32(length - 8, true);
  const meta = new ThriftReader(bytes, length - 8 - metaLength).struct();
  const rows = int(meta, 3, 'row count');
  const leaves = leafColumns(list(meta, 2) as ThriftStruct[]);
  const wanted = only ? leaves.filter((leaf) => only.includes(leaf.name)) : leaves;
  const columns = new Map<string, DecodedColumn>();
  const rowGroups = list(meta, 4) as ThriftStruct[];
  for (const leaf of wanted) {
    const sink = new ColumnSink(leaf, rows);
    for (const group of rowGroups) {
      const chunk = list(group, 1)[leaf.index] as ThriftStruct | undefined;
      const chunkMeta = chunk && child(chunk, 3);
      if (!chunk || !chunkMeta || text(chunk, 1) !== undefined) throw new UnsupportedParquet(`column ${leaf.name}: chunk metadata elsewhere`);
      readChunk(bytes, leaf, chunkMeta, sink);
    }
    columns.set(leaf.name, sink.result());
  }
  return { rows, columns };
}
