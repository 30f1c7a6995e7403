import { readFileSync } from 'node:fs';
import { ks2samp } from '../monitoring/ks.js';
import { populationStabilityIndex } from '../monitoring/psi.js';
import { CsvError, parseCsv, type CsvRecord } from '../standards/csv.js';

/**
 * Analyst tools on CSV files (`lims-mlops drift-test`, `lims-mlops detect`): the same code as
 * the pipeline, with input checked row by row. Every problem is one `InputFileError` whose
 * message names the file and, where there is one, the line ("values.csv:7: ...").
 */
export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

/** The header and records of a CSV file; an unreadable, empty or header-only file is an error. */
export function readCsvInput(file: string, required: readonly string[] = []): { columns: string[]; records: CsvRecord[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputFileError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new InputFileError(`${file}: the file is empty${required.length ? ` (expected a header line ${required.join(',')})` : ''}`);
  let records: CsvRecord[];
  try {
    records = parseCsv(text, file, required);
  } catch (error) {
    if (error instanceof CsvError) throw new InputFileError(error.message);
    throw error;
  }
  if (records.length === 0) throw new InputFileError(`${file}: no data rows after the header`);
  return { columns: Object.keys(records[0]!.values), records };
}

/** A finite number from a cell, or an error naming the file, line and column. */
export function numberCell(file: string, record: CsvRecord, column: string): number {
  const raw = record.values[column] ?? '';
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new InputFileError(`${file}:${record.line}: ${column} "${raw}" is not a number`);
  return value;
}

function columnOf(file: string, columns: readonly string[], wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!columns.includes(wanted)) throw new InputFileError(`${file}:1: no column "${wanted}" (columns: ${columns.join(', ')})`);
    return wanted;
  }
  if (columns.length === 1) return columns[0]!;
  if (columns.includes('value')) return 'value';
  throw new InputFileError(`${file}:1: ${columns.length} columns (${columns.join(', ')}) and none is "value": name one with --column`);
}

export function readValues(file: string, column?: string): { column: string; values: Float64Array } {
  const { columns, records } = readCsvInput(file);
  const name = columnOf(file, columns, column);
  return { column: name, values: Float64Array.from(records, (r) => numberCell(file, r, name)) };
}

export interface DriftTestResult {
  readonly column: string;
  readonly n_baseline: number;
  readonly n_current: number;
  readonly ks_statistic: number;
  readonly ks_pvalue: number;
  readonly psi: number;
}

/** KS (scipy's ks_2samp, method 'auto') and PSI (10 baseline-quantile bins, floor 1e-4) of one column of two files. */
export function driftTestFiles(baselineFile: string, currentFile: string, column?: string): DriftTestResult {
  const baseline = readValues(baselineFile, column);
  const current = readValues(currentFile, column ?? baseline.column);
  const ks = ks2samp(baseline.values, current.values);
  const psi = populationStabilityIndex(baseline.values, current.values).psi;
  return { column: baseline.column, n_baseline: baseline.values.length, n_current: current.values.length, ks_statistic: ks.statistic, ks_pvalue: ks.pvalue, psi };
}
