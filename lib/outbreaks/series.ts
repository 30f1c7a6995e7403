import type { Row } from '../sources/schema.js';
import type { TestHistory } from '../simulate/history.js';

/**
 * Daily count series of one infectious test in one region (or all regions together): what the
 * outbreak methods read. Days are consecutive; a day without data is 0 tests and 0 positives.
 */
export interface CountSeries {
  readonly loinc: string;
  readonly loincName: string;
  /** Region id, or ALL_REGIONS for the test overall. */
  readonly region: string;
  readonly tests: Float64Array;
  readonly positives: Float64Array;
}

export interface SeriesSet {
  /** ISO dates of the days, consecutive, oldest first. */
  readonly dates: readonly string[];
  readonly series: readonly CountSeries[];
}

export const ALL_REGIONS = 'ALL';

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function dateRange(from: string, to: string): string[] {
  const n = daysBetween(from, to) + 1;
  return Array.from({ length: Math.max(0, n) }, (_, i) => addDays(from, i));
}

export function seriesKey(loinc: string, region: string): string {
  return `${loinc}|${region}`;
}

/**
 * Series from gold outbreak_series rows (loinc_code, loinc_name, region, tests, positives) by
 * series_date, over [from, to]. Rows without a region (unknown postal code) count only in the
 * overall series. With `overall`, one ALL_REGIONS series per test is added.
 */
export function seriesFromGold(rowsByDate: ReadonlyMap<string, readonly Row[]>, from: string, to: string, overall = true): SeriesSet {
  const dates = dateRange(from, to);
  const index = new Map(dates.map((d, i) => [d, i]));
  const byKey = new Map<string, { loinc: string; loincName: string; region: string; tests: Float64Array; positives: Float64Array }>();
  const get = (loinc: string, loincName: string, region: string) => {
    const key = seriesKey(loinc, region);
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { loinc, loincName, region, tests: new Float64Array(dates.length), positives: new Float64Array(dates.length) }));
    return s;
  };
  for (const [date, rows] of rowsByDate) {
    const i = index.get(date);
    if (i === undefined) continue;
    for (const row of rows) {
      if (typeof row.loinc_code !== 'string' || row.loinc_code === '') continue;
      const tests = Number(row.tests ?? 0);
      const positives = Number(row.positives ?? 0);
      const name = typeof row.loinc_name === 'string' ? row.loinc_name : row.loinc_code;
      const region = typeof row.region === 'string' && row.region !== '' && row.region !== 'unknown' ? row.region : null;
      if (region) {
        const s = get(row.loinc_code, name, region);
        s.tests[i]! += tests;
        s.positives[i]! += positives;
      }
      if (overall) {
        const s = get(row.loinc_code, name, ALL_REGIONS);
        s.tests[i]! += tests;
        s.positives[i]! += positives;
      }
    }
  }
  const series = [...byKey.values()].sort((a, b) => a.loinc.localeCompare(b.loinc) || (a.region === ALL_REGIONS ? 1 : b.region === ALL_REGIONS ? -1 : a.region.localeCompare(b.region)));
  return { dates, series };
}

/** Series of a simulated multi-year history (`lib/simulate/history.ts`), optionally with the overall series per test. */
export function seriesFromHistory(history: TestHistory, overall = false): SeriesSet {
  const series: CountSeries[] = history.series.map((s) => ({
    loinc: s.loinc,
    loincName: s.loincName,
    region: s.regionId,
    tests: Float64Array.from(s.tests),
    positives: Float64Array.from(s.positives),
  }));
  if (overall) {
    const byTest = new Map<string, CountSeries>();
    for (const s of series) {
      let all = byTest.get(s.loinc);
      if (!all) byTest.set(s.loinc, (all = { loinc: s.loinc, loincName: s.loincName, region: ALL_REGIONS, tests: new Float64Array(history.dates.length), positives: new Float64Array(history.dates.length) }));
      for (let d = 0; d < history.dates.length; d++) {
        all.tests[d]! += s.tests[d]!;
        all.positives[d]! += s.positives[d]!;
      }
    }
    series.push(...byTest.values());
  }
  return { dates: history.dates, series };
}
