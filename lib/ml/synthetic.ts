/**
 * Synthetic device-day feature rows with a realistic failure signal, for tests and the training
 * benchmark (the full simulator -> gold pipeline is too slow to produce 900K rows in a test).
 * It mirrors the simulator's health model (lib/simulate/health.ts) in compressed form: a hidden
 * wear that grows daily (faster when calibration or maintenance is overdue), drops with
 * preventive maintenance and resets on repair; failures follow a hazard that is steep beyond
 * ~0.5 wear; and the ten DESIGN features are computed from daily counts drawn from the wear
 * (log errors and warnings, QC passes, result volume, turnaround), so the signal is real but
 * noisy. Deterministic for a seed.
 */
import { FEATURE_NAMES } from '../features/deviceFeatures.js';
import { Rng } from '../simulate/random.js';
import type { Dataset } from './dataset.js';
import { DAY_MS } from '../calendar/days.js';

export interface SyntheticDeviceDaysOptions {
  readonly devices: number;
  /** Feature days per device (all with observed labels). */
  readonly days: number;
  readonly seed?: number;
  /** First feature day (epoch ms of a UTC day start); default 2026-01-01. */
  readonly startDay?: number;
}

export interface SyntheticDeviceDays {
  /** Rows ordered by day, then device. Features in FEATURE_NAMES order; y = failure_within_7d. */
  readonly dataset: Dataset;
  readonly featureDay: Float64Array;
  readonly device: Int32Array;
  readonly labelObserved: Uint8Array;
  readonly failures: number;
}

const WARMUP_DAYS = 14;
const HORIZON = 7;

function hazard(wear: number): number {
  const excess = wear > 0.45 ? wear - 0.45 : 0;
  return Math.min(0.5, 0.0002 + 3 * excess * excess * excess);
}

export function syntheticDeviceDays(options: SyntheticDeviceDaysOptions): SyntheticDeviceDays {
  const { devices, days } = options;
  const seed = options.seed ?? 1;
  const startDay = options.startDay ?? Date.UTC(2026, 0, 1);
  const nFeatures = FEATURE_NAMES.length;
  const n = devices * days;
  const x = new Float64Array(n * nFeatures);
  const y = new Uint8Array(n);
  const featureDay = new Float64Array(n);
  const device = new Int32Array(n);
  const totalDays = WARMUP_DAYS + days + HORIZON;
  // Per device-day scratch (reused across devices).
  const results = new Float64Array(totalDays);
  const events = new Float64Array(totalDays);
  const errors = new Float64Array(totalDays);
  const warnings = new Float64Array(totalDays);
  const qcRuns = new Float64Array(totalDays);
  const qcPasses = new Float64Array(totalDays);
  const tatSum = new Float64Array(totalDays);
  const calOverdueDays = new Float64Array(totalDays);
  const maintOverdueDays = new Float64Array(totalDays);
  const failed = new Uint8Array(totalDays);
  let failures = 0;
  for (let dev = 0; dev < devices; dev++) {
    const rng = new Rng(seed, dev);
    const calInterval = rng.pick([30, 60, 90]);
    const maintInterval = rng.pick([90, 180]);
    let sinceCal = rng.int(calInterval + 20);
    let sinceMaint = rng.int(maintInterval + 40);
    let wear = rng.uniform(0, 0.6);
    const rate = rng.uniform(0.002, 0.012);
    const volumeScale = rng.uniform(0.5, 2);
    const baseTat = rng.uniform(1, 4);
    for (let t = 0; t < totalDays; t++) {
      sinceCal++;
      sinceMaint++;
      if (sinceCal > calInterval && rng.chance(0.15)) {
        sinceCal = 0;
        wear = Math.max(0, wear - 0.03);
      }
      if (sinceMaint > maintInterval && rng.chance(0.08)) {
        sinceMaint = 0;
        wear *= 0.45;
      }
      const calOverdue = sinceCal > calInterval;
      const maintOverdue = sinceMaint > maintInterval;
      calOverdueDays[t] = Math.max(0, sinceCal - calInterval);
      maintOverdueDays[t] = Math.max(0, sinceMaint - maintInterval);
      wear += rate * (1 + (calOverdue ? 1 : 0) + (maintOverdue ? 2 : 0)) * (0.5 + rng.next());
      const e = rng.poisson(16 * (1 + wear));
      events[t] = e;
      errors[t] = Math.min(e, rng.poisson(e * (0.01 + 0.3 * wear * wear)));
      warnings[t] = Math.min(e - (errors[t] as number), rng.poisson(e * (0.04 + 0.2 * wear + (calOverdue ? 0.04 : 0))));
      const runs = 2 + rng.int(2);
      let passes = 0;
      for (let k = 0; k < runs; k++) if (rng.chance(0.99 - 0.6 * wear * wear)) passes++;
      qcRuns[t] = runs;
      qcPasses[t] = passes;
      const volume = rng.poisson(33 * volumeScale * (1 - 0.3 * Math.min(1, wear)));
      results[t] = volume;
      tatSum[t] = volume * baseTat * (1 + 1.2 * wear) * (0.9 + 0.2 * rng.next());
      failed[t] = 0;
      if (rng.chance(hazard(wear))) {
        failed[t] = 1;
        wear = rng.uniform(0, 0.08);
      }
    }
    for (let d = 0; d < days; d++) {
      const t = WARMUP_DAYS + d;
      const row = d * devices + dev;
      let ev = 0;
      let er = 0;
      let wa = 0;
      let qr = 0;
      let qp = 0;
      let vol = 0;
      let volBefore = 0;
      let tat = 0;
      for (let k = t - 6; k <= t; k++) {
        ev += events[k] as number;
        er += errors[k] as number;
        wa += warnings[k] as number;
        qr += qcRuns[k] as number;
        qp += qcPasses[k] as number;
        vol += results[k] as number;
        tat += tatSum[k] as number;
      }
      for (let k = t - 13; k <= t - 7; k++) volBefore += results[k] as number;
      const o = row * nFeatures;
      const cal = calOverdueDays[t] as number;
      const maint = maintOverdueDays[t] as number;
      x[o] = cal > 0 ? 1 : 0;
      x[o + 1] = maint > 0 ? 1 : 0;
      x[o + 2] = cal;
      x[o + 3] = maint;
      x[o + 4] = ev > 0 ? er / ev : 0;
      x[o + 5] = ev > 0 ? wa / ev : 0;
      x[o + 6] = qr > 0 ? qp / qr : 1;
      x[o + 7] = volBefore > 0 ? (vol - volBefore) / volBefore : 0;
      x[o + 8] = vol > 0 ? tat / vol : 0;
      x[o + 9] = results[t] as number;
      let label = 0;
      for (let k = t + 1; k <= t + HORIZON; k++) if (failed[k]) label = 1;
      y[row] = label;
      featureDay[row] = startDay + d * DAY_MS;
      device[row] = dev;
      if (failed[t]) failures++;
    }
  }
  return {
    dataset: { featureNames: FEATURE_NAMES, nRows: n, x, y },
    featureDay,
    device,
    labelObserved: new Uint8Array(n).fill(1),
    failures,
  };
}
