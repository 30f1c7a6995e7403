import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { AppContext } from '../app/context.js';
import { outbreakAlerts, type OutbreakObservation } from '../alerts/rules.js';
import { alertSink, publishEvents, reconcileAlerts } from '../alerts/record.js';
import { OUTBREAK_SERIES } from '../pipeline/goldTables.js';
import { TABLES } from '../platform/resources.js';
import { ANALYTES } from '../standards/analytes.js';
import {
  DEFAULT_OUTBREAK_SETTINGS,
  METHOD_LABELS,
  OUTBREAK_METHODS,
  farringtonHistoryDays,
  parseOutbreakMethods,
  rollingWeek,
  scanSignals,
  seriesSignals,
  type OutbreakMethod,
  type OutbreakSettings,
  type SignalPoint,
} from './methods.js';
import { monthOf, readPackedMonths } from './months.js';
import { ALL_REGIONS, readSeriesDays, seriesFromGold, type CountSeries, type SeriesSet } from './series.js';
import { addDays, daysBetween } from '../calendar/days.js';

/**
 * Daily outbreak detection on gold outbreak_series: every method of methods.ts for each
 * (test, region) and each test overall on one day, one row per series in the `outbreaksignals`
 * table (PartitionKey the day, RowKey `<loinc>|<region or ALL>`), and an `outbreak_signal` alert
 * per series where at least OUTBREAK_ALERT_MIN_METHODS of OUTBREAK_ALERT_METHODS alarm.
 *
 * Reads only what the methods need: the last RECENT_DAYS days (EARS, CUSUM, week over week, the
 * scan) and, for each of up to 5 previous years, the 7 weeks around the same week (Farrington's
 * reference weeks and the seasonal positivity baseline). Farrington runs once 5 years and 4 weeks
 * of series exist; before that its columns stay empty.
 */
export const RECENT_DAYS = 60;

export interface OutbreakSignal {
  readonly loinc: string;
  readonly test: string;
  readonly region: string;
  readonly tests: number;
  readonly positives: number;
  readonly positives7d: number;
  readonly tests7d: number;
  readonly signals: Readonly<Record<OutbreakMethod, SignalPoint>>;
  /** Methods that alarmed. */
  readonly alarms: readonly OutbreakMethod[];
  /** The alert rule's methods that alarmed, when there are enough of them to alert (else empty). */
  readonly alerting: readonly OutbreakMethod[];
}

export interface OutbreakDetection {
  readonly day: string;
  /** First day of series history seen, and the days read. */
  readonly historyFrom: string;
  readonly daysRead: number;
  /** Past months packed (again) by this run: a month is packed once, then again only when one of its days changes. */
  readonly monthsPacked: number;
  readonly farrington: boolean;
  readonly signals: readonly OutbreakSignal[];
}

export function outbreakSettings(config: Pick<AppContext['config'], 'OUTBREAK_SCAN_REPLICAS'>): OutbreakSettings {
  return { ...DEFAULT_OUTBREAK_SETTINGS, scanReplicas: config.OUTBREAK_SCAN_REPLICAS };
}

/** The alert rule: at least `min` of `methods` alarm on the same day. */
export interface OutbreakAlertRule {
  readonly methods: readonly OutbreakMethod[];
  readonly min: number;
}

export function alertRule(config: Pick<AppContext['config'], 'OUTBREAK_ALERT_METHODS' | 'OUTBREAK_ALERT_MIN_METHODS'>): OutbreakAlertRule {
  return { methods: parseOutbreakMethods(config.OUTBREAK_ALERT_METHODS) ?? [], min: config.OUTBREAK_ALERT_MIN_METHODS };
}

const SHORT_NAMES = new Map(ANALYTES.map((a) => [a.loinc, a.name]));

export function testName(loinc: string, fallback?: string): string {
  return SHORT_NAMES.get(loinc) ?? fallback ?? loinc;
}

/** Days the methods need for `day`: the recent block and the previous years' weeks around it. */
export function neededDays(day: string, years: number): string[] {
  const days = new Set<string>();
  for (let i = 0; i < RECENT_DAYS; i++) days.add(addDays(day, -i));
  for (let y = 1; y <= years; y++) for (let d = -27; d <= 21; d++) days.add(addDays(day, d - 364 * y));
  return [...days].sort();
}

/** Signals of every series of `set` on its last day. */
export function signalsOnLastDay(set: SeriesSet, settings: OutbreakSettings, rule: OutbreakAlertRule, contiguousFrom = 0): OutbreakSignal[] {
  const t = set.dates.length - 1;
  const scans = new Map<CountSeries, SignalPoint>();
  const byTest = new Map<string, CountSeries[]>();
  for (const s of set.series) if (s.region !== ALL_REGIONS) byTest.set(s.loinc, [...(byTest.get(s.loinc) ?? []), s]);
  for (const regional of byTest.values()) scanSignals(regional, t, settings, contiguousFrom).forEach((p, i) => scans.set(regional[i]!, p));
  return set.series.map((s) => {
    const series = seriesSignals(s, { from: t, to: t, contiguousFrom }, settings);
    const signals = {} as Record<OutbreakMethod, SignalPoint>;
    for (const m of OUTBREAK_METHODS) signals[m] = m === 'scan' ? (scans.get(s) ?? { value: null, threshold: null, alarm: null }) : series[m][0]!;
    const alarms = OUTBREAK_METHODS.filter((m) => signals[m].alarm === true);
    const counted = alarms.filter((m) => rule.methods.includes(m));
    return {
      loinc: s.loinc,
      test: testName(s.loinc, s.loincName),
      region: s.region,
      tests: s.tests[t]!,
      positives: s.positives[t]!,
      positives7d: rollingWeek(s.positives, t),
      tests7d: rollingWeek(s.tests, t),
      signals,
      alarms,
      alerting: counted.length >= rule.min ? counted : [],
    };
  });
}

/** Reads the series `day` needs and computes its signals (nothing written but the packed months it lacked). */
export async function computeOutbreakSignals(ctx: Pick<AppContext, 'lake' | 'config'>, day: string): Promise<OutbreakDetection | undefined> {
  const settings = outbreakSettings(ctx.config);
  // The earliest day, not a listing of every day: years of daily partitions are thousands of blobs.
  const historyFrom = (await ctx.lake.firstPartition(OUTBREAK_SERIES))?.series_date;
  if (historyFrom === undefined || historyFrom > day) return undefined;
  const wanted = neededDays(day, settings.farringtonYears).filter((d) => d >= historyFrom);
  const from = [historyFrom, addDays(day, -(farringtonHistoryDays(settings.farringtonYears) - 1))].sort()[1]!;
  const recentFrom = [from, addDays(day, -(RECENT_DAYS - 1))].sort()[1]!;
  // Months before the recent block's no longer change day by day: read from their packed copies.
  const isPast = (d: string) => monthOf(d) < monthOf(recentFrom);
  const [recent, past] = await Promise.all([readSeriesDays(ctx.lake, wanted.filter((d) => !isPast(d))), readPackedMonths(ctx.lake, wanted.filter(isPast))]);
  const rows = new Map([...past.byDate, ...recent]);
  const set = seriesFromGold(rows, from, day);
  const signals = signalsOnLastDay(set, settings, alertRule(ctx.config), daysBetween(from, recentFrom));
  return {
    day,
    historyFrom,
    daysRead: [...rows.values()].filter((batches) => batches.length > 0).length,
    monthsPacked: past.packed,
    farrington: signals.some((s) => s.signals.farrington.alarm !== null),
    signals,
  };
}

function entityOf(day: string, s: OutbreakSignal): Record<string, unknown> {
  const e: Record<string, unknown> = {
    partitionKey: day,
    rowKey: `${s.loinc}|${s.region}`,
    loinc_code: s.loinc,
    test: s.test,
    region: s.region,
    tests: s.tests,
    positives: s.positives,
    tests_7d: s.tests7d,
    positives_7d: s.positives7d,
    alarm: s.alarms.length > 0,
    alarm_methods: s.alarms.join(','),
    alert: s.alerting.length > 0,
  };
  if (s.tests7d > 0) e.positivity_7d = s.positives7d / s.tests7d;
  for (const m of OUTBREAK_METHODS) {
    const p = s.signals[m];
    if (p.value !== null && Number.isFinite(p.value)) e[`${m}_value`] = p.value;
    if (p.threshold !== null && Number.isFinite(p.threshold)) e[`${m}_threshold`] = p.threshold;
    if (p.alarm !== null) e[`${m}_alarm`] = p.alarm;
  }
  return e;
}

async function writeSignals(table: TableClient, day: string, signals: readonly OutbreakSignal[]): Promise<void> {
  const entities = signals.map((s) => entityOf(day, s));
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < entities.length; i += 100) chunks.push(entities.slice(i, i + 100));
  await Promise.all(
    chunks.map((chunk) => table.submitTransaction(chunk.map((e) => ['upsert', e as { partitionKey: string; rowKey: string }, 'Replace'] as TransactionAction))),
  );
}

export interface OutbreakRun extends OutbreakDetection {
  readonly rowsWritten: number;
  readonly alerts: number;
}

/** Detects, stores the signals and raises the alerts of one day (default: the latest day with data). */
export async function detectOutbreaks(ctx: AppContext, day?: string, alerts: 'reconcile' | 'record' | 'none' = 'reconcile'): Promise<OutbreakRun | undefined> {
  const target = day ?? (await ctx.horizon.latestDay());
  if (!target) return undefined;
  const run = await ctx.ledger.start('outbreaks', target);
  try {
    const detection = await computeOutbreakSignals(ctx, target);
    if (!detection) {
      await run.succeed({ rowsIn: 0, rowsOut: 0 });
      return undefined;
    }
    await writeSignals(ctx.storage.table(TABLES.outbreakSignals), target, detection.signals);
    let recorded = 0;
    if (alerts !== 'none') {
      const observations: OutbreakObservation[] = detection.signals.flatMap((s) =>
        s.alerting.map((m) => ({
          test: s.test,
          region: s.region === ALL_REGIONS ? 'all regions' : s.region,
          day: target,
          method: METHOD_LABELS[m],
          value: s.signals[m].value,
          threshold: s.signals[m].threshold,
          alarm: true,
        })),
      );
      const events = outbreakAlerts(observations, 'monitoring/outbreaks');
      const sink = alertSink(ctx);
      if (alerts === 'reconcile') await reconcileAlerts(sink, 'outbreak_signal', events, { day: target, source: 'monitoring/outbreaks' });
      else if (events.length > 0) await publishEvents(sink, events);
      recorded = events.length;
    }
    await run.succeed({ rowsIn: detection.daysRead, rowsOut: detection.signals.length });
    return { ...detection, rowsWritten: detection.signals.length, alerts: recorded };
  } catch (error) {
    await run.fail(error);
    throw error;
  }
}
