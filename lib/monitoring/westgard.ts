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

const PASS: WestgardRunResult = { warning12s: false, r13s: false, r22s: false, rR4s: false, r41s: false, r10x: false, reject: false, violations: [] };

/** The run-length rules: 4-1s (four beyond the same 1 SD limit) and 10x (ten on one side of the mean). */
const STREAK_RULES = [
  { rule: '4-1s', length: 4, limit: 1 },
  { rule: '10x', length: 10, limit: 0 },
] as const;
const LONGEST = 10;

/**
 * Consecutive measurements beyond +limit (high) and beyond -limit (low) up to the newest one: a
 * window of `length` consecutive measurements is all beyond the same limit exactly when one of
 * them reaches `length`, so the window rules need no look back.
 */
class Streaks {
  readonly high: Int32Array;
  readonly low: Int32Array;
  constructor(size: number) {
    this.high = new Int32Array(size);
    this.low = new Int32Array(size);
  }
  add(i: number, z: number, limit: number): number {
    this.high[i] = z > limit ? this.high[i]! + 1 : 0;
    this.low[i] = z < -limit ? this.low[i]! + 1 : 0;
    return Math.max(this.high[i]!, this.low[i]!);
  }
}

/**
 * The running state of one westgardGrid call, reset and reused by the next (a drift report
 * evaluates 50,000 series; typed arrays are costly to allocate one by one). The call is
 * synchronous, so no two calls share it at once.
 */
interface GridState {
  readonly levels: number;
  /** Each level's previous z. */
  readonly previous: Float64Array;
  /** Index 0..levels-1: each level's own series; index `levels`: all levels in measurement order. */
  readonly streaks: readonly Streaks[];
  /** Levels of the newest measurements over all levels (a ring), for the across-levels windows. */
  readonly recent: Int32Array;
}

let gridState: GridState | undefined;

function scratchFor(levels: number): GridState {
  if (gridState?.levels !== levels) {
    gridState = { levels, previous: new Float64Array(levels), streaks: STREAK_RULES.map(() => new Streaks(levels + 1)), recent: new Int32Array(LONGEST) };
  }
  gridState.previous.fill(NaN);
  for (const s of gridState.streaks) {
    s.high.fill(0);
    s.low.fill(0);
  }
  gridState.recent.fill(0);
  return gridState;
}

/**
 * Full Westgard multirule over the QC runs of one device and test, in run order. `runs[t][l]` is
 * the z-score of control level l in run t (null when that level was not run). One result per run
 * from run `from` on (earlier runs are evaluated for the patterns they start, not reported).
 */
export function westgardMultirule(runs: ReadonlyArray<ReadonlyArray<number | null>>, from = 0): WestgardRunResult[] {
  const levels = runs.reduce((most, run) => Math.max(most, run.length), 0);
  const z = new Float64Array(runs.length * levels).fill(NaN);
  runs.forEach((run, t) =>
    run.forEach((v, l) => {
      if (v !== null && v !== undefined) z[t * levels + l] = v;
    }),
  );
  return westgardGrid(z, levels, from);
}

/**
 * The multirule over runs laid out flat: run t's level l at z[t * levels + l], NaN where the
 * level was not run. One pass with running streaks per level and over all levels in measurement
 * order (runs in order, levels in order within a run), so each run costs O(levels).
 */
export function westgardGrid(z: Float64Array, levels: number, from = 0): WestgardRunResult[] {
  const runs = levels > 0 ? z.length / levels : 0;
  const { previous, streaks, recent } = scratchFor(levels);
  let measured = 0;
  const acrossLevels: (number[] | null)[] = STREAK_RULES.map(() => null);
  const results: WestgardRunResult[] = [];
  // Levels tripping 2-2s across runs in the current run (reused: runResult copies what it keeps).
  const across22: number[] = [];
  for (let t = 0; t < runs; t++) {
    const report = t >= from;
    across22.length = 0;
    acrossLevels.fill(null);
    for (let l = 0; l < levels; l++) {
      const v = z[t * levels + l]!;
      if (Number.isNaN(v)) continue;
      const before = previous[l]!;
      if ((v > 2 && before > 2) || (v < -2 && before < -2)) across22.push(l);
      previous[l] = v;
      recent[measured++ % LONGEST] = l;
      for (let r = 0; r < STREAK_RULES.length; r++) {
        const { length, limit } = STREAK_RULES[r]!;
        streaks[r]!.add(l, v, limit);
        // The newest window over all levels that completes in this run is the one reported.
        if (streaks[r]!.add(levels, v, limit) >= length && report) acrossLevels[r] = windowLevels(recent, measured, length);
      }
    }
    if (report) results.push(quiet(z, t * levels, levels, across22, streaks, acrossLevels) ? PASS : runResult(z.subarray(t * levels, (t + 1) * levels), across22, streaks, acrossLevels));
  }
  return results;
}

/** Distinct levels, in order of appearance, of the newest `length` measurements over all levels. */
function windowLevels(recent: Int32Array, measured: number, length: number): number[] {
  const out: number[] = [];
  for (let k = measured - length; k < measured; k++) {
    const l = recent[k % LONGEST]!;
    if (!out.includes(l)) out.push(l);
  }
  return out;
}

/** True when a run trips nothing: no level beyond 2 SD and no streak long enough (most runs; no allocation). */
function quiet(z: Float64Array, from: number, levels: number, across22: readonly number[], streaks: readonly Streaks[], acrossLevels: readonly (number[] | null)[]): boolean {
  if (across22.length > 0) return false;
  for (let r = 0; r < STREAK_RULES.length; r++) if (acrossLevels[r]) return false;
  for (let l = 0; l < levels; l++) {
    const v = z[from + l]!;
    if (Math.abs(v) > 2) return false;
    for (let r = 0; r < STREAK_RULES.length; r++) if (Math.max(streaks[r]!.high[l]!, streaks[r]!.low[l]!) >= STREAK_RULES[r]!.length && !Number.isNaN(v)) return false;
  }
  return true;
}

function runResult(run: Float64Array, across22: readonly number[], streaks: readonly Streaks[], acrossLevels: readonly (number[] | null)[]): WestgardRunResult {
  const beyond2: number[] = [];
  const beyond3: number[] = [];
  const high2: number[] = [];
  const low2: number[] = [];
  run.forEach((v, l) => {
    if (Math.abs(v) > 2) beyond2.push(l);
    if (Math.abs(v) > 3) beyond3.push(l);
    if (v > 2) high2.push(l);
    if (v < -2) low2.push(l);
  });
  const violations: WestgardViolation[] = [];
  if (beyond2.length > 0) violations.push({ rule: '1-2s', scope: 'run', levels: beyond2 });
  if (beyond3.length > 0) violations.push({ rule: '1-3s', scope: 'run', levels: beyond3 });
  if (high2.length >= 2) violations.push({ rule: '2-2s', scope: 'within-run', levels: high2 });
  if (low2.length >= 2) violations.push({ rule: '2-2s', scope: 'within-run', levels: low2 });
  for (const l of across22) violations.push({ rule: '2-2s', scope: 'across-runs', levels: [l] });
  if (high2.length >= 1 && low2.length >= 1) violations.push({ rule: 'R-4s', scope: 'within-run', levels: [...high2, ...low2] });
  STREAK_RULES.forEach(({ rule, length }, r) => {
    run.forEach((v, l) => {
      if (!Number.isNaN(v) && Math.max(streaks[r]!.high[l]!, streaks[r]!.low[l]!) >= length) violations.push({ rule, scope: 'across-runs', levels: [l] });
    });
    const levels = acrossLevels[r];
    if (levels && levels.length > 1) violations.push({ rule, scope: 'across-levels', levels });
  });
  if (violations.length === 0) return PASS;
  const tripped = new Set(violations.map((v) => v.rule));
  const [r13s, r22s, rR4s, r41s, r10x] = (['1-3s', '2-2s', 'R-4s', '4-1s', '10x'] as const).map((rule) => tripped.has(rule)) as [boolean, boolean, boolean, boolean, boolean];
  // A literal, not a spread of the flags: a 1-2s warning alone is one run in ten.
  return { warning12s: tripped.has('1-2s'), r13s, r22s, rR4s, r41s, r10x, reject: r13s || r22s || rR4s || r41s || r10x, violations };
}

/** Multirule over a single control level's z-scores in run order. */
export function westgardSeries(z: ArrayLike<number>): WestgardRunResult[] {
  return westgardGrid(Float64Array.from(z), 1);
}
