import { TEST_CATALOGUE, type LabTest, type Seasonality } from './catalogue.js';
import { REGIONS } from './regions.js';
import type { Rng } from './random.js';
import type { OutbreakTruth } from './truth.js';
import { DAY_MS } from '../calendar/days.js';

/** 1 at the season's peak day, falling smoothly to 0 half a year away. */
export function seasonalBump(dayOfYear: number, peakDayOfYear: number): number {
  const half = (1 + Math.cos((2 * Math.PI * (dayOfYear - peakDayOfYear)) / 365)) / 2;
  return half * half;
}

export function seasonalPositivity(season: Seasonality, dayOfYear: number): number {
  return season.base + season.amplitude * seasonalBump(dayOfYear, season.peakDayOfYear);
}

export function dayOfYear(epochMs: number): number {
  const date = new Date(epochMs);
  return Math.floor((epochMs - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS);
}

/** An outbreak to inject: the epidemic curve scales extra tests of `test` from `region`. */
export interface OutbreakPlan {
  readonly test: LabTest;
  readonly region: number;
  readonly startDay: number;
  readonly durationDays: number;
  readonly peakOffset: number;
  /** Extra tests at the peak, relative to the region's usual volume of that test. */
  readonly intensity: number;
  /** Share of the extra tests that are positive. */
  readonly positiveShare: number;
  readonly truth: OutbreakTruth;
}

/** Epidemic curve in [0, 1]: quadratic rise to the peak, slower decline to the end. */
export function outbreakCurve(plan: OutbreakPlan, day: number): number {
  const t = day - plan.startDay;
  if (t < 0 || t >= plan.durationDays) return 0;
  if (t <= plan.peakOffset) return ((t + 1) / (plan.peakOffset + 1)) ** 2;
  return ((plan.durationDays - t) / (plan.durationDays - plan.peakOffset)) ** 1.5;
}

/** Which infectious tests the outbreak picks, by how often each causes one. */
const OUTBREAK_WEIGHTS: Readonly<Record<string, number>> = { influenza_a: 4, sars_cov_2: 2.5, rsv: 2, strep_a: 1.5 };

/**
 * One outbreak per 40 simulated days (at least one), each for a (test, region) pair that the
 * lab can see: some site serving the region has a device running the test.
 */
export function planOutbreaks(
  days: number,
  visibleRegions: ReadonlyMap<LabTest, ReadonlySet<number>>,
  isoDay: (day: number) => string,
  rng: Rng,
): OutbreakPlan[] {
  const candidates = TEST_CATALOGUE.filter((t) => (OUTBREAK_WEIGHTS[t.key] ?? 0) > 0 && (visibleRegions.get(t)?.size ?? 0) > 0);
  if (candidates.length === 0) return [];
  const plans: OutbreakPlan[] = [];
  const count = 1 + Math.floor(days / 40);
  for (let n = 0; n < count; n++) {
    const test = weightedPick(candidates, (t) => OUTBREAK_WEIGHTS[t.key] ?? 0, rng);
    const region = rng.pick([...(visibleRegions.get(test) ?? [])]);
    const durationDays = 14 + rng.int(15);
    const startDay = days >= 28 ? 7 + rng.int(days - 20) : Math.floor(days / 4);
    const peakOffset = Math.round(durationDays * rng.uniform(0.3, 0.45));
    const regionInfo = REGIONS[region]!;
    plans.push({
      test,
      region,
      startDay,
      durationDays,
      peakOffset,
      intensity: rng.uniform(0.8, 1.6),
      positiveShare: rng.uniform(0.45, 0.7),
      truth: {
        outbreak_id: `OB${String(n + 1).padStart(3, '0')}`,
        test_key: test.key,
        loinc: test.loinc,
        test_name: test.name,
        region_id: regionInfo.id,
        region_name: regionInfo.name,
        start_day: isoDay(startDay),
        peak_day: isoDay(startDay + peakOffset),
        end_day: isoDay(startDay + durationDays - 1),
        extra_tests: 0,
        extra_positives: 0,
      },
    });
  }
  return plans;
}

function weightedPick<T>(items: readonly T[], weight: (item: T) => number, rng: Rng): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let u = rng.next() * total;
  for (const item of items) {
    u -= weight(item);
    if (u < 0) return item;
  }
  return items[items.length - 1]!;
}
