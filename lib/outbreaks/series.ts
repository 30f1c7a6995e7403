import { readColumns, type Columns } from '../drift/lakeColumns.js';
import type { Lake } from '../lake/lake.js';
import { OUTBREAK_SERIES } from '../pipeline/goldTables.js';
import type { TestHistory } from '../simulate/history.js';
import { dateRange } from '../calendar/days.js';

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

export function seriesKey(loinc: string, region: string): string {
  return `${loinc}|${region}`;
}

/** The columns of gold outbreak_series the series are built from. */
export const SERIES_COLUMNS = ['loinc_code', 'loinc_name', 'region', 'tests', 'positives'];

/**
 * Series from gold outbreak_series (SERIES_COLUMNS, read as columns) by series_date, over
 * [from, to]. Rows without a region (unknown postal code) count only in the overall series; a
 * missing count is 0. With `overall`, one ALL_REGIONS series per test is added.
 */
export function seriesFromGold(byDate: ReadonlyMap<string, readonly Columns[]>, from: string, to: string, overall = true): SeriesSet {
  const dates = dateRange(from, to);
  const index = new Map(dates.map((d, i) => [d, i]));
  // loinc -> region -> series: no key string per row.
  const byTest = new Map<string, Map<string, CountSeries>>();
  const get = (loinc: string, loincName: string, region: string) => {
    let regions = byTest.get(loinc);
    if (!regions) byTest.set(loinc, (regions = new Map()));
    let s = regions.get(region);
    if (!s) regions.set(region, (s = { loinc, loincName, region, tests: new Float64Array(dates.length), positives: new Float64Array(dates.length) }));
    return s;
  };
  for (const [date, batches] of byDate) {
    const i = index.get(date);
    if (i === undefined) continue;
    for (const batch of batches) {
      const [loincs, names, regions, tests, positives] = [batch.codes('loinc_code'), batch.codes('loinc_name'), batch.codes('region'), batch.number('tests'), batch.number('positives')];
      // Each (test code, region code + 1) pair's series looked up once per file, code -1 being null.
      const width = regions.values.length + 1;
      const regional = new Array<CountSeries | null | undefined>(loincs.values.length * width);
      const overallOf = new Array<CountSeries | undefined>(loincs.values.length);
      const nameAt = (r: number, loinc: string) => (names.codes[r]! < 0 ? loinc : names.values[names.codes[r]!]!);
      for (let r = 0; r < batch.length; r++) {
        const code = loincs.codes[r]!;
        const loinc = code < 0 ? '' : loincs.values[code]!;
        if (loinc === '') continue;
        const testCount = Number.isNaN(tests[r]!) ? 0 : tests[r]!;
        const positiveCount = Number.isNaN(positives[r]!) ? 0 : positives[r]!;
        const pair = code * width + regions.codes[r]! + 1;
        let s = regional[pair];
        if (s === undefined) {
          const region = regions.codes[r]! < 0 ? '' : regions.values[regions.codes[r]!]!;
          s = regional[pair] = region !== '' && region !== 'unknown' ? get(loinc, nameAt(r, loinc), region) : null;
        }
        if (s) {
          s.tests[i]! += testCount;
          s.positives[i]! += positiveCount;
        }
        if (overall) {
          const all = (overallOf[code] ??= get(loinc, nameAt(r, loinc), ALL_REGIONS));
          all.tests[i]! += testCount;
          all.positives[i]! += positiveCount;
        }
      }
    }
  }
  const series = [...byTest.values()].flatMap((regions) => [...regions.values()]);
  series.sort((a, b) => a.loinc.localeCompare(b.loinc) || (a.region === ALL_REGIONS ? 1 : b.region === ALL_REGIONS ? -1 : a.region.localeCompare(b.region)));
  return { dates, series };
}

/** gold outbreak_series of some days as columns, by day (no batch for a day without a partition), a few at a time. */
export async function readSeriesDays(lake: Lake, dates: readonly string[], concurrency = 16): Promise<Map<string, Columns[]>> {
  const out = new Map<string, Columns[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < dates.length) {
      const date = dates[next++]!;
      out.set(date, await readColumns(lake, OUTBREAK_SERIES, { series_date: date }, SERIES_COLUMNS));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dates.length) }, worker));
  return out;
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
