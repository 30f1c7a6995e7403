import {
  DAY_MS,
  computeDeviceFeatures,
  failureWithin7Days,
  type DeviceDay,
  type DeviceHistory,
  type MaintenanceEvent,
} from '../features/deviceFeatures.js';
import { passesWestgard, westgardFlags, zScore, type WestgardFlags } from '../monitoring/westgard.js';
import type { Row } from '../sources/schema.js';

/** Pure gold transforms: silver rows of a day in, gold rows out. */

export interface QcRun {
  readonly row: Row;
  readonly z: number;
  readonly flags: WestgardFlags;
}

/** QC runs of `day` with their Westgard flags; earlier rows only supply the previous run of each material. */
export function qcRunsOfDay(qcRows: readonly Row[], day: number): QcRun[] {
  const sorted = [...qcRows].sort((a, b) => (a.run_at as number) - (b.run_at as number));
  const previous = new Map<string, number>();
  const runs: QcRun[] = [];
  for (const row of sorted) {
    if (row.measured_value === null || row.target_mean === null || row.target_sd === null) continue;
    const material = `${row.device_id}|${row.test_code}|${row.control_level}`;
    const z = zScore(row.measured_value as number, row.target_mean as number, row.target_sd as number);
    const flags = westgardFlags(z, previous.get(material) ?? null);
    previous.set(material, z);
    if ((row.run_at as number) >= day && (row.run_at as number) < day + DAY_MS) runs.push({ row, z, flags });
  }
  return runs;
}

function emptyDay(): { -readonly [K in keyof DeviceDay]: number } {
  return { results: 0, turnaroundHoursSum: 0, turnaroundCount: 0, logEvents: 0, logErrors: 0, logWarnings: 0, qcRuns: 0, qcPasses: 0 };
}

/** Per-device activity of one day: results and turnaround, log levels, QC passes. */
export function deviceDailyRows(labResults: readonly Row[], logs: readonly Row[], qcRuns: readonly QcRun[]): Row[] {
  const byDevice = new Map<string, ReturnType<typeof emptyDay>>();
  const of = (deviceId: unknown) => {
    const id = String(deviceId);
    let day = byDevice.get(id);
    if (!day) byDevice.set(id, (day = emptyDay()));
    return day;
  };
  for (const result of labResults) {
    const day = of(result.device_id);
    day.results++;
    if (typeof result.received_at === 'number' && typeof result.resulted_at === 'number') {
      day.turnaroundHoursSum += (result.resulted_at - result.received_at) / 3_600_000;
      day.turnaroundCount++;
    }
  }
  for (const log of logs) {
    const day = of(log.device_id);
    day.logEvents++;
    if (log.level === 'ERROR') day.logErrors++;
    else if (log.level === 'WARN') day.logWarnings++;
  }
  for (const run of qcRuns) {
    const day = of(run.row.device_id);
    day.qcRuns++;
    if (passesWestgard(run.flags)) day.qcPasses++;
  }
  return [...byDevice.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([device_id, d]) => ({
      device_id,
      results: d.results,
      turnaround_hours_sum: d.turnaroundHoursSum,
      turnaround_count: d.turnaroundCount,
      log_events: d.logEvents,
      log_errors: d.logErrors,
      log_warnings: d.logWarnings,
      qc_runs: d.qcRuns,
      qc_passes: d.qcPasses,
    }));
}

export function deviceDayOf(row: Row): DeviceDay {
  return {
    results: row.results as number,
    turnaroundHoursSum: row.turnaround_hours_sum as number,
    turnaroundCount: row.turnaround_count as number,
    logEvents: row.log_events as number,
    logErrors: row.log_errors as number,
    logWarnings: row.log_warnings as number,
    qcRuns: row.qc_runs as number,
    qcPasses: row.qc_passes as number,
  };
}

/** Per (device, test, control level): runs, mean, SD and Westgard rejections of the day. */
export function qcDailyRows(qcRuns: readonly QcRun[]): Row[] {
  const groups = new Map<string, QcRun[]>();
  for (const run of qcRuns) {
    const key = `${run.row.device_id}|${run.row.test_code}|${run.row.control_level}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(run);
  }
  return [...groups.values()].map((runs) => {
    const values = runs.map((r) => r.row.measured_value as number);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
    const first = runs[0]!.row;
    return {
      device_id: first.device_id ?? null,
      test_code: first.test_code ?? null,
      loinc_code: first.loinc_code ?? null,
      control_level: first.control_level ?? null,
      runs: runs.length,
      mean,
      sd: Math.sqrt(variance),
      mean_z: runs.reduce((a, r) => a + r.z, 0) / runs.length,
      violations_13s: runs.filter((r) => r.flags.r13s).length,
      violations_22s: runs.filter((r) => r.flags.r22s).length,
    };
  });
}

/** Per (LOINC test, region): qualitative tests done, positives and positivity on the day. */
export function outbreakSeriesRows(labResults: readonly Row[]): Row[] {
  const groups = new Map<string, { loinc_code: unknown; loinc_name: unknown; region: unknown; tests: number; positives: number }>();
  for (const result of labResults) {
    if (result.result_text !== 'Positive' && result.result_text !== 'Negative') continue;
    const key = `${result.loinc_code}|${result.region}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { loinc_code: result.loinc_code, loinc_name: result.loinc_name, region: result.region, tests: 0, positives: 0 }));
    group.tests++;
    if (result.result_text === 'Positive') group.positives++;
  }
  return [...groups.values()].map((g) => ({ ...g, positivity: g.positives / g.tests }) as Row);
}

/** The device_features rows of each feature day for the given devices (built once for a run of days). */
export function deviceFeatureRows(
  devices: readonly Row[],
  events: readonly Row[],
  dailyByDay: ReadonlyMap<number, readonly Row[]>,
  featureDays: readonly number[],
  labelsObservedUntil: number,
): Map<number, Row[]> {
  const eventsByDevice = new Map<string, MaintenanceEvent[]>();
  for (const event of events) {
    if (typeof event.started_at !== 'number') continue;
    const list = eventsByDevice.get(String(event.device_id)) ?? [];
    list.push({ event_type: String(event.event_type), started_at: event.started_at });
    eventsByDevice.set(String(event.device_id), list);
  }
  const daysByDevice = new Map<string, Map<number, DeviceDay>>();
  for (const [day, rows] of dailyByDay) {
    for (const row of rows) {
      const id = String(row.device_id);
      let days = daysByDevice.get(id);
      if (!days) daysByDevice.set(id, (days = new Map()));
      days.set(day, deviceDayOf(row));
    }
  }
  const histories: DeviceHistory[] = devices
    .filter((d) => typeof d.installed_at === 'number')
    .map((d) => ({
      device: {
        device_id: String(d.device_id),
        installed_at: d.installed_at as number,
        calibration_interval_days: d.calibration_interval_days as number,
        maintenance_interval_days: d.maintenance_interval_days as number,
      },
      days: daysByDevice.get(String(d.device_id)) ?? new Map(),
      events: eventsByDevice.get(String(d.device_id)) ?? [],
    }));
  return new Map(featureDays.map((featureDay) => [featureDay, featureRowsOfDay(histories, featureDay, labelsObservedUntil)]));
}

function featureRowsOfDay(histories: readonly DeviceHistory[], featureDay: number, labelsObservedUntil: number): Row[] {
  const labelObserved = featureDay + 8 * DAY_MS <= labelsObservedUntil ? 1 : 0;
  return histories
    .filter((history) => history.device.installed_at < featureDay + DAY_MS)
    .map((history) => ({
      device_id: history.device.device_id,
      ...computeDeviceFeatures(history, featureDay),
      failure_within_7d: failureWithin7Days(history, featureDay),
      label_observed: labelObserved,
    }));
}
