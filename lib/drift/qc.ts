import { westgardMultirule, zScore, type WestgardRule, type WestgardRunResult } from '../monitoring/westgard.js';
import type { Row } from '../sources/schema.js';

/**
 * Westgard multirules over silver quality_control, per device and test (local test code; its
 * LOINC code is carried along). A run is one QC event of the device and test: its measurements
 * in run_at order on one UTC day until a control level repeats (then a new run starts). Each
 * measurement is z = (measured - target mean) / target SD of its control lot; missing values
 * are skipped. Control levels are the run's columns in ascending level order.
 */
export interface QcRun {
  readonly day: string;
  /** Epoch ms of the run's first measurement. */
  readonly at: number;
  /** z per control level (ascending level), null when that level was not run. */
  readonly z: readonly (number | null)[];
  readonly result: WestgardRunResult;
}

export interface QcSeries {
  readonly device: string;
  readonly testCode: string;
  readonly loinc: string | null;
  readonly levels: readonly number[];
  readonly runs: readonly QcRun[];
}

export const QC_COLUMNS = ['device_id', 'test_code', 'loinc_code', 'control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'];

const DAY_MS = 86_400_000;

const dayNames = new Map<number, string>();

function isoDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) dayNames.set(day, (name = new Date(day * DAY_MS).toISOString().slice(0, 10)));
  return name;
}

export function westgardByDeviceTest(rows: readonly Row[]): QcSeries[] {
  // Two-level grouping (device, then test): no key string per row.
  const groups = new Map<unknown, Map<unknown, Row[]>>();
  for (const row of rows) {
    if (typeof row.measured_value !== 'number' || typeof row.run_at !== 'number' || typeof row.target_sd !== 'number' || typeof row.target_mean !== 'number') continue;
    let byTest = groups.get(row.device_id);
    if (!byTest) groups.set(row.device_id, (byTest = new Map()));
    let list = byTest.get(row.test_code);
    if (!list) byTest.set(row.test_code, (list = []));
    list.push(row);
  }
  const out: QcSeries[] = [];
  for (const byTest of groups.values()) {
    for (const list of byTest.values()) {
      let sorted = true;
      for (let i = 1; i < list.length && sorted; i++) if ((list[i]!.run_at as number) < (list[i - 1]!.run_at as number)) sorted = false;
      if (!sorted) list.sort((a, b) => (a.run_at as number) - (b.run_at as number));
      const levels: number[] = [];
      for (const r of list) {
        const l = Number(r.control_level);
        if (!levels.includes(l)) levels.push(l);
      }
      levels.sort((a, b) => a - b);
      const runs: { day: string; at: number; z: (number | null)[] }[] = [];
      let current: { day: string; at: number; z: (number | null)[] } | undefined;
      for (const row of list) {
        const at = row.run_at as number;
        const day = isoDay(at);
        const c = levels.indexOf(Number(row.control_level));
        if (!current || current.day !== day || current.z[c] !== null) {
          current = { day, at, z: new Array<number | null>(levels.length).fill(null) };
          runs.push(current);
        }
        current.z[c] = zScore(row.measured_value as number, row.target_mean as number, row.target_sd as number);
      }
      const results = westgardMultirule(runs.map((r) => r.z));
      const first = list[0]!;
      const series: QcRun[] = new Array(runs.length);
      for (let i = 0; i < runs.length; i++) series[i] = { day: runs[i]!.day, at: runs[i]!.at, z: runs[i]!.z, result: results[i]! };
      out.push({ device: String(first.device_id), testCode: String(first.test_code), loinc: typeof first.loinc_code === 'string' ? first.loinc_code : null, levels, runs: series });
    }
  }
  return out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.testCode < b.testCode ? -1 : a.testCode > b.testCode ? 1 : 0));
}

/** Rules tripped by a run (the 1-2s warning included), in the multirule's order. */
export function rulesOf(result: WestgardRunResult): WestgardRule[] {
  return [...new Set(result.violations.map((v) => v.rule))];
}
