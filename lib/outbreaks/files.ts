import { InputFileError, numberCell, readCsvInput } from '../drift/files.js';
import { cusum } from '../monitoring/outbreaks/cusum.js';
import { earsC, type EarsMethod } from '../monitoring/outbreaks/ears.js';
import { farringtonFlexible } from '../monitoring/outbreaks/farrington.js';
import { daysBetween } from '../calendar/days.js';

/**
 * `lims-mlops detect` on a CSV of counts: columns `date,count` (optional `population`), one row
 * per day or per week in date order. The period is read from the dates: consecutive rows 1 day
 * apart (daily) or 7 days apart (weekly); a missing period must be a row with count 0.
 * - ears-c1|c2|c3: surveillance's earsC defaults (baseline 7, alpha 0.001 / 0.001 / 0.025);
 * - cusum: Page's CUSUM with a 28-period moving baseline (k 0.5, h 5); no alpha;
 * - farrington-flexible: surveillance's farringtonFlexible defaults with 52 periods a year for
 *   weekly series (365 for daily), reference periods found from the dates (b = 5 years back,
 *   w = 3), and the population as the model's offset when the file has that column.
 * One result per input row; threshold null (and alarm null) where the method has too little
 * history.
 */
export const DETECT_METHODS = ['ears-c1', 'ears-c2', 'ears-c3', 'cusum', 'farrington-flexible'] as const;
export type DetectMethod = (typeof DETECT_METHODS)[number];

export function isDetectMethod(value: string): value is DetectMethod {
  return (DETECT_METHODS as readonly string[]).includes(value);
}

export interface DetectRow {
  readonly date: string;
  readonly count: number;
  readonly threshold: number | null;
  readonly alarm: boolean | null;
}

export interface CountFile {
  readonly dates: string[];
  readonly counts: number[];
  readonly population: number[] | null;
  readonly period: 'daily' | 'weekly';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export function readCountFile(file: string): CountFile {
  const { columns, records } = readCsvInput(file, ['date', 'count']);
  const hasPopulation = columns.includes('population');
  const dates: string[] = [];
  const counts: number[] = [];
  const population: number[] = [];
  let step: number | null = null;
  const lineOfDate = new Map<string, number>();
  for (const r of records) {
    const date = (r.values.date ?? '').trim();
    if (!isDate(date)) throw new InputFileError(`${file}:${r.line}: date "${date}" is not a date YYYY-MM-DD`);
    const count = numberCell(file, r, 'count');
    if (!(Number.isInteger(count) && count >= 0)) throw new InputFileError(`${file}:${r.line}: count ${count} is not a non-negative whole number`);
    if (hasPopulation) {
      const p = numberCell(file, r, 'population');
      if (!(p > 0)) throw new InputFileError(`${file}:${r.line}: population ${p} must be positive`);
      population.push(p);
    }
    const seen = lineOfDate.get(date);
    if (seen !== undefined) throw new InputFileError(`${file}:${r.line}: date ${date} repeats line ${seen}`);
    const previous = dates[dates.length - 1];
    if (previous !== undefined) {
      const gap = daysBetween(previous, date);
      if (gap < 0) throw new InputFileError(`${file}:${r.line}: date ${date} comes before ${previous} on the line above: rows must be in date order`);
      if (step === null) {
        if (gap !== 1 && gap !== 7) throw new InputFileError(`${file}:${r.line}: date ${date} is ${gap} days after ${previous}: rows must be 1 day (daily) or 7 days (weekly) apart`);
        step = gap;
      } else if (gap !== step) {
        throw new InputFileError(`${file}:${r.line}: date ${date} is ${gap} days after ${previous}, but the series is ${step === 1 ? 'daily' : 'weekly'}: write a missing period as a row with count 0`);
      }
    }
    lineOfDate.set(date, r.line);
    dates.push(date);
    counts.push(count);
  }
  return { dates, counts, population: hasPopulation ? population : null, period: step === 7 ? 'weekly' : 'daily' };
}

/** Runs `method` over the file's series. `alpha` is not accepted by cusum (the caller checks). */
export function detect(series: CountFile, method: DetectMethod, alpha?: number): DetectRow[] {
  const { dates, counts } = series;
  const row = (i: number, threshold: number | null, alarm: boolean | null): DetectRow => ({ date: dates[i]!, count: counts[i]!, threshold, alarm });
  if (method === 'cusum') return cusum(counts).map((p, i) => row(i, p.threshold, p.alarm));
  if (method === 'farrington-flexible') {
    const result = farringtonFlexible(
      { observed: counts, dates, ...(series.population ? { population: series.population } : {}) },
      { freq: series.period === 'weekly' ? 52 : 365, populationOffset: series.population !== null, ...(alpha !== undefined ? { alpha } : {}) },
    );
    return result.map((p, i) => row(i, p.threshold, p.alarm));
  }
  const ears: EarsMethod = method === 'ears-c1' ? 'C1' : method === 'ears-c2' ? 'C2' : 'C3';
  const maxLag = { C1: 7, C2: 9, C3: 11 }[ears];
  if (counts.length <= maxLag) return counts.map((_, i) => row(i, null, null));
  return earsC(counts, { method: ears, ...(alpha !== undefined ? { alpha } : {}) }).map((p, i) => row(i, p.threshold, p.alarm));
}
