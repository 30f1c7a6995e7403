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

function isoDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function westgardByDeviceTest(rows: readonly Row[]): QcSeries[] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    if (typeof row.measured_value !== 'number' || typeof row.run_at !== 'number' || typeof row.target_sd !== 'number' || typeof row.target_mean !== 'number') continue;
    const key = `${row.device_id}|${row.test_code}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(row);
  }
  const out: QcSeries[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => (a.run_at as number) - (b.run_at as number));
    const levels = [...new Set(list.map((r) => Number(r.control_level)))].sort((a, b) => a - b);
    const column = new Map(levels.map((l, i) => [l, i]));
    const runs: { day: string; at: number; z: (number | null)[] }[] = [];
    let current: { day: string; at: number; z: (number | null)[] } | undefined;
    for (const row of list) {
      const at = row.run_at as number;
      const day = isoDay(at);
      const c = column.get(Number(row.control_level))!;
      if (!current || current.day !== day || current.z[c] !== null) {
        current = { day, at, z: levels.map(() => null) };
        runs.push(current);
      }
      current.z[c] = zScore(row.measured_value as number, row.target_mean as number, row.target_sd as number);
    }
    const results = westgardMultirule(runs.map((r) => r.z));
    const first = list[0]!;
    out.push({
      device: String(first.device_id),
      testCode: String(first.test_code),
      loinc: typeof first.loinc_code === 'string' ? first.loinc_code : null,
      levels,
      runs: runs.map((r, i) => ({ ...r, result: results[i]! })),
    });
  }
  return out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.testCode < b.testCode ? -1 : 1));
}

/** Rules tripped by a run (the 1-2s warning included), in the multirule's order. */
export function rulesOf(result: WestgardRunResult): WestgardRule[] {
  return [...new Set(result.violations.map((v) => v.rule))];
}
