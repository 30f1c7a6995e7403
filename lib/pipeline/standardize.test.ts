import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { batchOf, codesOfValues, rowsOfColumns, type ColumnBatch, type HeldColumn, type NullableNumbers, type TextBytes } from '../lake/parquet.js';
import { LIMS_TABLES, type Row } from '../sources/schema.js';
import { standardsOf } from './compute.js';
import { standardizeBatch, type Standards } from './standardize.js';

const standards: Standards = { ...standardsOf(loadConfig({}), Buffer.from('k'.repeat(32))), deviceSites: new Map([['DEV-A', 'S1']]) };
const AT = Date.parse('2026-03-02T08:00:00Z');

/** Bronze lab results, each a variation the standardization must handle. */
const bronze: Row[] = [
  { result_id: ' R1 ', device_id: 'DEV-A', test_code: 'GLU', unit: 'mg/dL', result_value: 90, reference_low: 70, reference_high: 99, sex: 'f', postal_code: '05 123', result_text: null, status: 'FINAL' },
  { result_id: 'R2\u00a0', sample_id: 'S1\u00a0', device_id: ' DEV-A', test_code: ' GLU ', unit: 'mmol/L', result_value: 5, reference_low: 3.9, reference_high: 5.5, sex: 'M', postal_code: null, result_text: null, status: 'final' },
  { result_id: 'R3', device_id: 'DEV-A', test_code: 'COV2', unit: null, result_value: null, reference_low: null, reference_high: null, sex: null, postal_code: 'N/A', result_text: ' pos', status: 'final' },
  { result_id: 'R4', device_id: 'DEV-X', test_code: 'GLU', unit: 'mg/dL', result_value: 100, reference_low: 70, reference_high: 99, sex: 'F', postal_code: '01000', result_text: null, status: 'final' },
  { result_id: 'R5', device_id: 'DEV-A', test_code: 'NOPE', unit: 'mg/dL', result_value: 1, reference_low: null, reference_high: null, sex: '', postal_code: '05000', result_text: 'not detected', status: 'final' },
  { result_id: 'R6', device_id: 'DEV-A', test_code: 'GLU', unit: 'furlongs', result_value: 7, reference_low: 1, reference_high: 2, sex: 'F', postal_code: '05000', result_text: null, status: 'final' },
].map((row, i) => ({ patient_id: ` P${i % 2} `, date_of_birth: Date.parse('1980-06-01T00:00:00Z'), abnormal_flag: 'n', received_at: AT, resulted_at: AT + 1000, modified_at: AT + 2000, sample_id: `S${i}`, ...row }));

/**
 * The bronze rows as a batch: text as values, as codes (as a file with dictionaries reads), or as
 * bytes with numbers with nulls as typed arrays and masks (as a file of plain pages reads).
 */
function bronzeBatch(held: boolean | 'bytes'): ColumnBatch {
  const data: Record<string, HeldColumn> = {};
  for (const { name, type } of LIMS_TABLES.lab_results.columns) {
    const values = bronze.map((row) => row[name] ?? null);
    if (held === 'bytes') data[name] = type === 'string' ? textBytesOf(values as (string | null)[]) : nullableOf(values as (number | null)[]);
    else data[name] = held && type === 'string' ? codesOfValues(values) : values;
  }
  return batchOf(bronze.length, data);
}

function textBytesOf(values: readonly (string | null)[]): TextBytes {
  const encoded = values.map((value) => Buffer.from(value ?? '', 'utf8'));
  let end = 0;
  return { bytes: Buffer.concat(encoded), ends: Int32Array.from(encoded, (b) => (end += b.length)), present: Uint8Array.from(values, (v) => (v === null ? 0 : 1)) };
}

function nullableOf(values: readonly (number | null)[]): NullableNumbers {
  return { values: Float64Array.from(values, (v) => v ?? 0), present: Uint8Array.from(values, (v) => (v === null ? 0 : 1)) };
}

function silverRows(coded: boolean | 'bytes'): Row[] {
  const silver = standardizeBatch('lab_results', bronzeBatch(coded), standards);
  return rowsOfColumns(silver);
}

describe('standardizeBatch (lab results)', () => {
  it('gives the same silver rows whether bronze text comes as values, dictionary codes or bytes', () => {
    expect(silverRows(true)).toEqual(silverRows(false));
    // Bytes: ids pass through unless one needs trimming (' R1 ', and a no-break space after 'S1').
    expect(silverRows('bytes')).toEqual(silverRows(false));
    const [r1, r2] = silverRows('bytes');
    expect([r1!.result_id, r2!.result_id, r2!.sample_id]).toEqual(['R1', 'R2', 'S1']);
  });

  it('reads a text column that a file holds as numbers as its text', () => {
    const batch = bronzeBatch(false);
    const numbered = batchOf(batch.length, { ...batch.columns, sample_id: bronze.map((_, i) => 1000 + i) });
    const silver = rowsOfColumns(standardizeBatch('lab_results', numbered, standards), [0, 1]);
    expect(silver.map((row) => row.sample_id)).toEqual(['1000', '1001']);
  });

  it('cleans text, maps sites and LOINC codes, converts units, and reduces patient identifiers', () => {
    const [r1, r2, r3, r4, r5, r6] = silverRows(true);
    expect([r1!.result_id, r1!.sex, r1!.status, r1!.abnormal_flag, r1!.site_id, r1!.region]).toEqual(['R1', 'F', 'final', 'N', 'S1', 'R10']);
    // mmol/L glucose to mg/dL, limits with two more decimals; the reported value and unit are kept.
    expect([r2!.loinc_code, r2!.result_value, r2!.unit, r2!.reported_value, r2!.reported_unit]).toEqual(['2345-7', 90, 'mg/dL', 5, 'mmol/L']);
    expect([r2!.reference_low, r2!.reference_high]).toEqual([70.26, 99.09]);
    expect([r2!.device_id, r2!.test_code, r2!.region]).toEqual(['DEV-A', 'GLU', 'unknown']);
    expect([r3!.loinc_code, r3!.result_text, r3!.unit, r3!.region, r3!.sex]).toEqual(['94500-6', 'Positive', null, 'unknown', null]);
    expect([r4!.site_id, r4!.loinc_code]).toEqual([null, '2345-7']);
    expect([r5!.loinc_code, r5!.loinc_name, r5!.result_text, r5!.sex]).toEqual([null, null, 'Negative', null]);
    // A unit that does not convert keeps the reported value, unit and limits (the DQ rule quarantines it).
    expect([r6!.result_value, r6!.unit, r6!.reference_low, r6!.reference_high]).toEqual([7, 'furlongs', 1, 2]);
    expect(r1!.patient_key).toBe(r3!.patient_key);
    expect(r1!.patient_key).toMatch(/^[\w-]{22}$/);
    expect(r1!.patient_key).not.toBe(r2!.patient_key);
    expect(r1!.age_band).toBe('45-64');
    expect(r1).not.toHaveProperty('patient_id');
    expect(r1).not.toHaveProperty('postal_code');
    expect(r1).not.toHaveProperty('date_of_birth');
  });
});
