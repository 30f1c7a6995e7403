import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMapping, loadMappingFile } from './mapping.js';
import { buildPageQuery, rowFromRecord } from './mssql-query.js';
import { LIMS_TABLES } from './schema.js';

const siteMapping = loadMappingFile(path.join(import.meta.dirname, 'mapping.example.json'));
const modifiedAt = Date.UTC(2026, 2, 1, 8, 30, 15, 123);

describe('buildPageQuery', () => {
  it('reads the first page with only the limit as parameter', () => {
    const query = buildPageQuery('devices', defaultMapping(), null, 500);
    expect(query.parameters).toEqual([{ name: 'limit', type: 'int', value: 500 }]);
    expect(query.text).toMatch(/^SELECT TOP \(@limit\) /);
    expect(query.text).toContain('FROM [dbo].[devices]');
    expect(query.text).toContain(`ORDER BY DATEDIFF_BIG(millisecond, '19700101', [modified_at]), [device_id]`);
    expect(query.text).not.toContain('@afterModified');
    expect(query.text).not.toContain('@until');
  });

  it('continues strictly after the watermark with datetime2 and nvarchar parameters', () => {
    const query = buildPageQuery('devices', defaultMapping(), { modifiedAt, key: 'DEV-0042' }, 500);
    expect(query.parameters).toEqual([
      { name: 'limit', type: 'int', value: 500 },
      { name: 'afterModified', type: 'datetime2', value: new Date(modifiedAt) },
      { name: 'afterKey', type: 'nvarchar', value: 'DEV-0042' },
    ]);
    const [e, a] = [`DATEDIFF_BIG(millisecond, '19700101', [modified_at])`, `DATEDIFF_BIG(millisecond, '19700101', @afterModified)`];
    expect(query.text).toContain(`[modified_at] >= DATEADD(millisecond, -1, @afterModified) AND (${e} > ${a} OR (${e} = ${a} AND [device_id] > @afterKey))`);
  });

  it('bounds the page by until, inclusive at millisecond precision', () => {
    const until = Date.UTC(2026, 2, 2);
    const query = buildPageQuery('devices', defaultMapping(), { modifiedAt, key: 'DEV-0042' }, 10, until);
    expect(query.parameters.at(-1)).toEqual({ name: 'until', type: 'datetime2', value: new Date(until) });
    expect(query.text).toContain(
      `[modified_at] < DATEADD(millisecond, 2, @until) AND DATEDIFF_BIG(millisecond, '19700101', [modified_at]) <= DATEDIFF_BIG(millisecond, '19700101', @until)`,
    );
    const first = buildPageQuery('devices', defaultMapping(), null, 10, until);
    expect(first.parameters.map((p) => p.name)).toEqual(['limit', 'until']);
  });

  it('applies the same conditions to the inner page that bounds the sort', () => {
    const query = buildPageQuery('devices', defaultMapping(), { modifiedAt, key: 'D' }, 10, modifiedAt + 1);
    const outer = query.text.slice(query.text.indexOf('\nWHERE ') + 7, query.text.indexOf('\n  AND [modified_at] < DATEADD(millisecond, 2, (SELECT'));
    const conditions = outer.split('\n  AND ').join(' AND ');
    expect(conditions).toContain('@afterKey');
    expect(conditions).toContain('@until');
    expect(query.text).toContain(`SELECT TOP (@limit) [modified_at] AS [m] FROM [dbo].[devices] WHERE ${conditions} ORDER BY [modified_at]`);
    expect(query.text).toContain('[modified_at] < DATEADD(millisecond, 2, (SELECT MAX([m]) FROM (');
  });

  it('selects mapped physical columns under their logical names, bracket-quoted', () => {
    const query = buildPageQuery('lab_results', siteMapping, { modifiedAt, key: 'R1' }, 100);
    expect(query.text).toContain('FROM [lims].[LabResults]');
    expect(query.text).toContain('[ResultID] AS [result_id]');
    expect(query.text).toContain('[DOB] AS [date_of_birth]');
    expect(query.text).toContain('[sex] AS [sex]');
    expect(query.text).toContain(`CAST(DATEDIFF_BIG(millisecond, '19700101', [LastModifiedUtc]) AS float) AS [modified_at]`);
    expect(query.text).toContain('[LastModifiedUtc] >= DATEADD(millisecond, -1, @afterModified)');
    expect(query.text).toContain('[ResultID] > @afterKey');
    expect(query.text).toContain(`ORDER BY DATEDIFF_BIG(millisecond, '19700101', [LastModifiedUtc]), [ResultID]`);
    for (const column of LIMS_TABLES.lab_results.columns) expect(query.text).toContain(` AS [${column.name}]`);
  });

  it('never puts watermark or until values in the SQL text', () => {
    const key = "R-77'; DELETE FROM lims.LabResults; --";
    const until = Date.UTC(2027, 0, 31, 23, 59, 59, 999);
    const query = buildPageQuery('lab_results', siteMapping, { modifiedAt, key }, 250, until);
    for (const value of [key, 'R-77', 'DELETE', String(modifiedAt), new Date(modifiedAt).toISOString(), '2026', String(until), '2027', '250']) {
      expect(query.text).not.toContain(value);
    }
    expect(query.parameters.map((p) => p.value)).toEqual([250, new Date(modifiedAt), key, new Date(until)]);
  });

  it('rejects a limit that is not a positive int32 and an invalid timestamp', () => {
    expect(() => buildPageQuery('devices', defaultMapping(), null, 0)).toThrow(RangeError);
    expect(() => buildPageQuery('devices', defaultMapping(), null, 1.5)).toThrow(RangeError);
    expect(() => buildPageQuery('devices', defaultMapping(), { modifiedAt: NaN, key: '' }, 10)).toThrow(/not a valid timestamp/);
  });
});

describe('rowFromRecord', () => {
  it('converts driver values to the in-memory representation', () => {
    const record = {
      qc_id: 1042, // an int key column
      device_id: 'DEV-1',
      test_code: 'GLU',
      control_lot: null,
      control_level: true, // bit
      measured_value: 5.4321, // decimal(9,4): the driver gives a number
      target_mean: '5400000000', // bigint: the driver gives a decimal string
      target_sd: undefined,
      run_at: new Date(Date.UTC(2026, 2, 1, 8, 0, 0, 250)),
      modified_at: modifiedAt, // computed as float by the query
    };
    expect(rowFromRecord(LIMS_TABLES.quality_control, record)).toEqual({
      qc_id: '1042',
      device_id: 'DEV-1',
      test_code: 'GLU',
      control_lot: null,
      control_level: 1,
      measured_value: 5.4321,
      target_mean: 5_400_000_000,
      target_sd: null,
      run_at: Date.UTC(2026, 2, 1, 8, 0, 0, 250),
      modified_at: modifiedAt,
    });
  });

  it('turns date columns into midnight UTC, also from a datetime', () => {
    const spec = { name: 't', key: 'id', modifiedColumn: 'modified_at', columns: [{ name: 'id', type: 'string' }, { name: 'd', type: 'date' }] } as const;
    expect(rowFromRecord(spec, { id: 'a', d: new Date(Date.UTC(1980, 4, 17)) }).d).toBe(Date.UTC(1980, 4, 17));
    expect(rowFromRecord(spec, { id: 'a', d: new Date(Date.UTC(1980, 4, 17, 23, 59)) }).d).toBe(Date.UTC(1980, 4, 17));
    expect(rowFromRecord(spec, { id: 'a', d: new Date(Date.UTC(1930, 0, 2, 6)) }).d).toBe(Date.UTC(1930, 0, 2));
  });

  it('names table, column and key but not the value when a value does not fit', () => {
    const record = { qc_id: 'Q9', control_level: 'Smith, Jane', modified_at: modifiedAt };
    const convert = () => rowFromRecord(LIMS_TABLES.quality_control, record);
    expect(convert).toThrow('quality_control.control_level (qc_id=Q9): expected a finite number, got non-numeric text');
    expect(convert).not.toThrow(/Smith/);
    expect(() => rowFromRecord(LIMS_TABLES.quality_control, { qc_id: 'Q9', control_level: 2.5 })).toThrow(/expected a 32-bit integer/);
    expect(() => rowFromRecord(LIMS_TABLES.devices, { device_id: Buffer.from('x') })).toThrow(/devices\.device_id .*binary data/);
  });
});
