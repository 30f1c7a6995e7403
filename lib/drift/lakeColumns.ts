import type { Lake, LakeTable, Manifest, PartitionValues } from '../lake/lake.js';
import { codesOfValues, columnOf, textCodes, type ColumnBatch, type TextCodes } from '../lake/parquet.js';
import type { CellValue, Row } from '../sources/schema.js';

/**
 * Monitoring's view of a partition read column by column (`Lake.readColumns`: no row object
 * per result, QC measurement or device-day; a day of QC is 100,000 rows at 10,000 devices):
 * numbers as Float64Array with NaN for a missing value, text as strings with null.
 */
export interface Columns {
  readonly length: number;
  /** A numeric column; NaN where the value is null or not a number. */
  number(name: string): Float64Array;
  /** A text column; null where the value is null. */
  text(name: string): readonly (string | null)[];
  /** A text column as codes into its distinct values (for grouping rows by it). */
  codes(name: string): TextCodes;
}

function numbers(values: ArrayLike<CellValue | undefined>): Float64Array {
  if (values instanceof Float64Array) return values;
  // Typed columns (int32 without nulls) have no value to check: one native copy.
  if (ArrayBuffer.isView(values)) return Float64Array.from(values as ArrayLike<number>);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}

function texts(values: ArrayLike<CellValue | undefined>): readonly (string | null)[] {
  if (Array.isArray(values) && values.every((v) => v === null || typeof v === 'string')) return values as (string | null)[];
  const out = new Array<string | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

/** A batch's columns, each converted once however often it is asked for (a packed month is read day by day). */
export function columnsOfBatch(batch: ColumnBatch): Columns {
  const converted = new Map<string, Float64Array | readonly (string | null)[] | TextCodes>();
  const once = <T extends Float64Array | readonly (string | null)[] | TextCodes>(key: string, make: () => T): T => {
    let value = converted.get(key) as T | undefined;
    if (value === undefined) converted.set(key, (value = make()));
    return value;
  };
  return {
    length: batch.length,
    number: (name) => once(`n:${name}`, () => numbers(columnOf(batch, name))),
    text: (name) => once(`t:${name}`, () => texts(columnOf(batch, name))),
    codes: (name) => once(`c:${name}`, () => textCodes(batch, name)),
  };
}

/** Rows seen as columns (tests, benchmarks and callers that already hold rows). */
export function columnsOfRows(rows: readonly Row[]): Columns {
  const column = (name: string): ArrayLike<CellValue | undefined> => rows.map((row) => row[name]);
  return { length: rows.length, number: (name) => numbers(column(name)), text: (name) => texts(column(name)), codes: (name) => codesOfValues(column(name)) };
}

/** The committed columns of a partition, one `Columns` per file (none when the partition does not exist). */
export async function readColumns(lake: Lake, table: LakeTable, partition: PartitionValues, columns: readonly string[], known?: Manifest): Promise<Columns[]> {
  return (await lake.readColumns(table, partition, columns, known)).map(columnsOfBatch);
}
