import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFunction, type TimerFunction } from '../lib/app/catalog.js';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { evaluateOutbreakDetection } from '../lib/evaluation/outbreaks.js';
import { farringtonFlexible } from '../lib/monitoring/outbreaks/farrington.js';
import { earsC } from '../lib/monitoring/outbreaks/ears.js';
import { manualReview } from '../lib/outbreaks/manualReview.js';
import { neededDays, signalsOnLastDay, RECENT_DAYS } from '../lib/outbreaks/job.js';
import { DEFAULT_OUTBREAK_SETTINGS, farringtonHistoryDays, OUTBREAK_METHODS, SERIES_METHODS, seriesSignals } from '../lib/outbreaks/methods.js';
import { columnsOfRows, type Columns } from '../lib/drift/lakeColumns.js';
import { ALL_REGIONS, readSeriesDays, seriesFromGold, seriesFromHistory, type CountSeries, type SeriesSet } from '../lib/outbreaks/series.js';
import { readPackedMonths } from '../lib/outbreaks/months.js';
import { OUTBREAK_SERIES } from '../lib/pipeline/goldTables.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { TABLES } from '../lib/platform/resources.js';
import { infectiousTests, simulateTestHistory, weeklyTotals, scaledRegions } from '../lib/simulate/history.js';
import type { Row } from '../lib/sources/schema.js';
import { startTestStorage } from './support/storage.js';

const FLU = infectiousTests().find((t) => t.key === 'influenza_a')!;
const RULE = { methods: ['ears_c1', 'cusum', 'scan', 'positivity_seasonal'] as const, min: 2 };

describe('multi-year test histories (lib/simulate/history.ts)', () => {
  const history = simulateTestHistory({ years: 6, tests: [FLU], regions: scaledRegions(3), outbreaksPerSeriesYear: 1 });

  it('are deterministic, seasonal, and carry their injected outbreaks in the counts', () => {
    const again = simulateTestHistory({ years: 6, tests: [FLU], regions: scaledRegions(3), outbreaksPerSeriesYear: 1 });
    expect(again.series.map((s) => Array.from(s.positives))).toEqual(history.series.map((s) => Array.from(s.positives)));
    expect(history.dates).toHaveLength(Math.round(6 * 365.25));
    expect(history.series.map((s) => s.regionId)).toEqual(['R01', 'R02', 'R03']);
    const s = history.series[0]!;
    // Influenza peaks in winter: January positivity well above July's.
    const positivity = (month: string) => {
      let p = 0;
      let n = 0;
      history.dates.forEach((d, i) => {
        if (d.slice(5, 7) === month) {
          p += s.positives[i]!;
          n += s.tests[i]!;
        }
      });
      return p / n;
    };
    expect(positivity('01')).toBeGreaterThan(3 * positivity('07'));
    expect(history.outbreaks.length).toBeGreaterThanOrEqual(9);
    for (const o of history.outbreaks) {
      expect(o.extra_positives).toBeGreaterThan(0);
      expect(o.extra_tests).toBeGreaterThanOrEqual(o.extra_positives);
      expect(o.end_day >= o.start_day).toBe(true);
    }
  });

  it('weekly totals are sums of the 7 days ending on the given day', () => {
    const values = Array.from({ length: 30 }, (_, i) => i);
    // Weeks end on day 29, 22, 15 and 8: days 2-8, 9-15, 16-22, 23-29.
    expect(Array.from(weeklyTotals(values))).toEqual([35, 84, 133, 182]);
    expect(weeklyTotals(values, 13)[1]).toBe(7 + 8 + 9 + 10 + 11 + 12 + 13);
  });

  it('Farrington runs daily on the weekly totals ending on each day, as farringtonFlexible on those weeks', () => {
    const s = history.series[0]!;
    const set = seriesFromHistory(history);
    const t = set.dates.length - 1;
    const signals = seriesSignals(set.series[0]!, { from: t - 6, to: t });
    for (let d = t - 6; d <= t; d++) {
      const weeks = weeklyTotals(s.positives, d);
      const direct = farringtonFlexible({ observed: weeks }, { freq: 52, b: 5, range: [weeks.length - 1, weeks.length - 1] })[weeks.length - 1]!;
      expect(signals.farrington[d - (t - 6)]).toEqual({ value: direct.observed, threshold: direct.threshold, alarm: direct.alarm });
    }
    // Not before 5 years and 4 weeks of history.
    const early = seriesSignals(set.series[0]!, { from: farringtonHistoryDays(5) - 10, to: farringtonHistoryDays(5) + 10 });
    expect(early.farrington.slice(0, 4).every((p) => p.alarm === null)).toBe(true);
    expect(early.farrington.slice(-7).some((p) => p.threshold !== null)).toBe(true);
  });

  it('signals of the last days equal those of every day of the history on those days', () => {
    const set = seriesFromHistory(history, true);
    const t = set.dates.length - 1;
    for (const series of [set.series[0]!, set.series[set.series.length - 1]!]) {
      const whole = seriesSignals(series, { from: 0, to: t });
      for (const from of [t, t - 30]) {
        const part = seriesSignals(series, { from, to: t });
        for (const m of SERIES_METHODS) expect(part[m], m).toEqual(whole[m].slice(from));
      }
    }
  });

  it('the daily job reads only the days it needs: signals from those days equal signals from the whole history', () => {
    const full = seriesFromHistory(history, true);
    const last = full.dates.length - 1;
    const from = last - (farringtonHistoryDays(5) - 1);
    const cut = (s: CountSeries, keep: (i: number) => boolean): CountSeries => ({
      ...s,
      tests: Float64Array.from(s.tests.subarray(from), (v, i) => (keep(i) ? v : 0)),
      positives: Float64Array.from(s.positives.subarray(from), (v, i) => (keep(i) ? v : 0)),
    });
    const dates = full.dates.slice(from);
    const needed = new Set(neededDays(dates[dates.length - 1]!, 5));
    const whole: SeriesSet = { dates, series: full.series.map((s) => cut(s, () => true)) };
    const sparse: SeriesSet = { dates, series: full.series.map((s) => cut(s, (i) => needed.has(dates[i]!))) };
    const settings = { ...DEFAULT_OUTBREAK_SETTINGS, scanReplicas: 99 };
    const a = signalsOnLastDay(whole, settings, RULE, 0);
    const b = signalsOnLastDay(sparse, settings, RULE, dates.length - RECENT_DAYS);
    expect(b.map((s) => s.signals)).toEqual(a.map((s) => s.signals));
    expect(a.filter((s) => s.region !== ALL_REGIONS).every((s) => s.signals.farrington.threshold !== null && s.signals.positivity_seasonal.value !== null)).toBe(true);
    expect(a.find((s) => s.region === ALL_REGIONS)!.signals.scan.alarm).toBeNull();
  });
});

describe('manual review and the outbreak evaluation', () => {
  it('the reviewer looks on Mondays at the week just ended against the 4 weeks before', () => {
    const dates = Array.from({ length: 56 }, (_, i) => new Date(Date.UTC(2026, 0, 5 + i)).toISOString().slice(0, 10)); // 2026-01-05 is a Monday
    const positives = dates.map((_, i) => (i >= 42 ? 9 : [2, 3, 2, 4, 3, 1, 2][i % 7]!));
    const review = manualReview(positives, dates);
    review.forEach((p, i) => {
      if (new Date(`${dates[i]}T00:00:00Z`).getUTCDay() !== 1 || i < 35) expect(p).toBeNull();
    });
    // Monday 2026-02-16 (day 42): the week before is ordinary, weekly totals 17 each: threshold 17, no flag.
    expect(review[42]).toEqual({ value: 17, threshold: 17, alarm: false });
    // Monday 2026-02-23 (day 49): 63 positives in the week just ended.
    expect(review[49]).toEqual({ value: 63, threshold: 17, alarm: true });
  });

  it('scores delays, false alarms and days earlier than the review against the truth', () => {
    const days = 84;
    const dates = Array.from({ length: days }, (_, i) => new Date(Date.UTC(2026, 0, 5 + i)).toISOString().slice(0, 10));
    const base = [5, 6, 5, 7, 6, 3, 4];
    const flat = (extra: (i: number) => number): CountSeries => ({
      loinc: FLU.loinc,
      loincName: FLU.name,
      region: 'R01',
      tests: Float64Array.from({ length: days }, () => 100),
      positives: Float64Array.from({ length: days }, (_, i) => base[i % 7]! + extra(i)),
    });
    // An outbreak from day 60 (a Wednesday) to day 75, in R01 only.
    const outbreak = flat((i) => (i >= 60 && i <= 75 ? 20 : 0));
    const quiet = { ...flat(() => 0), region: 'R02' };
    const set: SeriesSet = { dates, series: [outbreak, quiet] };
    const truth = [{ outbreak_id: 'X1', test_key: FLU.key, loinc: FLU.loinc, test_name: FLU.name, region_id: 'R01', region_name: 'R01', start_day: dates[60]!, peak_day: dates[65]!, end_day: dates[75]!, extra_tests: 0, extra_positives: 0 }];
    const e = evaluateOutbreakDetection(set, truth, { source: 'test', settings: { ...DEFAULT_OUTBREAK_SETTINGS, scanReplicas: 99 }, alertRule: { methods: [...RULE.methods], min: 2 } });
    expect(e.outbreaks).toBe(1);
    expect(e.regionalSeries).toBe(2);
    const score = (m: string) => e.scores.find((s) => s.method === m)!;
    // The review sees it on the next Monday, day 63.
    expect(score('manual_review')).toMatchObject({ detected: 1, medianDelayDays: 3, falseAlarmDays: 0 });
    // EARS C1 alarms on the day it starts; the same code as earsC.
    const c1 = earsC(outbreak.positives, { method: 'C1' });
    expect(c1[60]!.alarm).toBe(true);
    expect(score('ears_c1')).toMatchObject({ detected: 1, medianDelayDays: 0, medianDaysEarlierThanManual: 3, pairedWithManual: 1 });
    expect(score('farrington').ran).toBe(false);
    expect(score('alert_rule').label).toBe('Alert rule (2 of C1, CUSUM, scan, seasonal)');
    for (const s of e.scores) if (s.ran) expect(s.falseAlarmDaysPerSeriesYear).toBe(s.falseAlarmDays / e.seriesYears);
  });
});

describe('daily outbreak detection over the lake', () => {
  let azurite: EmbeddedAzurite;
  let ctx: AppContext;
  const DAYS = 70;
  const date = (i: number) => new Date(Date.UTC(2026, 1, 1) + i * 86_400_000).toISOString().slice(0, 10);
  const REGIONS = ['R01', 'R02', 'R03', 'R04'];
  const RSV = infectiousTests().find((t) => t.key === 'rsv')!;

  beforeAll(async () => {
    const started = await startTestStorage();
    azurite = started.azurite;
    ctx = createAppContext(loadConfig({ OUTBREAK_SCAN_REPLICAS: '199' }), started.storage);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < DAYS; i++) {
      const rows: Row[] = [];
      for (const test of [FLU, RSV]) {
        REGIONS.forEach((region, r) => {
          const tests = 40 + ((i * 7 + r * 3) % 11);
          let positives = 4 + ((i * 5 + r) % 4);
          if (test === FLU && region === 'R02' && i >= DAYS - 4) positives += 12 + 6 * (i - (DAYS - 4));
          rows.push({ loinc_code: test.loinc, loinc_name: test.loincName, region, tests: tests + positives, positives, positivity: positives / (tests + positives) });
        });
      }
      writes.push(ctx.lake.writePartition(OUTBREAK_SERIES, { series_date: date(i) }, 'test', rows));
    }
    await Promise.all(writes);
    await ctx.horizon.advanceTo(date(DAYS - 1));
  });
  afterAll(async () => {
    await ctx.close();
    await azurite.stop();
  });

  it('the daily timer stores one row per series with every method, and alerts on the outbreak', async () => {
    const timer = findFunction('detectOutbreaksDaily') as TimerFunction;
    expect(timer.trigger).toEqual({ kind: 'timer', scheduleSetting: 'OUTBREAK_SCHEDULE' });
    await timer.handler(ctx);
    const rows: Record<string, unknown>[] = [];
    for await (const e of ctx.storage.table(TABLES.outbreakSignals).listEntities()) rows.push(e);
    expect(rows).toHaveLength(2 * (REGIONS.length + 1));
    expect(new Set(rows.map((r) => r.partitionKey))).toEqual(new Set([date(DAYS - 1)]));
    const row = (loinc: string, region: string) => rows.find((r) => r.rowKey === `${loinc}|${region}`)!;
    const hit = row(FLU.loinc, 'R02');
    expect(hit).toMatchObject({ test: 'Influenza A RNA', region: 'R02', alarm: true, alert: true });
    // On the outbreak's fourth day EARS C1's 7-day baseline already holds its first days; C2 keeps a guard band.
    for (const m of ['ears_c2', 'cusum', 'scan', 'positivity_wow']) expect(hit[`${m}_alarm`], m).toBe(true);
    expect(hit.alarm_methods).toBe('ears_c2,ears_c3,cusum,positivity_wow,scan');
    expect(hit.scan_value as number).toBeLessThan(0.05);
    expect(hit.ears_c2_value).toBe(hit.positives);
    expect(hit.ears_c2_value as number).toBeGreaterThan(hit.ears_c2_threshold as number);
    // Farrington needs 5 years of series; the seasonal baseline a previous year.
    expect(hit.farrington_alarm).toBeUndefined();
    expect(hit.positivity_seasonal_alarm).toBeUndefined();
    for (const region of ['R01', 'R03', 'R04']) expect(row(FLU.loinc, region).alert, region).toBe(false);
    for (const region of REGIONS) expect(row(RSV.loinc, region).alert).toBe(false);
    expect(row(FLU.loinc, ALL_REGIONS)).toMatchObject({ region: ALL_REGIONS, tests_7d: expect.any(Number) });
    expect(row(FLU.loinc, ALL_REGIONS).scan_alarm).toBeUndefined();

    const alerts: Record<string, unknown>[] = [];
    for await (const e of ctx.storage.table(TABLES.alerts).listEntities()) alerts.push(e);
    const outbreak = alerts.filter((a) => a.kind === 'outbreak_signal');
    expect(outbreak.map((a) => a.subject)).toContain('Influenza A RNA/R02');
    expect(outbreak.every((a) => a.severity === 'HIGH' && a.day === date(DAYS - 1))).toBe(true);
  });

  it('counts rows without a known region only in the test overall, and skips rows without a test', () => {
    const row = (loinc_code: string | null, region: string | null, tests: number | null, positives: number | null) => ({ loinc_code, loinc_name: loinc_code && 'Alpha', region, tests, positives });
    const first = [row('A', 'R1', 10, 2), row('A', null, 5, 1), row('A', 'unknown', 3, null), row(null, 'R1', 100, 50), row('', 'R1', 100, 50), row('A', 'R1', null, 1)];
    const byDate = new Map([
      ['2026-01-02', [columnsOfRows(first)]],
      ['2026-01-01', [columnsOfRows([row('A', 'R2', 4, 4)])]],
    ]);
    const set = seriesFromGold(byDate, '2026-01-01', '2026-01-02');
    expect(set.series.map((s) => [s.loinc, s.loincName, s.region, [...s.tests], [...s.positives]])).toEqual([
      ['A', 'Alpha', 'R1', [0, 10], [0, 3]],
      ['A', 'Alpha', 'R2', [4, 0], [4, 0]],
      ['A', 'Alpha', ALL_REGIONS, [4, 18], [4, 4]],
    ]);
    expect(seriesFromGold(byDate, '2026-01-01', '2026-01-02', false).series.map((s) => s.region)).toEqual(['R1', 'R2']);
  });

  it('reads the gold series as the pipeline wrote them', async () => {
    const byDate = new Map<string, Columns[]>();
    for (let i = 0; i < DAYS; i++) byDate.set(date(i), [columnsOfRows(await ctx.lake.readRows(OUTBREAK_SERIES, { series_date: date(i) }))]);
    const set = seriesFromGold(byDate, date(0), date(DAYS - 1));
    // The job's columnar read gives the same series.
    expect(seriesFromGold(await readSeriesDays(ctx.lake, [...byDate.keys()]), date(0), date(DAYS - 1))).toEqual(set);
    expect(set.series.map((s) => `${s.loinc}|${s.region}`)).toHaveLength(10);
    const all = set.series.find((s) => s.loinc === FLU.loinc && s.region === ALL_REGIONS)!;
    const parts = set.series.filter((s) => s.loinc === FLU.loinc && s.region !== ALL_REGIONS);
    for (let i = 0; i < DAYS; i++) expect(all.positives[i]).toBe(parts.reduce((a, s) => a + s.positives[i]!, 0));
    expect(OUTBREAK_METHODS).toHaveLength(8);
  });
  it('reads past months from packed copies, packed once and again only when one of their days changes', async () => {
    const dates = Array.from({ length: 59 }, (_, i) => date(i)); // February and March
    const series = (byDate: Map<string, Columns[]>) => seriesFromGold(byDate, date(0), date(58));
    const daily = series(await readSeriesDays(ctx.lake, dates));
    const first = await readPackedMonths(ctx.lake, dates);
    expect(first.packed).toBe(2);
    expect(series(first.byDate)).toEqual(daily);
    const again = await readPackedMonths(ctx.lake, dates.slice(20, 40));
    expect(again.packed).toBe(0);
    expect([...again.byDate.keys()]).toEqual(dates.slice(20, 40));
    expect(seriesFromGold(again.byDate, date(20), date(39))).toEqual(seriesFromGold(await readSeriesDays(ctx.lake, dates.slice(20, 40)), date(20), date(39)));

    // A corrected day: its month is packed again and read with the correction.
    const corrected = (await ctx.lake.readRows(OUTBREAK_SERIES, { series_date: date(10) })).map((r) => ({ ...r, positives: Number(r.positives) + 100 }));
    await ctx.lake.writePartition(OUTBREAK_SERIES, { series_date: date(10) }, 'correction', corrected);
    const after = await readPackedMonths(ctx.lake, dates);
    expect(after.packed).toBe(1);
    const read = series(after.byDate);
    expect(read).toEqual(series(await readSeriesDays(ctx.lake, dates)));
    expect(read.series[0]!.positives[10]).toBe(daily.series[0]!.positives[10]! + 100);
  });
});
