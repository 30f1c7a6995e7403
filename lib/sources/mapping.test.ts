import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultMapping, loadMappingFile, quoteIdentifier, quoteTable } from './mapping.js';
import { LIMS_TABLES, LIMS_TABLE_NAMES } from './schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lims-mapping-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function mappingFile(content: string): string {
  const file = path.join(dir, `mapping-${files++}.json`);
  writeFileSync(file, content);
  return file;
}

function loadJson(json: unknown): () => unknown {
  const file = mappingFile(JSON.stringify(json));
  return () => loadMappingFile(file);
}

describe('default mapping', () => {
  it('maps every table to dbo.<name> and every column to itself', () => {
    const mapping = defaultMapping();
    for (const table of LIMS_TABLE_NAMES) {
      expect(mapping[table].table).toEqual({ schema: 'dbo', name: table });
      for (const column of LIMS_TABLES[table].columns) expect(mapping[table].columns[column.name]).toBe(column.name);
    }
  });
});

describe('mapping file', () => {
  it('loads the shipped example, defaulting columns it does not mention', () => {
    const mapping = loadMappingFile(path.join(import.meta.dirname, 'mapping.example.json'));
    expect(quoteTable(mapping.lab_results.table)).toBe('[lims].[LabResults]');
    expect(mapping.lab_results.columns.modified_at).toBe('LastModifiedUtc');
    expect(mapping.lab_results.columns.sex).toBe('sex');
    expect(mapping.devices.columns.manufacturer).toBe('manufacturer');
  });

  it('defaults omitted tables and a schema-less table name to dbo', () => {
    const file = mappingFile(JSON.stringify({ tables: { devices: { table: 'Instruments' } } }));
    const mapping = loadMappingFile(file);
    expect(mapping.devices.table).toEqual({ schema: 'dbo', name: 'Instruments' });
    expect(mapping.lab_results.table).toEqual({ schema: 'dbo', name: 'lab_results' });
  });

  it('accepts an empty object', () => {
    expect(loadMappingFile(mappingFile('{}'))).toEqual(defaultMapping());
  });

  it('rejects an unknown table, naming the file and the key', () => {
    const file = mappingFile(JSON.stringify({ tables: { lab_result: { table: 'dbo.X' } } }));
    expect(() => loadMappingFile(file)).toThrow(`${file}: tables.lab_result: unknown table`);
  });

  it('rejects an unknown column, naming the file and the key', () => {
    const file = mappingFile(JSON.stringify({ tables: { devices: { columns: { serial_no: 'Serial' } } } }));
    expect(() => loadMappingFile(file)).toThrow(`${file}: tables.devices.columns.serial_no: unknown column`);
  });

  it('rejects unknown keys at every level', () => {
    expect(loadJson({ table: {} })).toThrow(/: table: unknown key/);
    expect(loadJson({ tables: { devices: { schema: 'lims' } } })).toThrow(/: tables\.devices\.schema: unknown key/);
  });

  it('rejects an injection attempt in a table name, naming the file and the key', () => {
    const file = mappingFile(JSON.stringify({ tables: { lab_results: { table: 'dbo.LabResults]; DROP TABLE Patients; --' } } }));
    expect(() => loadMappingFile(file)).toThrow(`${file}: tables.lab_results.table: illegal SQL identifier`);
  });

  it('rejects an injection attempt in a column name, naming the file and the key', () => {
    const file = mappingFile(JSON.stringify({ tables: { lab_results: { columns: { result_id: 'ResultID] FROM sys.sql_logins --' } } } }));
    expect(() => loadMappingFile(file)).toThrow(`${file}: tables.lab_results.columns.result_id: illegal SQL identifier`);
  });

  it.each([
    ['a closing bracket', 'Lab]Results'],
    ['a quote', "Lab'Results"],
    ['a space', 'Lab Results'],
    ['a leading digit', '1LabResults'],
    ['a variable-like name', '@LabResults'],
    ['an empty name', ''],
    ['a name over 128 characters', 'x'.repeat(129)],
  ])('rejects a column name with %s', (_, name) => {
    expect(loadJson({ tables: { devices: { columns: { model: name } } } })).toThrow(/tables\.devices\.columns\.model: illegal SQL identifier/);
  });

  it('rejects three-part names and non-string values', () => {
    expect(loadJson({ tables: { devices: { table: 'lims.dbo.Instruments' } } })).toThrow(/tables\.devices\.table: expected "schema\.table" or "table"/);
    expect(loadJson({ tables: { devices: { columns: { model: 7 } } } })).toThrow(/tables\.devices\.columns\.model: expected a string/);
    expect(loadJson({ tables: [] })).toThrow(/: tables: expected a JSON object/);
  });

  it('names the file when it is not JSON or cannot be read', () => {
    const file = mappingFile('{ "tables": ');
    expect(() => loadMappingFile(file)).toThrow(`${file}: not valid JSON`);
    const missing = path.join(dir, 'missing.json');
    expect(() => loadMappingFile(missing)).toThrow(`${missing}: cannot read the mapping file`);
  });
});

describe('identifier quoting', () => {
  it('brackets valid identifiers, Unicode letters included', () => {
    expect(quoteIdentifier('Résultat_1')).toBe('[Résultat_1]');
    expect(quoteTable({ schema: 'lims', name: 'LabResults' })).toBe('[lims].[LabResults]');
  });

  it('refuses anything that could close the bracket', () => {
    expect(() => quoteIdentifier('x]; DROP TABLE y; --')).toThrow(/illegal SQL identifier/);
  });
});
