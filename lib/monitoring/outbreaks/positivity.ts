/**
 * Test positivity of one test (overall or in one region) over consecutive days.
 *
 * For day t (0-based, days consecutive, a missing day entered as 0 positives of 0 tests):
 * - rolling: positives / tests over the `window` days ending at t (default 7); null until a full
 *   window exists or when it holds no tests;
 * - week over week: rolling(t) against rolling(t - 7) (the window a week earlier): absolute change
 *   in positivity, ratio, and a two-proportion z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0)) with the
 *   pooled p; direction 'rising' / 'falling' when |z| > 1.96, else 'stable';
 * - seasonal baseline: the same window in previous years, when present: windows ending at
 *   t - 364 y + 7 j for y = 1..years (default 5) and j = -halfWidth..halfWidth weeks (default 1),
 *   i.e. 52-week steps that keep the weekday, like Farrington's w around the same week; the
 *   baseline positivity is pooled over those windows (sum of positives / sum of tests); deviation =
 *   rolling - baseline, z = deviation / sqrt(baseline (1 - baseline) / tests in the current window);
 *   null without any complete previous-year window.
 */

export interface PositivityOptions {
  /** Rolling window in days. Default 7. */
  readonly window?: number;
  /** Previous years to look back for the seasonal baseline. Default 5. */
  readonly years?: number;
  /** Weeks either side of the same week in previous years. Default 1. */
  readonly halfWidthWeeks?: number;
  /** |z| above which week over week is rising/falling. Default 1.96. */
  readonly zCritical?: number;
  /**
   * First and last day (inclusive) to report; default every day. A daily job asks for its last
   * day only: each point reads only windows ending on or before it, so the points equal those
   * of the whole history.
   */
  readonly range?: readonly [number, number];
}

export interface WeekOverWeek {
  readonly previous: number;
  /** rolling - previous (positivity points as a fraction). */
  readonly change: number;
  /** rolling / previous; null when previous is 0. */
  readonly ratio: number | null;
  readonly z: number | null;
  readonly direction: 'rising' | 'falling' | 'stable';
}

export interface SeasonalComparison {
  readonly baseline: number;
  /** Previous years that contributed at least one window. */
  readonly years: number;
  readonly deviation: number;
  readonly z: number | null;
}

export interface PositivityPoint {
  readonly index: number;
  readonly positives: number;
  readonly tests: number;
  readonly windowPositives: number | null;
  readonly windowTests: number | null;
  readonly rolling: number | null;
  readonly weekOverWeek: WeekOverWeek | null;
  readonly seasonal: SeasonalComparison | null;
}

/** One point per day of the range, in day order. */
export function positivityTrend(positives: ArrayLike<number>, tests: ArrayLike<number>, options: PositivityOptions = {}): PositivityPoint[] {
  const window = options.window ?? 7;
  const years = options.years ?? 5;
  const halfWidth = options.halfWidthWeeks ?? 1;
  const zCritical = options.zCritical ?? 1.96;
  const n = positives.length;
  if (tests.length !== n) throw new RangeError('positivity: positives and tests differ in length');
  for (let i = 0; i < n; i++) {
    if (!(positives[i]! >= 0 && tests[i]! >= positives[i]!)) throw new RangeError(`positivity: day ${i} needs 0 <= positives <= tests`);
  }
  // Prefix sums give any window in O(1).
  const cp = new Float64Array(n + 1);
  const ct = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    cp[i + 1] = cp[i]! + positives[i]!;
    ct[i + 1] = ct[i]! + tests[i]!;
  }
  const windowAt = (end: number): { x: number; n: number } | null => {
    if (end < window - 1 || end >= n) return null;
    return { x: cp[end + 1]! - cp[end + 1 - window]!, n: ct[end + 1]! - ct[end + 1 - window]! };
  };
  const [from, to] = options.range ?? [0, n - 1];
  if (from < 0 || to >= n) throw new RangeError(`positivity: range [${from}, ${to}] outside days 0..${n - 1}`);
  const out: PositivityPoint[] = [];
  for (let t = from; t <= to; t++) {
    const w = windowAt(t);
    const rolling = w && w.n > 0 ? w.x / w.n : null;
    let weekOverWeek: WeekOverWeek | null = null;
    const prev = windowAt(t - 7);
    if (w && rolling !== null && prev && prev.n > 0) {
      const p0 = prev.x / prev.n;
      const pooled = (w.x + prev.x) / (w.n + prev.n);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / w.n + 1 / prev.n));
      const z = se > 0 ? (rolling - p0) / se : null;
      weekOverWeek = {
        previous: p0,
        change: rolling - p0,
        ratio: p0 > 0 ? rolling / p0 : null,
        z,
        direction: z !== null && z > zCritical ? 'rising' : z !== null && z < -zCritical ? 'falling' : 'stable',
      };
    }
    let seasonal: SeasonalComparison | null = null;
    if (w && rolling !== null) {
      let sx = 0;
      let sn = 0;
      let contributing = 0;
      for (let y = 1; y <= years; y++) {
        let any = false;
        for (let j = -halfWidth; j <= halfWidth; j++) {
          const ref = windowAt(t - 364 * y + 7 * j);
          if (ref && ref.n > 0) {
            sx += ref.x;
            sn += ref.n;
            any = true;
          }
        }
        if (any) contributing++;
      }
      if (sn > 0) {
        const base = sx / sn;
        const se = Math.sqrt((base * (1 - base)) / w.n);
        seasonal = { baseline: base, years: contributing, deviation: rolling - base, z: se > 0 ? (rolling - base) / se : null };
      }
    }
    out.push({
      index: t,
      positives: positives[t]!,
      tests: tests[t]!,
      windowPositives: w ? w.x : null,
      windowTests: w ? w.n : null,
      rolling,
      weekOverWeek,
      seasonal,
    });
  }
  return out;
}
