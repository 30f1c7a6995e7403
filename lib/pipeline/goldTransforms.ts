import { computeDeviceFeatures, failureWithin7Days, type DeviceDay, type DeviceHistory, type MaintenanceEvent } from '../features/deviceFeatures.js';
import { passesWestgard, westgardFlags, zScore } from '../monitoring/westgard.js';
import { columnOf, numbersOf, perCode, textCodes, type ColumnBatch, type TextCodes } from '../lake/parquet.js';
import { NumberList, numberColumn, orderByKey } from '../lake/numbers.js';
import type { CellValue, Row } from '../sources/schema.js';
import { DAY_MS } from '../calendar/days.js';

/** Pure gold transforms: silver columns of a day in, gold rows out (no row object per silver row). */

const isNumber = (value: unknown): value is number => typeof value === 'number';
const valueOf = (text: TextCodes, code: number): string | null => (code < 0 ? null : text.values[code]!);

/** Silver QC columns the daily QC aggregates read. */
export const QC_INPUT = ['device_id', 'test_code', 'loinc_code', 'control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'] as const;

/** Control levels a material key holds room for (silver's DQ rule keeps levels to 1-6 or null). */
const LEVEL_SLOTS = 64;

/** Numbers values as they are met; a batch's dictionary codes are mapped once per distinct value. */
class Numbering {
  private readonly ids = new Map<CellValue, number>();

  of(value: CellValue): number {
    let id = this.ids.get(value);
    if (id === undefined) this.ids.set(value, (id = this.ids.size));
    return id;
  }

  /** Numbers of a batch's text codes (code -1, null, included: index 0 of the result is null's). */
  ofCodes(text: TextCodes): Int32Array {
    return Int32Array.from(perCode(text, (value) => this.of(value)));
  }
}

/** A QC material's identity: a device's control level of a test (with the test's LOINC code). */
export interface Material {
  readonly device_id: string;
  readonly test_code: CellValue;
  readonly loinc_code: CellValue;
  readonly control_level: CellValue;
}

/**
 * QC materials (a device's control level of a test) numbered as they are met, by the numbers of
 * their device, test and level: no string is built per run or per material.
 */
class Materials {
  private readonly devices = new Numbering();
  private readonly tests = new Numbering();
  private readonly levels = new Numbering();
  /** Per device number: material number by test and level. */
  private readonly byDevice: Map<number, number>[] = [];
  private count = 0;

  /** Material number of each row of `batch`. */
  ofBatch(batch: ColumnBatch, devices: TextCodes, tests: TextCodes, level: ArrayLike<CellValue>): Int32Array {
    const deviceNumbers = this.devices.ofCodes(devices);
    const testNumbers = this.tests.ofCodes(tests);
    const out = new Int32Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const levelNumber = this.levels.of(level[i] ?? null);
      if (levelNumber >= LEVEL_SLOTS) throw new Error(`quality_control control_level: more than ${LEVEL_SLOTS} distinct values in a day and its look-back`);
      const device = deviceNumbers[devices.codes[i]! + 1]!;
      const key = testNumbers[tests.codes[i]! + 1]! * LEVEL_SLOTS + levelNumber;
      const materials = (this.byDevice[device] ??= new Map());
      let id = materials.get(key);
      if (id === undefined) materials.set(key, (id = this.count++));
      out[i] = id;
    }
    return out;
  }
}

/** The QC runs of a day in run order, as columns, with their Westgard flags. */
export interface QcRunColumns {
  readonly length: number;
  /** Each run's material: an index into `materials`. */
  readonly material: Int32Array;
  readonly measured: Float64Array;
  readonly z: Float64Array;
  /** 1 where the run trips 1-3s / 2-2s; 1 where it trips neither (passes). */
  readonly r13s: Uint8Array;
  readonly r22s: Uint8Array;
  readonly passes: Uint8Array;
  /** By material number; set for every material run on the day (as its first run of the day was fed). */
  readonly materials: readonly Material[];
}

/**
 * QC runs of `day` with their Westgard flags, fed partition by partition (the day and the days
 * before it, any order); earlier runs only supply the previous run of each material. Runs are
 * read straight from the columns and kept as columns: a day and its look-back are half a million
 * runs at 10K devices.
 */
export class QcRunsOfDay {
  private readonly numbering = new Materials();
  private readonly materials: Material[] = [];
  /** Time and z of each material's latest run before the day (NaN: none yet). */
  private readonly lastAt = new NumberList(NaN);
  private readonly lastZ = new NumberList(NaN);
  /** The day's runs, in the order they were fed. */
  private readonly material = new NumberList();
  private readonly measured = new NumberList();
  private readonly z = new NumberList();
  private readonly at = new NumberList();

  constructor(private readonly day: number) {}

  add(qc: readonly ColumnBatch[]): void {
    for (const batch of qc) this.addBatch(batch);
  }

  private addBatch(batch: ColumnBatch): void {
    const [devices, tests, loincs] = [textCodes(batch, 'device_id'), textCodes(batch, 'test_code'), textCodes(batch, 'loinc_code')];
    const [level, measured, mean, sd, runAt] = (['control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at'] as const).map((name) => columnOf(batch, name));
    const material = this.numbering.ofBatch(batch, devices, tests, level!);
    const dayEnd = this.day + DAY_MS;
    for (let i = 0; i < batch.length; i++) {
      const value = measured![i];
      const target = mean![i];
      const spread = sd![i];
      const at = runAt![i];
      if (!isNumber(value) || !isNumber(target) || !isNumber(spread) || !isNumber(at) || at >= dayEnd) continue;
      const z = zScore(value, target, spread);
      const id = material[i]!;
      if (!(at >= this.day)) {
        this.keepIfLater(id, at, z);
        continue;
      }
      this.materials[id] ??= {
        device_id: String(valueOf(devices, devices.codes[i]!)),
        test_code: valueOf(tests, tests.codes[i]!),
        loinc_code: valueOf(loincs, loincs.codes[i]!),
        control_level: level![i] ?? null,
      };
      this.material.push(id);
      this.measured.push(value);
      this.z.push(z);
      this.at.push(at);
    }
  }

  /** A run before the day: kept when it is the material's latest so far. */
  private keepIfLater(material: number, at: number, z: number): void {
    const last = this.lastAt.get(material);
    if (Number.isNaN(last) || at >= last) {
      this.lastAt.set(material, at);
      this.lastZ.set(material, z);
    }
  }

  /**
   * Whether a material run on the day has no earlier run yet. Days are fed newest first, so once
   * every material has one, older days cannot hold a later one and need not be read.
   */
  lacksEarlierRuns(): boolean {
    const material = this.material.values();
    for (let k = 0; k < material.length; k++) if (Number.isNaN(this.lastAt.get(material[k]!))) return true;
    return false;
  }

  /** The day's runs by time (runs at the same time in the order fed), each judged against its material's previous run. */
  runs(): QcRunColumns {
    const [material, measured, z] = [this.material.values(), this.measured.values(), this.z.values()];
    const n = material.length;
    // By time within the day; runs at the same time in the order fed.
    const at = this.at.values();
    const order = orderByKey(numberColumn(at.length, (i) => at[i]! - this.day));
    // Each material's previous z: its latest before the day, then its runs of the day in turn.
    const previous = new Float64Array(this.materials.length).fill(NaN);
    previous.set(this.lastZ.values().subarray(0, previous.length));
    const runs = { length: n, material: new Int32Array(n), measured: new Float64Array(n), z: new Float64Array(n), r13s: new Uint8Array(n), r22s: new Uint8Array(n), passes: new Uint8Array(n), materials: this.materials };
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const id = material[i]!;
      const before = previous[id]!;
      const flags = westgardFlags(z[i]!, Number.isNaN(before) ? null : before);
      previous[id] = z[i]!;
      runs.material[k] = id;
      runs.measured[k] = measured[i]!;
      runs.z[k] = z[i]!;
      runs.r13s[k] = flags.r13s ? 1 : 0;
      runs.r22s[k] = flags.r22s ? 1 : 0;
      runs.passes[k] = passesWestgard(flags) ? 1 : 0;
    }
    return runs;
  }
}

function emptyDay(): { -readonly [K in keyof DeviceDay]: number } {
  return { results: 0, turnaroundHoursSum: 0, turnaroundCount: 0, logEvents: 0, logErrors: 0, logWarnings: 0, qcRuns: 0, qcPasses: 0 };
}

/** Silver lab_results and device_logs columns the daily aggregates read. */
export const RESULT_INPUT = ['device_id', 'received_at', 'resulted_at', 'result_text', 'result_value', 'loinc_code', 'loinc_name', 'region'] as const;
export const LOG_INPUT = ['device_id', 'level'] as const;

/** Per-device activity of one day (results and turnaround, log levels, QC passes), added to partition by partition. */
export class DeviceDayTotals {
  private readonly byDevice = new Map<string, ReturnType<typeof emptyDay>>();

  private of(deviceId: unknown): ReturnType<typeof emptyDay> {
    const id = String(deviceId);
    let day = this.byDevice.get(id);
    if (!day) this.byDevice.set(id, (day = emptyDay()));
    return day;
  }

  /** The totals of each row's device, looked up once per distinct device of the batch. */
  private daysOf(batch: ColumnBatch): ReturnType<typeof emptyDay>[] {
    const devices = textCodes(batch, 'device_id');
    // A device of null gets its totals only when a row has it.
    const byCode = perCode(devices, (id) => (id === null ? undefined : this.of(id)));
    const days = new Array<ReturnType<typeof emptyDay>>(batch.length);
    for (let i = 0; i < days.length; i++) days[i] = byCode[devices.codes[i]! + 1] ?? this.of(null);
    return days;
  }

  addResults(labResults: readonly ColumnBatch[]): void {
    for (const batch of labResults) {
      const [received, resulted] = [numbersOf(batch, 'received_at'), numbersOf(batch, 'resulted_at')];
      const days = this.daysOf(batch);
      for (let i = 0; i < batch.length; i++) {
        const day = days[i]!;
        day.results++;
        const from = received[i]!;
        const to = resulted[i]!;
        if (!Number.isNaN(from) && !Number.isNaN(to)) {
          day.turnaroundHoursSum += (to - from) / 3_600_000;
          day.turnaroundCount++;
        }
      }
    }
  }

  addLogs(logs: readonly ColumnBatch[]): void {
    for (const batch of logs) {
      const days = this.daysOf(batch);
      const levels = textCodes(batch, 'level');
      const [error, warning] = [levels.values.indexOf('ERROR'), levels.values.indexOf('WARN')];
      for (let i = 0; i < batch.length; i++) {
        const day = days[i]!;
        day.logEvents++;
        const level = levels.codes[i]!;
        if (level < 0) continue;
        if (level === error) day.logErrors++;
        else if (level === warning) day.logWarnings++;
      }
    }
  }

  addQcRuns(runs: QcRunColumns): void {
    // The totals of each material's device, looked up once per material (a dense list: material
    // numbers come in run order, and a sparse array filled out of order turns into a dictionary).
    const dayOfMaterial = new Int32Array(runs.materials.length).fill(-1);
    const days: ReturnType<typeof emptyDay>[] = [];
    for (let k = 0; k < runs.length; k++) {
      const material = runs.material[k]!;
      let d = dayOfMaterial[material]!;
      if (d < 0) dayOfMaterial[material] = d = days.push(this.of(runs.materials[material]!.device_id)) - 1;
      const day = days[d]!;
      day.qcRuns++;
      day.qcPasses += runs.passes[k]!;
    }
  }

  rows(): Row[] {
    return [...this.byDevice.entries()]
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

/**
 * Per (device, test, control level): runs, mean, SD and Westgard rejections of the day, as the
 * columns of gold qc_daily, materials in the order of their first run.
 */
export function qcDailyColumns(runs: QcRunColumns): ColumnBatch {
  const groupOf = new Int32Array(runs.materials.length).fill(-1);
  const materialOf: number[] = [];
  for (let k = 0; k < runs.length; k++) {
    const material = runs.material[k]!;
    if (groupOf[material]! < 0) groupOf[material] = materialOf.push(material) - 1;
  }
  const groups = materialOf.length;
  const [count, sum, sumZ, v13, v22] = [new Int32Array(groups), new Float64Array(groups), new Float64Array(groups), new Int32Array(groups), new Int32Array(groups)];
  for (let k = 0; k < runs.length; k++) {
    const g = groupOf[runs.material[k]!]!;
    count[g]! += 1;
    sum[g]! += runs.measured[k]!;
    sumZ[g]! += runs.z[k]!;
    v13[g]! += runs.r13s[k]!;
    v22[g]! += runs.r22s[k]!;
  }
  const mean = numberColumn(groups, (g) => sum[g]! / count[g]!);
  // Squared deviations from the mean in a second pass: exact for values far from 0.
  const squares = new Float64Array(groups);
  for (let k = 0; k < runs.length; k++) {
    const g = groupOf[runs.material[k]!]!;
    const deviation = runs.measured[k]! - mean[g]!;
    squares[g]! += deviation * deviation;
  }
  const materials = materialOf.map((m) => runs.materials[m]!);
  return {
    length: groups,
    columns: {
      device_id: materials.map((m) => m.device_id),
      test_code: materials.map((m) => m.test_code),
      loinc_code: materials.map((m) => m.loinc_code),
      control_level: materials.map((m) => m.control_level),
      runs: count,
      mean,
      sd: numberColumn(groups, (g) => Math.sqrt(count[g]! > 1 ? squares[g]! / (count[g]! - 1) : 0)),
      mean_z: numberColumn(groups, (g) => sumZ[g]! / count[g]!),
      violations_13s: v13,
      violations_22s: v22,
    },
  };
}

interface OutbreakGroup {
  readonly loinc_code: CellValue;
  readonly loinc_name: CellValue;
  readonly region: CellValue;
  tests: number;
  positives: number;
}

/** Per (LOINC test, region): qualitative tests done, positives and positivity on the day. */
export class OutbreakSeriesTotals {
  private readonly groups = new Map<string, OutbreakGroup>();

  add(labResults: readonly ColumnBatch[]): void {
    for (const batch of labResults) {
      const [text, loinc, name, region] = ['result_text', 'loinc_code', 'loinc_name', 'region'].map((column) => textCodes(batch, column));
      const [positive, negative] = [text!.values.indexOf('Positive'), text!.values.indexOf('Negative')];
      // The group of each (LOINC code, region) pair of codes, looked up by its text once per batch.
      const width = region!.values.length + 1;
      const groupOfPair = new Map<number, OutbreakGroup>();
      for (let i = 0; i < batch.length; i++) {
        const result = text!.codes[i]!;
        if (result < 0 || (result !== positive && result !== negative)) continue;
        const l = loinc!.codes[i]!;
        const r = region!.codes[i]!;
        const pair = (l + 1) * width + r + 1;
        let group = groupOfPair.get(pair);
        if (!group) groupOfPair.set(pair, (group = this.group(valueOf(loinc!, l), valueOf(name!, name!.codes[i]!), valueOf(region!, r))));
        group.tests++;
        if (result === positive) group.positives++;
      }
    }
  }

  private group(loinc: string | null, name: string | null, region: string | null): OutbreakGroup {
    const key = `${loinc}|${region}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { loinc_code: loinc, loinc_name: name, region, tests: 0, positives: 0 }));
    return group;
  }

  rows(): Row[] {
    return [...this.groups.values()].map((g) => ({ ...g, positivity: g.positives / g.tests }));
  }
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
