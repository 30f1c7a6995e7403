/**
 * Westgard rules over quality-control results. A value is a z-score of a control measurement
 * against its material's target mean and SD: z = (measured - target mean) / target SD.
 *
 * `westgardFlags` / `passesWestgard` are the two rejection rules gold uses for qc_pass_rate_7d
 * (1-3s and 2-2s across runs of one material). `westgardMultirule` applies the full multirule
 * (Westgard, Barry, Hunt & Groth 1981; westgard.com "Westgard Rules") to the runs of one
 * device and test, each run holding the z-scores of its control levels:
 *
 * | rule | trips when | scope implemented |
 * |---|---|---|
 * | 1-2s (warning) | one measurement beyond +-2 SD | this run |
 * | 1-3s | one measurement beyond +-3 SD | this run |
 * | 2-2s | two consecutive measurements beyond the same +2 SD or -2 SD limit | within run across levels; across runs within a level |
 * | R-4s | one measurement beyond +2 SD and another beyond -2 SD in the same run | within run only (Westgard: a random-error rule, not applied across runs) |
 * | 4-1s | four consecutive measurements beyond the same +1 SD or -1 SD limit | across runs within a level; across levels (runs in order, levels in order within a run) |
 * | 10x | ten consecutive measurements on the same side of the mean | across runs within a level; across levels (same sequence) |
 *
 * "Beyond" is strict: z = 2.0 exactly does not exceed 2 SD, z = 0 is on neither side.
 * Consecutive = successive measurements that exist (a level missing from a run is skipped).
 * A rule trips on the run where its pattern completes: the pattern includes at least one
 * measurement of that run. All rules are evaluated on every run (no 1-2s screening step, as
 * computerised QC usually does); `reject` is any rule but the 1-2s warning.
 */

export interface WestgardFlags {
  /** 1-3s: this run is more than 3 SD from the target. */
  readonly r13s: boolean;
  /** 2-2s: this run and the previous one are both beyond 2 SD on the same side. */
  readonly r22s: boolean;
}

export function zScore(measured: number, targetMean: number, targetSd: number): number {
  return targetSd > 0 ? (measured - targetMean) / targetSd : 0;
}

/** Flags of the current run given the previous run's z-score (null when there is none). */
export function westgardFlags(z: number, previousZ: number | null): WestgardFlags {
  return {
    r13s: Math.abs(z) > 3,
    r22s: previousZ !== null && ((z > 2 && previousZ > 2) || (z < -2 && previousZ < -2)),
  };
}

/** A run passes when neither rejection rule (1-3s, 2-2s) trips. */
export function passesWestgard(flags: WestgardFlags): boolean {
  return !flags.r13s && !flags.r22s;
}

export type WestgardRule = '1-2s' | '1-3s' | '2-2s' | 'R-4s' | '4-1s' | '10x';
export type WestgardScope = 'run' | 'within-run' | 'across-runs' | 'across-levels';

export interface WestgardViolation {
  readonly rule: WestgardRule;
  readonly scope: WestgardScope;
  /** Control levels (indices into the run) involved; for across-runs, the level whose series tripped. */
  readonly levels: readonly number[];
}

export interface WestgardRunResult {
  readonly warning12s: boolean;
  readonly r13s: boolean;
  readonly r22s: boolean;
  readonly rR4s: boolean;
  readonly r41s: boolean;
  readonly r10x: boolean;
  /** Any rejection rule (all but the 1-2s warning). */
  readonly reject: boolean;
  readonly violations: readonly WestgardViolation[];
}

interface Measurement {
  readonly run: number;
  readonly level: number;
  readonly z: number;
}

const sameSide = (values: readonly Measurement[], limit: number): boolean =>
  values.every((m) => m.z > limit) || values.every((m) => m.z < -limit);

/** Whether some window of `length` consecutive measurements of `seq`, ending at a measurement of `run`, is all beyond the same +-limit. */
function windowTrips(seq: readonly Measurement[], run: number, length: number, limit: number): Measurement[] | null {
  for (let end = seq.length - 1; end >= length - 1 && seq[end]!.run === run; end--) {
    const window = seq.slice(end - length + 1, end + 1);
    if (sameSide(window, limit)) return window;
  }
  return null;
}

/**
 * Full Westgard multirule over the QC runs of one device and test, in run order. `runs[t][l]` is
 * the z-score of control level l in run t (null when that level was not run). One result per run.
 */
export function westgardMultirule(runs: ReadonlyArray<ReadonlyArray<number | null>>): WestgardRunResult[] {
  const results: WestgardRunResult[] = [];
  const perLevel = new Map<number, Measurement[]>();
  const combined: Measurement[] = [];
  runs.forEach((levels, run) => {
    const current: Measurement[] = [];
    levels.forEach((z, level) => {
      if (z === null || z === undefined || Number.isNaN(z)) return;
      const m = { run, level, z };
      current.push(m);
      combined.push(m);
      let series = perLevel.get(level);
      if (!series) perLevel.set(level, (series = []));
      series.push(m);
    });
    const violations: WestgardViolation[] = [];
    const add = (rule: WestgardRule, scope: WestgardScope, ms: readonly Measurement[]) =>
      violations.push({ rule, scope, levels: [...new Set(ms.map((m) => m.level))] });

    const beyond2 = current.filter((m) => Math.abs(m.z) > 2);
    if (beyond2.length > 0) add('1-2s', 'run', beyond2);
    const beyond3 = current.filter((m) => Math.abs(m.z) > 3);
    if (beyond3.length > 0) add('1-3s', 'run', beyond3);

    const high2 = current.filter((m) => m.z > 2);
    const low2 = current.filter((m) => m.z < -2);
    if (high2.length >= 2) add('2-2s', 'within-run', high2);
    if (low2.length >= 2) add('2-2s', 'within-run', low2);
    for (const m of current) {
      const series = perLevel.get(m.level)!;
      const window = windowTrips(series, run, 2, 2);
      if (window) add('2-2s', 'across-runs', window);
    }

    if (high2.length >= 1 && low2.length >= 1) add('R-4s', 'within-run', [...high2, ...low2]);

    for (const [rule, length, limit] of [
      ['4-1s', 4, 1],
      ['10x', 10, 0],
    ] as const) {
      for (const level of new Set(current.map((m) => m.level))) {
        const window = windowTrips(perLevel.get(level)!, run, length, limit);
        if (window) add(rule, 'across-runs', window);
      }
      const window = windowTrips(combined, run, length, limit);
      if (window && new Set(window.map((m) => m.level)).size > 1) add(rule, 'across-levels', window);
    }

    const has = (rule: WestgardRule) => violations.some((v) => v.rule === rule);
    const flags = {
      warning12s: has('1-2s'),
      r13s: has('1-3s'),
      r22s: has('2-2s'),
      rR4s: has('R-4s'),
      r41s: has('4-1s'),
      r10x: has('10x'),
    };
    results.push({ ...flags, reject: flags.r13s || flags.r22s || flags.rR4s || flags.r41s || flags.r10x, violations });
  });
  return results;
}

/** Multirule over a single control level's z-scores in run order. */
export function westgardSeries(z: ArrayLike<number>): WestgardRunResult[] {
  return westgardMultirule(Array.from(z as ArrayLike<number>, (v) => [v]));
}
