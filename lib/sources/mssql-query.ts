import { quoteIdentifier, quoteTable, type LimsMapping } from './mapping.js';
import { LIMS_TABLES, type CellValue, type ColumnType, type LimsTableName, type Row, type TableSpec, type Watermark } from './schema.js';
import { DAY_MS } from '../calendar/days.js';

/**
 * Pure SQL Server pieces of the LIMS source: the page query (text + typed parameters) and the
 * conversion of driver values to the in-memory representation of schema.ts.
 */

export type SqlParameter =
  | { readonly name: string; readonly type: 'int'; readonly value: number }
  | { readonly name: string; readonly type: 'datetime2'; readonly value: Date }
  | { readonly name: string; readonly type: 'nvarchar'; readonly value: string };

export interface PageQuery {
  readonly text: string;
  readonly parameters: readonly SqlParameter[];
}

/** Epoch milliseconds of a date/time expression: the ordering and watermark domain. */
function epochMs(expression: string): string {
  return `DATEDIFF_BIG(millisecond, '19700101', ${expression})`;
}

/**
 * Keyset page: rows after `after` in (modified_at, key) order, with modified_at <= `until`.
 *
 * Watermarks hold milliseconds, but LIMS columns are often datetime2(7) (sub-millisecond) or
 * datetime (1/300 s), and the driver truncates one and rounds the other. Comparing raw values
 * with a millisecond watermark then re-reads or skips rows. So the page is defined on one
 * expression, E = the column's epoch milliseconds computed by SQL Server: it is the returned
 * modified_at, the ORDER BY and the exact filter. Ranges on the raw column, widened by a
 * millisecond or two to absorb rounding, only let an index on (modified_at, key) be seeked.
 *
 * Sorting on E cannot use the index order, so the sort is bounded: the inner TOP reads one page
 * in index order, and no page row can lie more than a millisecond past its largest raw value M
 * (E only rounds). 2 ms rather than 1 survives DATEADD rounding datetime to 1/300 s.
 */
export function buildPageQuery(
  table: LimsTableName,
  mapping: LimsMapping,
  after: Watermark | null,
  limit: number,
  until?: number,
): PageQuery {
  if (!Number.isInteger(limit) || limit < 1 || limit > 2_147_483_647) throw new RangeError(`page limit must be a positive int32, got ${limit}`);
  const spec = LIMS_TABLES[table];
  const { table: physicalTable, columns } = mapping[table];
  const from = quoteTable(physicalTable);
  const modified = quoteIdentifier(physicalColumn(columns, spec.modifiedColumn));
  const key = quoteIdentifier(physicalColumn(columns, spec.key));
  const { conditions, parameters } = windowConditions(modified, key, after, until);
  const filter = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const head = `SELECT TOP (@limit) ${modified} AS [m] FROM ${from}${filter} ORDER BY ${modified}`;
  const bound = `${modified} < DATEADD(millisecond, 2, (SELECT MAX([m]) FROM (${head}) AS [head]))`;
  const text = [
    `SELECT TOP (@limit) ${selectList(spec, columns).join(', ')}`,
    `FROM ${from}`,
    `WHERE ${[...conditions, bound].join('\n  AND ')}`,
    `ORDER BY ${epochMs(modified)}, ${key}`,
  ].join('\n');
  return { text, parameters: [{ name: 'limit', type: 'int', value: limit }, ...parameters] };
}

/** Strictly after the watermark and up to `until`: a seekable raw range, then the exact test on E. */
function windowConditions(modified: string, key: string, after: Watermark | null, until: number | undefined) {
  const conditions: string[] = [];
  const parameters: SqlParameter[] = [];
  if (after) {
    const [e, a] = [epochMs(modified), epochMs('@afterModified')];
    conditions.push(`${modified} >= DATEADD(millisecond, -1, @afterModified)`, `(${e} > ${a} OR (${e} = ${a} AND ${key} > @afterKey))`);
    parameters.push({ name: 'afterModified', type: 'datetime2', value: utcDate(after.modifiedAt) }, { name: 'afterKey', type: 'nvarchar', value: after.key });
  }
  if (until !== undefined) {
    conditions.push(`${modified} < DATEADD(millisecond, 2, @until)`, `${epochMs(modified)} <= ${epochMs('@until')}`);
    parameters.push({ name: 'until', type: 'datetime2', value: utcDate(until) });
  }
  return { conditions, parameters };
}

/** Physical columns under their logical names; modified_at as E, so rows carry the watermark's value. */
function selectList(spec: TableSpec, columns: Readonly<Record<string, string>>): string[] {
  return spec.columns.map((c) => {
    const source = quoteIdentifier(physicalColumn(columns, c.name));
    const value = c.name === spec.modifiedColumn ? `CAST(${epochMs(source)} AS float)` : source;
    return `${value} AS ${quoteIdentifier(c.name)}`;
  });
}

function physicalColumn(columns: Readonly<Record<string, string>>, logical: string): string {
  const name = columns[logical];
  if (name === undefined) throw new Error(`mapping has no column for ${logical}`);
  return name;
}

function utcDate(epochMs: number): Date {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a valid timestamp: ${epochMs}`);
  return date;
}

/**
 * One driver record (keys are logical column names) to a row of schema.ts values. Messages name
 * the table, column and row key but never the value: it may be patient data.
 */
export function rowFromRecord(spec: TableSpec, record: Readonly<Record<string, unknown>>): Row {
  const row: Row = {};
  for (const column of spec.columns) {
    const value = record[column.name];
    try {
      row[column.name] = value === null || value === undefined ? null : convert(column.type, value);
    } catch (error) {
      throw new TypeError(`${spec.name}.${column.name} (${spec.key}=${String(record[spec.key])}): ${(error as Error).message}`, { cause: error });
    }
  }
  return row;
}

function convert(type: ColumnType, value: unknown): CellValue {
  switch (type) {
    case 'string':
      return toText(value);
    case 'float64':
      return toNumber(value);
    case 'int32':
      return toInt32(value);
    case 'timestamp':
      return value instanceof Date ? value.getTime() : toNumber(value);
    case 'date':
      return toUtcMidnight(value);
  }
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`expected text, got ${describe(value)}`);
}

/** decimal/numeric and money arrive as numbers, bigint as a decimal string, bit as a boolean. */
function toNumber(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number)) throw new TypeError(`expected a finite number, got ${describe(value)}`);
  return number;
}

function toInt32(value: unknown): number {
  const number = toNumber(value);
  if (!Number.isInteger(number) || number < -2_147_483_648 || number > 2_147_483_647) throw new TypeError('expected a 32-bit integer');
  return number;
}

/** The driver reads `date` as midnight UTC; a datetime mapped to a date column keeps its UTC day. */
function toUtcMidnight(value: unknown): number {
  if (!(value instanceof Date)) throw new TypeError(`expected a date, got ${describe(value)}`);
  return Math.floor(value.getTime() / DAY_MS) * DAY_MS;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return 'non-numeric text';
  if (Buffer.isBuffer(value)) return 'binary data';
  return typeof value;
}
