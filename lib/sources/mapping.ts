import { readFileSync } from 'node:fs';
import { LIMS_TABLES, LIMS_TABLE_NAMES, isLimsTableName, type LimsTableName } from './schema.js';

/**
 * Per-site mapping of the logical LIMS tables (schema.ts) onto a SQL Server database.
 *
 * File format (JSON); everything is optional, omitted tables default to `dbo.<logical name>`
 * and omitted columns to the logical column name:
 * ```json
 * { "tables": { "lab_results": { "table": "lims.LabResults", "columns": { "result_id": "ResultID" } } } }
 * ```
 * Identifiers cannot be query parameters, so every physical name is checked against a strict
 * pattern here and only ever reaches SQL text bracket-quoted (`quoteTable`, `quoteIdentifier`).
 */

export interface PhysicalTable {
  readonly schema: string;
  readonly name: string;
}

export interface TableMapping {
  readonly table: PhysicalTable;
  /** Logical column name -> physical column name, for every column of the logical table. */
  readonly columns: Readonly<Record<string, string>>;
}

export type LimsMapping = { readonly [T in LimsTableName]: TableMapping };

export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/**
 * SQL Server's regular-identifier rules (letters, digits, `_ @ # $`, not starting with a digit,
 * `@` or `#`), at most 128 characters. Anything else (spaces, `]`, quotes, dots) is rejected
 * rather than escaped: a site with such names exposes them through a view.
 */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_@#$]{0,127}$/u;

export function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function quoteIdentifier(name: string): string {
  if (!isValidIdentifier(name)) throw new MappingError(`illegal SQL identifier ${JSON.stringify(name)}`);
  return `[${name}]`;
}

export function quoteTable(table: PhysicalTable): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export function defaultTableMapping(table: LimsTableName): TableMapping {
  const columns = Object.fromEntries(LIMS_TABLES[table].columns.map((c) => [c.name, c.name]));
  return { table: { schema: 'dbo', name: table }, columns };
}

export function defaultMapping(): LimsMapping {
  return mappingFrom((table) => defaultTableMapping(table));
}

function mappingFrom(build: (table: LimsTableName) => TableMapping): LimsMapping {
  return Object.fromEntries(LIMS_TABLE_NAMES.map((t) => [t, build(t)])) as Record<LimsTableName, TableMapping>;
}

/** Reads and validates a mapping file; every error names the file and the offending key. */
export function loadMappingFile(file: string): LimsMapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MappingError(`${file}: cannot read the mapping file (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MappingError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseMapping(json, file);
}

/** Validates mapping JSON; `origin` (usually the file path) prefixes every error message. */
export function parseMapping(json: unknown, origin: string): LimsMapping {
  const fail = (key: string, problem: string): never => {
    throw new MappingError(`${origin}: ${key}: ${problem}`);
  };
  const root = objectAt(json, '(root)', fail);
  rejectUnknownKeys(root, ['tables'], '', fail);
  const tables = root.tables === undefined ? {} : objectAt(root.tables, 'tables', fail);
  for (const name of Object.keys(tables)) {
    if (!isLimsTableName(name)) fail(`tables.${name}`, `unknown table; expected one of ${LIMS_TABLE_NAMES.join(', ')}`);
  }
  return mappingFrom((table) => {
    const entry = tables[table];
    return entry === undefined ? defaultTableMapping(table) : parseTableMapping(table, entry, fail);
  });
}

type Fail = (key: string, problem: string) => never;

function parseTableMapping(table: LimsTableName, json: unknown, fail: Fail): TableMapping {
  const at = `tables.${table}`;
  const entry = objectAt(json, at, fail);
  rejectUnknownKeys(entry, ['table', 'columns'], `${at}.`, fail);
  const defaults = defaultTableMapping(table);
  const physical = entry.table === undefined ? defaults.table : parsePhysicalTable(entry.table, `${at}.table`, fail);
  const overrides = entry.columns === undefined ? {} : objectAt(entry.columns, `${at}.columns`, fail);
  const logical = LIMS_TABLES[table].columns.map((c) => c.name);
  const columns: Record<string, string> = { ...defaults.columns };
  for (const [column, value] of Object.entries(overrides)) {
    const key = `${at}.columns.${column}`;
    if (!logical.includes(column)) fail(key, `unknown column; expected one of ${logical.join(', ')}`);
    columns[column] = identifierAt(value, key, fail);
  }
  return { table: physical, columns };
}

/** `schema.table` or `table` (schema dbo). */
function parsePhysicalTable(json: unknown, key: string, fail: Fail): PhysicalTable {
  const text = typeof json === 'string' ? json : fail(key, 'expected a string such as "dbo.LabResults"');
  const parts = text.split('.');
  if (parts.length > 2) fail(key, `expected "schema.table" or "table", got ${JSON.stringify(text)}`);
  const [schema, name] = parts.length === 2 ? parts : ['dbo', parts[0]];
  return { schema: identifierAt(schema, key, fail), name: identifierAt(name, key, fail) };
}

function identifierAt(json: unknown, key: string, fail: Fail): string {
  if (typeof json !== 'string') return fail(key, 'expected a string');
  if (!isValidIdentifier(json)) {
    fail(key, `illegal SQL identifier ${JSON.stringify(json)}: use letters, digits, _ @ # $ (not first), at most 128 characters; expose other names through a view`);
  }
  return json;
}

function objectAt(json: unknown, key: string, fail: Fail): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail(key, 'expected a JSON object');
  return json as Record<string, unknown>;
}

function rejectUnknownKeys(json: Record<string, unknown>, allowed: readonly string[], prefix: string, fail: Fail): void {
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) fail(`${prefix}${key}`, `unknown key; expected ${allowed.join(' or ')}`);
  }
}
