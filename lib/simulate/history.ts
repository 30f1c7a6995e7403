/**
 * Multi-year test-count histories, generated cheaply as daily aggregates (tests and positives
 * per infectious test and region per day), never as result rows. Outbreak methods that look back
 * years (Farrington flexible: b = 5 years) can then be exercised and evaluated in seconds.
 *
 * The model follows the lab simulator's epidemiology:
 * - volume: base tests per day of a (test, region) = `testsPerDay` x the test's popularity / 5 x
 *   the region's population / 10, weekends ~60% (as `calendar.ts`), a slow yearly growth, and a
 *   seasonal rise in testing that follows positivity (people with symptoms get tested);
 * - positivity: the catalogue's seasonality (base + amplitude x bump at the peak day), with each
 *   season's intensity (x U(0.7, 1.3)) and peak (+-15 days) drawn per test and year, so that no two
 *   winters are alike (what Farrington's reference windows must cope with);
 * - positives ~ Binomial(tests, positivity);
 * - outbreaks: per (test, region) a Poisson process of `outbreaksPerSeriesYear`, at least
 *   `minOutbreakGapDays` apart; each lasts 14-28 days with the lab's epidemic curve (quadratic rise
 *   to a peak at 30-45% of the duration, slower fall), adds Poisson(curve x intensity x the day's
 *   usual tests) extra tests (intensity U(0.8, 1.6) as the lab's), U(0.45, 0.7) of them positive.
 *   Ground truth records each outbreak as the lab's `OutbreakTruth` does.
 * Deterministic: the same options give the same history.
 */
import { TEST_CATALOGUE, type Seasonality } from './catalogue.js';
import { dayOfYear, seasonalBump } from './epidemiology.js';
import { isoDay } from '../calendar/days.js';
import { Rng } from './random.js';
import { REGIONS } from './regions.js';
import type { OutbreakTruth } from './truth.js';
import { DAY_MS } from '../calendar/days.js';

export interface HistoryTest {
  readonly key: string;
  readonly name: string;
  readonly loinc: string;
  readonly loincName: string;
  /** Relative testing volume (the catalogue's popularity). */
  readonly popularity: number;
  readonly seasonality: Seasonality;
}

export interface HistoryRegion {
  readonly id: string;
  readonly name: string;
  /** Relative population (the simulator's regions: 6-18). */
  readonly population: number;
}

export interface TestHistoryOptions {
  /** First day, YYYY-MM-DD (UTC). */
  readonly start: string;
  readonly years: number;
  readonly seed: number;
  /** Average tests per day of a test with popularity 5 in a region of population 10. */
  readonly testsPerDay: number;
  /** Expected outbreaks per (test, region) and year. */
  readonly outbreaksPerSeriesYear: number;
  readonly minOutbreakGapDays: number;
  /** Default: the catalogue's infectious tests. */
  readonly tests?: readonly HistoryTest[];
  /** Default: the simulator's ten regions. */
  readonly regions?: readonly HistoryRegion[];
}

export const DEFAULT_HISTORY: TestHistoryOptions = {
  start: '2019-01-07',
  years: 7,
  seed: 42,
  testsPerDay: 12,
  outbreaksPerSeriesYear: 0.5,
  minOutbreakGapDays: 90,
};

export interface HistorySeries {
  readonly testKey: string;
  readonly loinc: string;
  readonly loincName: string;
  readonly regionId: string;
  readonly regionName: string;
  /** Tests per day. */
  readonly tests: Int32Array;
  /** Positive tests per day. */
  readonly positives: Int32Array;
}

export interface TestHistory {
  readonly options: TestHistoryOptions;
  /** ISO dates of the days, consecutive. */
  readonly dates: readonly string[];
  readonly series: readonly HistorySeries[];
  readonly outbreaks: readonly OutbreakTruth[];
}

/** The catalogue's infectious (seasonal) tests. */
export function infectiousTests(): HistoryTest[] {
  return TEST_CATALOGUE.filter((t) => t.seasonality !== null).map((t) => ({
    key: t.key,
    name: t.name,
    loinc: t.loinc,
    loincName: t.loincName,
    popularity: t.popularity,
    seasonality: t.seasonality!,
  }));
}

/**
 * `count` tests for scale runs: the infectious tests, then variants of them (distinct keys and
 * codes, shifted peaks) until there are `count`.
 */
export function scaledTests(count: number): HistoryTest[] {
  const base = infectiousTests();
  return Array.from({ length: count }, (_, i) => {
    const t = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    if (round === 0) return t;
    return {
      ...t,
      key: `${t.key}_${round}`,
      name: `${t.name} (${round})`,
      loinc: `${t.loinc}-${round}`,
      seasonality: { ...t.seasonality, peakDayOfYear: (t.seasonality.peakDayOfYear + 37 * round) % 365 },
    };
  });
}

/** `count` regions for scale runs: the simulator's ten, then more with their populations cycled. */
export function scaledRegions(count: number): HistoryRegion[] {
  return Array.from({ length: count }, (_, i) => {
    const r = REGIONS[i % REGIONS.length]!;
    return i < REGIONS.length ? { id: r.id, name: r.name, population: r.population } : { id: `R${String(i + 1).padStart(3, '0')}`, name: `${r.name} ${Math.floor(i / REGIONS.length) + 1}`, population: r.population };
  });
}

/** Epidemic curve in [0, 1], the lab's (`outbreakCurve` in epidemiology.ts). */
function curve(t: number, duration: number, peak: number): number {
  if (t < 0 || t >= duration) return 0;
  if (t <= peak) return ((t + 1) / (peak + 1)) ** 2;
  return ((duration - t) / (duration - peak)) ** 1.5;
}

function binomial(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 50) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) k++;
    return k;
  }
  const mean = n * p;
  return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * rng.normal())));
}

export function simulateTestHistory(options: Partial<TestHistoryOptions> = {}): TestHistory {
  const o: TestHistoryOptions = { ...DEFAULT_HISTORY, ...options };
  if (!(Number.isInteger(o.years) && o.years >= 1)) throw new Error(`history option years must be a positive integer, got ${o.years}`);
  if (!(o.testsPerDay > 0)) throw new Error(`history option testsPerDay must be positive, got ${o.testsPerDay}`);
  const startMs = Date.parse(`${o.start}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start) || Number.isNaN(startMs)) throw new Error(`history option start must be a date YYYY-MM-DD, got "${o.start}"`);
  const tests = o.tests ?? infectiousTests();
  const regions = o.regions ?? scaledRegions(REGIONS.length);
  const days = Math.round(o.years * 365.25);
  const dates = Array.from({ length: days }, (_, d) => isoDay(startMs + d * DAY_MS));
  const doy = Int16Array.from({ length: days }, (_, d) => dayOfYear(startMs + d * DAY_MS));
  const weekday = Uint8Array.from({ length: days }, (_, d) => new Date(startMs + d * DAY_MS).getUTCDay());

  const series: HistorySeries[] = [];
  const outbreaks: OutbreakTruth[] = [];
  tests.forEach((test, ti) => {
    // Season intensity and peak per year (one more than needed: a season spans new year).
    const seasonRng = new Rng(o.seed, 1000 + ti);
    const years = o.years + 2;
    const intensity = Array.from({ length: years }, () => seasonRng.uniform(0.7, 1.3));
    const peakShift = Array.from({ length: years }, () => Math.round(seasonRng.uniform(-15, 15)));
    const positivity = new Float64Array(days);
    const season = test.seasonality;
    for (let d = 0; d < days; d++) {
      // A day belongs to the season whose peak is nearest.
      const y = Math.min(years - 1, Math.max(0, Math.floor((d + doy[0]! - season.peakDayOfYear + 182.5) / 365.25) + 1));
      const bump = seasonalBump(doy[d]!, season.peakDayOfYear + peakShift[y]!);
      positivity[d] = Math.min(0.95, season.base + season.amplitude * intensity[y]! * bump);
    }
    regions.forEach((region, ri) => {
      const rng = new Rng(o.seed, 10_000 + ti * 1000 + ri);
      const base = o.testsPerDay * (test.popularity / 5) * (region.population / 10);
      const testsOf = new Int32Array(days);
      const positivesOf = new Int32Array(days);
      const usual = new Float64Array(days);
      for (let d = 0; d < days; d++) {
        const weekdayFactor = weekday[d] === 0 || weekday[d] === 6 ? 0.6 : 1.16;
        const growth = 1 + 0.03 * (d / 365);
        // Symptomatic people get tested: volume rises with positivity above its base.
        const seasonalDemand = 1 + 1.5 * (positivity[d]! - season.base);
        usual[d] = base * weekdayFactor * growth * seasonalDemand;
        const n = rng.poisson(usual[d]!);
        testsOf[d] = n;
        positivesOf[d] = binomial(n, positivity[d]!, rng);
      }
      // Outbreaks: exponential gaps, at least minOutbreakGapDays apart, inside the history.
      const outbreakRng = new Rng(o.seed, 500_000 + ti * 1000 + ri);
      const meanGap = 365 / Math.max(1e-9, o.outbreaksPerSeriesYear);
      let day = Math.floor(outbreakRng.exponential(meanGap));
      while (o.outbreaksPerSeriesYear > 0 && day < days) {
        const duration = 14 + outbreakRng.int(15);
        const peak = Math.round(duration * outbreakRng.uniform(0.3, 0.45));
        const strength = outbreakRng.uniform(0.8, 1.6);
        const share = outbreakRng.uniform(0.45, 0.7);
        const truth: OutbreakTruth = {
          outbreak_id: `H${String(outbreaks.length + 1).padStart(4, '0')}`,
          test_key: test.key,
          loinc: test.loinc,
          test_name: test.name,
          region_id: region.id,
          region_name: region.name,
          start_day: dates[day]!,
          peak_day: dates[Math.min(days - 1, day + peak)]!,
          end_day: dates[Math.min(days - 1, day + duration - 1)]!,
          extra_tests: 0,
          extra_positives: 0,
        };
        for (let t = 0; t < duration && day + t < days; t++) {
          const extra = outbreakRng.poisson(curve(t, duration, peak) * strength * usual[day + t]!);
          const extraPositives = binomial(extra, share, outbreakRng);
          testsOf[day + t]! += extra;
          positivesOf[day + t]! += extraPositives;
          truth.extra_tests += extra;
          truth.extra_positives += extraPositives;
        }
        outbreaks.push(truth);
        day += duration + Math.max(o.minOutbreakGapDays, Math.floor(outbreakRng.exponential(meanGap)));
      }
      series.push({ testKey: test.key, loinc: test.loinc, loincName: test.loincName, regionId: region.id, regionName: region.name, tests: testsOf, positives: positivesOf });
    });
  });
  return { options: o, dates, series, outbreaks };
}

/**
 * Sums of `values` over 7-day weeks ending on `lastDay` (inclusive), oldest first; only complete
 * weeks (the first days before a whole week are left out).
 */
export function weeklyTotals(values: ArrayLike<number>, lastDay = values.length - 1): Float64Array {
  const weeks = Math.floor((lastDay + 1) / 7);
  const out = new Float64Array(weeks);
  for (let w = 0; w < weeks; w++) {
    const end = lastDay - (weeks - 1 - w) * 7;
    let s = 0;
    for (let d = end - 6; d <= end; d++) s += values[d]!;
    out[w] = s;
  }
  return out;
}
