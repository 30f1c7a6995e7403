import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MssqlSource, MssqlSourceError, type MssqlSourceOptions } from './mssql.js';
import { LIMS_TABLES, LIMS_TABLE_NAMES, type ColumnType, type LimsTableName, type Row, type Watermark } from './schema.js';

/**
 * Against a real SQL Server: LIMS_SQL_TEST_CONNECTION is an mssql connection string with a SQL
 * login allowed to create a schema, e.g.
 * `Server=localhost,1433;Database=lims_test;User Id=sa;Password=...;Encrypt=true;TrustServerCertificate=true`.
 * The five tables are created in a fresh schema (dropped afterwards) with physical names, types and
 * timestamp precisions that a real LIMS might have, and read back through a mapping file.
 */
const connection = process.env.LIMS_SQL_TEST_CONNECTION;

interface PhysicalTable {
  readonly name: string;
  /** Logical -> physical column names that differ. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Logical column -> SQL type, where it differs from the default for its logical type. */
  readonly types?: Readonly<Record<string, string>>;
}

const PHYSICAL: Record<LimsTableName, PhysicalTable> = {
  lab_results: {
    name: 'LabResults',
    rename: { result_id: 'ResultID', date_of_birth: 'DOB', result_value: 'NumericResult', modified_at: 'LastModifiedUtc' },
    types: { result_value: 'decimal(18,4)' },
  },
  device_logs: { name: 'device_logs', types: { modified_at: 'datetime' } },
  quality_control: { name: 'quality_control', types: { qc_id: 'int', control_level: 'tinyint' } },
  devices: { name: 'devices' },
  maintenance_events: { name: 'maintenance_events', types: { modified_at: 'datetimeoffset(7)' } },
};

const DEFAULT_TYPES: Record<ColumnType, string> = {
  string: 'nvarchar(200)',
  float64: 'float',
  int32: 'int',
  timestamp: 'datetime2(7)',
  date: 'date',
};

const PARAMETER_TYPES: Record<string, () => sql.ISqlType> = {
  'nvarchar(200)': () => sql.NVarChar(200),
  float: () => sql.Float(),
  int: () => sql.Int(),
  tinyint: () => sql.TinyInt(),
  'decimal(18,4)': () => sql.Decimal(18, 4),
  'datetime2(7)': () => sql.DateTime2(7),
  datetime: () => sql.DateTime(),
  'datetimeoffset(7)': () => sql.DateTimeOffset(7),
  date: () => sql.Date(),
};

const T = Date.UTC(2026, 2, 1, 8);
const ROWS_PER_TABLE = 11;

/**
 * Sub-millisecond additions to lab_results.modified_at (nanoseconds), so that within a millisecond
 * the raw order (K04, K05, K03) differs from the key order: paging must still follow the key.
 */
const SUB_MS_NS: Readonly<Record<string, number>> = { K03: 900_000, K05: 500_000, K09: 999_900 };

function physicalName(table: LimsTableName, column: string): string {
  return PHYSICAL[table].rename?.[column] ?? column;
}

function physicalType(table: LimsTableName, column: string, type: ColumnType): string {
  return PHYSICAL[table].types?.[column] ?? DEFAULT_TYPES[type];
}

/**
 * Row k (1-based); modified_at in groups of up to three ties: {1,2}, {3,4,5}, {6,7,8}, {9,10,11}.
 * device_logs (a datetime column) moves even rows to .007 s, which datetime stores as 6.67 ms.
 */
function logicalRow(table: LimsTableName, k: number): Row {
  const spec = LIMS_TABLES[table];
  const row: Row = {};
  for (const { name, type } of spec.columns) {
    if (name === spec.key) row[name] = table === 'quality_control' ? String(k) : `K${String(k).padStart(2, '0')}`;
    else if (name === spec.modifiedColumn) row[name] = T + Math.floor(k / 3) * 1000 + (table === 'device_logs' && k % 2 === 0 ? 7 : 0);
    else if (k % 4 === 0) row[name] = null;
    else row[name] = sampleValue(name, type, k);
  }
  return row;
}

function sampleValue(column: string, type: ColumnType, k: number): string | number {
  switch (type) {
    case 'string':
      return `${column}-${k}`;
    case 'float64':
      return k + 0.25;
    case 'int32':
      return k;
    case 'timestamp':
      return T - k * 3_600_000 + k;
    case 'date':
      return Date.UTC(1970 + k, k % 12, k);
  }
}

/** datetime's 6.67 ms may come back as 6 or 7 (SQL Server's millisecond arithmetic); all else is exact. */
function expectRows(table: LimsTableName, actual: readonly Row[], expected: readonly Row[]): void {
  if (PHYSICAL[table].types?.modified_at !== 'datetime') {
    expect(actual).toEqual(expected);
    return;
  }
  const withoutModified = ({ modified_at: _, ...rest }: Row) => rest;
  expect(actual.map(withoutModified)).toEqual(expected.map(withoutModified));
  actual.forEach((row, i) => expect(Math.abs((row.modified_at as number) - (expected[i]!.modified_at as number))).toBeLessThanOrEqual(1));
}

function expectedRows(table: LimsTableName): Row[] {
  const spec = LIMS_TABLES[table];
  const rows = Array.from({ length: ROWS_PER_TABLE }, (_, i) => logicalRow(table, i + 1));
  // quality_control's key is an int column: SQL Server orders it numerically.
  const keyOrder = (row: Row) => (table === 'quality_control' ? Number(row[spec.key]) : String(row[spec.key]));
  return rows.sort((a, b) => {
    const byTime = (a[spec.modifiedColumn] as number) - (b[spec.modifiedColumn] as number);
    if (byTime !== 0) return byTime;
    return keyOrder(a) < keyOrder(b) ? -1 : keyOrder(a) > keyOrder(b) ? 1 : 0;
  });
}

async function createTable(admin: sql.ConnectionPool, schema: string, table: LimsTableName): Promise<void> {
  const spec = LIMS_TABLES[table];
  const qualified = `[${schema}].[${PHYSICAL[table].name}]`;
  const columns = spec.columns.map(({ name, type }) => {
    const required = name === spec.key || name === spec.modifiedColumn ? ' NOT NULL' : ' NULL';
    return `[${physicalName(table, name)}] ${physicalType(table, name, type)}${required}`;
  });
  const key = `[${physicalName(table, spec.key)}]`;
  const modified = `[${physicalName(table, spec.modifiedColumn)}]`;
  await admin.batch(`CREATE TABLE ${qualified} (${columns.join(', ')}, PRIMARY KEY (${key}))`);
  await admin.batch(`CREATE INDEX [IX_${table}_changes] ON ${qualified} (${modified}, ${key})`);
}

async function insertRows(admin: sql.ConnectionPool, schema: string, table: LimsTableName): Promise<void> {
  const spec = LIMS_TABLES[table];
  const qualified = `[${schema}].[${PHYSICAL[table].name}]`;
  const names = spec.columns.map((c) => `[${physicalName(table, c.name)}]`).join(', ');
  const values = spec.columns.map((_, i) => `@p${i}`).join(', ');
  for (let k = 1; k <= ROWS_PER_TABLE; k++) {
    const row = logicalRow(table, k);
    const request = admin.request();
    spec.columns.forEach(({ name, type }, i) => {
      const sqlType = physicalType(table, name, type);
      const parameterType = PARAMETER_TYPES[sqlType];
      if (!parameterType) throw new Error(`no parameter type for ${sqlType}`);
      request.input(`p${i}`, parameterType(), toSqlValue(row[name] ?? null, type, sqlType));
    });
    await request.query(`INSERT INTO ${qualified} (${names}) VALUES (${values})`);
  }
}

function toSqlValue(value: string | number | null, type: ColumnType, sqlType: string): unknown {
  if (value === null) return null;
  if (type === 'timestamp' || type === 'date') return new Date(value);
  return sqlType === 'int' ? Number(value) : value;
}

async function addSubMilliseconds(admin: sql.ConnectionPool, schema: string): Promise<void> {
  for (const [key, nanoseconds] of Object.entries(SUB_MS_NS)) {
    await admin
      .request()
      .input('key', sql.NVarChar(200), key)
      .input('ns', sql.Int(), nanoseconds)
      .query(`UPDATE [${schema}].[LabResults] SET [LastModifiedUtc] = DATEADD(nanosecond, @ns, [LastModifiedUtc]) WHERE [ResultID] = @key`);
  }
}

function mappingJson(schema: string, overrides: Partial<Record<LimsTableName, string>> = {}): string {
  const tables = Object.fromEntries(
    LIMS_TABLE_NAMES.map((table) => [table, { table: `${schema}.${overrides[table] ?? PHYSICAL[table].name}`, columns: PHYSICAL[table].rename ?? {} }]),
  );
  return JSON.stringify({ tables }, null, 2);
}

function sourceOptions(connectionString: string, mappingFile: string): MssqlSourceOptions {
  const config = sql.ConnectionPool.parseConnectionString(connectionString);
  return {
    server: config.server,
    port: config.port,
    database: config.database ?? 'master',
    authentication: { kind: 'sql', user: config.user ?? '', password: config.password ?? '' },
    encrypt: config.options.encrypt !== false,
    trustServerCertificate: config.options.trustServerCertificate ?? false,
    mappingFile,
  };
}

/** Pages through a table the way bronze does, watermark = last row of the previous page. */
async function readAll(source: MssqlSource, table: LimsTableName, limit: number, start: Watermark | null = null, until?: number): Promise<Row[]> {
  const spec = LIMS_TABLES[table];
  const rows: Row[] = [];
  let after = start;
  for (let pages = 0; pages <= ROWS_PER_TABLE + 1; pages++) {
    const page = await source.readPage(table, after, limit, until);
    rows.push(...page);
    const last = page.at(-1);
    if (!last || page.length < limit) return rows;
    after = { modifiedAt: last[spec.modifiedColumn] as number, key: String(last[spec.key]) };
  }
  throw new Error(`${table}: paging did not end after ${ROWS_PER_TABLE + 1} pages of ${limit}`);
}

describe.skipIf(!connection)('MssqlSource on SQL Server (skipped unless LIMS_SQL_TEST_CONNECTION is set)', () => {
  const schema = `lims_it_${randomBytes(4).toString('hex')}`;
  let dir: string;
  let admin: sql.ConnectionPool | undefined;
  let source: MssqlSource;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'lims-mssql-it-'));
    admin = await new sql.ConnectionPool(connection!).connect();
    await admin.batch(`CREATE SCHEMA [${schema}]`);
    for (const table of LIMS_TABLE_NAMES) {
      await createTable(admin, schema, table);
      await insertRows(admin, schema, table);
    }
    await addSubMilliseconds(admin, schema);
    const mappingFile = path.join(dir, 'mapping.json');
    writeFileSync(mappingFile, mappingJson(schema));
    source = new MssqlSource(sourceOptions(connection!, mappingFile));
  });

  afterAll(async () => {
    await source?.close();
    if (admin) {
      for (const table of LIMS_TABLE_NAMES) await admin.batch(`DROP TABLE IF EXISTS [${schema}].[${PHYSICAL[table].name}]`);
      await admin.batch(`DROP SCHEMA IF EXISTS [${schema}]`);
      await admin.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(LIMS_TABLE_NAMES)('%s: pages of 1, 2, 3 and 5 rows return every row exactly once, in (modified_at, key) order', async (table) => {
    for (const limit of [1, 2, 3, 5]) {
      expectRows(table, await readAll(source, table, limit), expectedRows(table));
    }
  });

  it('returns one page when the limit exceeds the table', async () => {
    expect(await source.readPage('devices', null, 1000)).toEqual(expectedRows('devices'));
  });

  it('bounds pages by until, at millisecond precision (sub-millisecond values included)', async () => {
    const until = T + 1000;
    const expected = expectedRows('lab_results').filter((row) => (row.modified_at as number) <= until);
    expect(expected.map((row) => row.result_id)).toEqual(['K01', 'K02', 'K03', 'K04', 'K05']);
    expect(await readAll(source, 'lab_results', 2, null, until)).toEqual(expected);
  });

  it('resumes from a watermark with an empty key at the start of a tie group', async () => {
    const rows = await readAll(source, 'quality_control', 2, { modifiedAt: T + 3000, key: '' });
    expect(rows.map((row) => row.qc_id)).toEqual(['9', '10', '11']);
  });

  it('reports a table missing from the database with its name and a hint at the mapping', async () => {
    const mappingFile = path.join(dir, 'missing-table.json');
    writeFileSync(mappingFile, mappingJson(schema, { devices: 'no_such_table' }));
    const broken = new MssqlSource(sourceOptions(connection!, mappingFile));
    try {
      const error = await broken.readPage('devices', null, 10).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MssqlSourceError);
      expect((error as MssqlSourceError).sqlErrorNumber).toBe(208);
      expect((error as Error).message).toMatch(/LIMS table devices \(\[lims_it_\w+\]\.\[no_such_table\]\).*mapping file/);
    } finally {
      await broken.close();
    }
  });
});
