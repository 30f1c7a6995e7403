import type { LimsTableName, Row } from '../sources/schema.js';
import { WEEKDAY_VOLUME, arrivalTime } from './calendar.js';
import { TEST_CATALOGUE, localTest, type LabTest, type LocalTest } from './catalogue.js';
import { buildFleet, type DeviceProfile } from './devices.js';
import { dayOfYear, outbreakCurve, planOutbreaks, seasonalBump, seasonalPositivity, type OutbreakPlan } from './epidemiology.js';
import {
  WEAR, errorShare, failureHazard, logRate, warningShare, wearBiasSd, wearGrowth, wearImprecision, wearSlowdown, wearThroughput,
} from './health.js';
import {
  CALIBRATION_DUE_LOG, CALIBRATION_LOG, ERROR_LOGS, FAILURE_LOG, INFO_LOGS, PREVENTIVE_LOG, REPAIR_LOG, WARN_LOGS, type LogEntry,
} from './logEntries.js';
import { MESS_PROBABILITY, abnormalFlag, messUp, type MessTarget } from './mess.js';
import { isoDay } from '../calendar/days.js';
import { validateOptions, type SimulationOptions } from './options.js';
import { buildPatientPools, type Patient } from './patients.js';
import { Rng, weightedLookup } from './random.js';
import { REGIONS } from './regions.js';
import { buildSite, sitePatient, type Site } from './sites.js';
import { GroundTruthRecorder, type DriftTruth, type MessCounts } from './truth.js';
import { DAY_MS } from '../calendar/days.js';

export interface SimulatedDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Rows whose modified_at falls on `day`, each table sorted by (modified_at, key). */
  tables: Record<LimsTableName, Row[]>;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Slots of a day's bucket, one per table. */
const RESULTS = 0;
const LOGS = 1;
const QC = 2;
const DEVICES = 3;
const EVENTS = 4;
type Bucket = [Row[], Row[], Row[], Row[], Row[]];
const emptyBucket = (): Bucket => [[], [], [], [], []];

/** Wear, downtime and maintenance windows cost about this share of the nominal volume. */
const VOLUME_COMPENSATION = 1.06;
/** Share of tests in a sample beyond the first (a panel), for quantitative tests. */
const SECOND_TEST = 0.45;
const THIRD_TEST = 0.15;

const DUPLICATE_LOG = 0.001;
const MISSING_QC_VALUE = 0.001;

/** Per device-day chance that a calibration drift starts on one analyte. */
const DRIFT_PROBABILITY = 0.0015;

interface QcControl {
  readonly level: number;
  readonly canonicalTarget: number;
  lot: string;
  lotSerial: number;
  lotUntilDay: number;
  target: number;
  sd: number;
}

interface DeviceTest extends MessTarget {
  readonly local: LocalTest;
  readonly catalogueIndex: number;
  /** local value = canonical value * fromCanonical */
  readonly fromCanonical: number;
  readonly unit: string | null;
  readonly cv: number;
  /** Share of the device's volume that is this test. */
  readonly share: number;
  readonly controls: QcControl[];
  /** Calibration drift currently applied, in analytical SDs. */
  shiftSd: number;
}

interface DeviceState {
  readonly profile: DeviceProfile;
  readonly id: string;
  readonly site: Site;
  readonly tests: readonly DeviceTest[];
  readonly testLookup: Uint16Array;
  readonly testByCatalogue: readonly (DeviceTest | undefined)[];
  wear: number;
  lastCalibrationDay: number;
  nextCalibrationDay: number;
  lastPreventiveDay: number;
  nextPreventiveDay: number;
  /** Epoch ms until which the device is down (awaiting or under repair). */
  downUntil: number;
  drift: { test: DeviceTest; truth: DriftTruth } | null;
}

function byModifiedThenKey(key: string): (a: Row, b: Row) => number {
  return (a, b) => {
    const delta = (a.modified_at as number) - (b.modified_at as number);
    if (delta !== 0) return delta;
    const ka = a[key] as string;
    const kb = b[key] as string;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}
const SLOT_ORDER = [
  byModifiedThenKey('result_id'), byModifiedThenKey('log_id'), byModifiedThenKey('qc_id'), byModifiedThenKey('device_id'), byModifiedThenKey('event_id'),
];

/**
 * One simulated lab, advanced a day at a time. State is per device (plus a patient pool and
 * rows scheduled for later days), so memory does not grow with the number of days.
 */
class LabSimulation {
  private readonly startMs: number;
  private readonly startWeekday: number;
  private readonly rng: Rng;
  private readonly sites: Site[];
  private readonly devices: DeviceState[];
  private readonly patients: Patient[][];
  private readonly outbreaks: OutbreakPlan[];
  /** Seasonal positivity per (catalogue test, region), refreshed daily. */
  private readonly positivity: Float64Array;
  private readonly regionPositivityFactor: Float64Array;
  private readonly counts: MessCounts;
  private readonly pending = new Map<number, Bucket>();
  /** What each site calls each test, shared by the site's devices. */
  private readonly localTests = new Map<string, LocalTest>();
  private today: Bucket = emptyBucket();
  private dayStart = 0;
  private dayEnd = 0;
  private dayVolume = 1;
  private respiratoryVolume = 1;
  private activeOutbreaks: { plan: OutbreakPlan; catalogueIndex: number; curve: number }[] = [];
  private sampleSeq = 0;
  private logSeq = 0;
  private qcSeq = 0;
  private eventSeq = 0;

  constructor(
    private readonly options: SimulationOptions,
    private readonly recorder: GroundTruthRecorder,
  ) {
    this.startMs = validateOptions(options);
    this.startWeekday = new Date(this.startMs).getUTCDay();
    recorder.reset(options);
    this.counts = recorder.truth.counts;
    this.rng = new Rng(options.seed, 0);
    const setup = new Rng(options.seed, 1);
    this.sites = Array.from({ length: options.sites }, (_, i) => buildSite(i, options.sites));
    const profiles = buildFleet(options.devices, options.sites, this.startMs, setup);
    const patientCount = Math.min(100_000, Math.max(2_000, options.devices * 250));
    this.patients = buildPatientPools(patientCount, this.startMs, new Rng(options.seed, 2));
    this.devices = profiles.map((profile) => this.initialState(profile, setup));
    this.outbreaks = planOutbreaks(options.days, this.visibleRegions(), (day) => this.dayName(day), new Rng(options.seed, 3));
    recorder.truth.outbreaks = this.outbreaks.map((plan) => plan.truth);
    this.positivity = new Float64Array(TEST_CATALOGUE.length * REGIONS.length);
    this.regionPositivityFactor = this.positivity.map(() => setup.uniform(0.8, 1.2));
  }

  simulateDay(day: number): SimulatedDay {
    this.beginDay(day);
    if (day === 0) this.writeInventory();
    for (const device of this.devices) this.simulateDevice(device, day);
    return this.finishDay(day);
  }

  // ---- set-up -------------------------------------------------------------------------------

  private initialState(profile: DeviceProfile, rng: Rng): DeviceState {
    const site = this.sites[profile.siteIndex]!;
    const weights = profile.tests.map((t) => t.popularity);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    const tests = profile.tests.map((test) => this.deviceTest(test, site.index, test.popularity / totalWeight, profile, rng));
    const testByCatalogue = TEST_CATALOGUE.map((test) => tests.find((t) => t.local.test === test));
    const model = profile.model;
    const lastCalibrationDay = -1 - rng.int(model.calibrationIntervalDays);
    const lastPreventiveDay = -1 - rng.int(model.maintenanceIntervalDays);
    return {
      profile,
      id: profile.id,
      site,
      tests,
      testLookup: weightedLookup(weights),
      testByCatalogue,
      wear: rng.uniform(0, WEAR.initialMax),
      lastCalibrationDay,
      nextCalibrationDay: this.nextDue(lastCalibrationDay, model.calibrationIntervalDays, profile.lateProbability, rng),
      lastPreventiveDay,
      nextPreventiveDay: this.nextDue(lastPreventiveDay, model.maintenanceIntervalDays, profile.lateProbability, rng),
      downUntil: 0,
      drift: null,
    };
  }

  private deviceTest(test: LabTest, siteIndex: number, share: number, profile: DeviceProfile, rng: Rng): DeviceTest {
    const localKey = `${siteIndex}|${test.key}`;
    const local = this.localTests.get(localKey) ?? localTest(test, siteIndex);
    this.localTests.set(localKey, local);
    const unit = local.unit;
    const levels = Math.min(profile.model.qcLevels, test.qcTargets.length);
    const controls = test.qcTargets.slice(0, levels).map((canonicalTarget, i): QcControl => ({
      level: i + 1, canonicalTarget, lot: '', lotSerial: rng.int(900) + 100, lotUntilDay: -1, target: 0, sd: 0,
    }));
    return {
      local,
      catalogueIndex: TEST_CATALOGUE.indexOf(test),
      qualitative: unit === null,
      referenceLow: local.referenceLow,
      referenceHigh: local.referenceHigh,
      fromCanonical: unit ? 1 / unit.toCanonical : 1,
      scale: 10 ** (unit?.decimals ?? 0),
      unit: unit?.unit ?? null,
      cv: test.analyticCv,
      share,
      controls,
      shiftSd: 0,
    };
  }

  /** (test, regions) pairs an outbreak can be seen in: a device runs the test at a site serving the region. */
  private visibleRegions(): Map<LabTest, Set<number>> {
    const visible = new Map<LabTest, Set<number>>();
    for (const device of this.devices) {
      for (const test of device.tests) {
        if (!test.qualitative) continue;
        const regions = visible.get(test.local.test) ?? new Set<number>();
        device.site.regionShare.forEach((share, region) => share > 0 && regions.add(region));
        visible.set(test.local.test, regions);
      }
    }
    return visible;
  }

  /** Day a scheduled event happens: on time or a little early, sometimes late; never at weekends. */
  private nextDue(lastDay: number, interval: number, lateProbability: number, rng: Rng): number {
    let due = lastDay + interval;
    if (rng.chance(lateProbability)) due += 1 + Math.floor(rng.exponential(interval * 0.3));
    else due -= rng.int(3);
    const weekday = (((this.startWeekday + due) % 7) + 7) % 7;
    return weekday === 6 ? due + 2 : weekday === 0 ? due + 1 : due;
  }

  /** Day 0: the device inventory and each device's last calibration and maintenance (history). */
  private writeInventory(): void {
    const migratedAt = this.startMs + MINUTE_MS;
    for (const device of this.devices) {
      const { profile } = device;
      this.schedule(DEVICES, {
        device_id: device.id,
        model: profile.model.model,
        manufacturer: profile.model.manufacturer,
        site_id: device.site.id,
        installed_at: profile.installedAt,
        calibration_interval_days: profile.model.calibrationIntervalDays,
        maintenance_interval_days: profile.model.maintenanceIntervalDays,
        modified_at: this.startMs,
      }, this.startMs);
      const calibratedAt = this.startMs + device.lastCalibrationDay * DAY_MS + 6 * HOUR_MS;
      this.writeEvent(this.nextEventId(), device, 'calibration', calibratedAt, calibratedAt + 40 * MINUTE_MS, migratedAt);
      const maintainedAt = this.startMs + device.lastPreventiveDay * DAY_MS + 7 * HOUR_MS;
      this.writeEvent(this.nextEventId(), device, 'preventive', maintainedAt, maintainedAt + 3 * HOUR_MS, migratedAt);
    }
  }

  // ---- one day ------------------------------------------------------------------------------

  private beginDay(day: number): void {
    this.dayStart = this.startMs + day * DAY_MS;
    this.dayEnd = this.dayStart + DAY_MS;
    this.today = this.pending.get(day) ?? emptyBucket();
    this.pending.delete(day);
    this.dayVolume = WEEKDAY_VOLUME[(this.startWeekday + day) % 7]! * VOLUME_COMPENSATION;
    const doy = dayOfYear(this.dayStart);
    this.respiratoryVolume = 0.75 + 0.5 * seasonalBump(doy, 20);
    const regions = REGIONS.length;
    TEST_CATALOGUE.forEach((test, t) => {
      if (!test.seasonality) return;
      const base = seasonalPositivity(test.seasonality, doy);
      for (let r = 0; r < regions; r++) this.positivity[t * regions + r] = Math.min(0.9, base * this.regionPositivityFactor[t * regions + r]!);
    });
    this.activeOutbreaks = this.outbreaks
      .map((plan) => ({ plan, catalogueIndex: TEST_CATALOGUE.indexOf(plan.test), curve: outbreakCurve(plan, day) }))
      .filter((o) => o.curve > 0);
  }

  private finishDay(day: number): SimulatedDay {
    const bucket = this.today;
    this.today = emptyBucket(); // the yielded rows belong to the consumer from now on
    bucket.forEach((rows, slot) => rows.sort(SLOT_ORDER[slot]));
    return {
      day: this.dayName(day),
      tables: { lab_results: bucket[RESULTS], device_logs: bucket[LOGS], quality_control: bucket[QC], devices: bucket[DEVICES], maintenance_events: bucket[EVENTS] },
    };
  }

  private simulateDevice(device: DeviceState, day: number): void {
    if (device.downUntil >= this.dayEnd) return;
    const from = this.scheduledMaintenance(device, day, Math.max(this.dayStart, device.downUntil));
    if (from >= this.dayEnd) return;
    if (device.drift === null && this.rng.chance(DRIFT_PROBABILITY)) this.startDrift(device, day);
    let until = this.dayEnd;
    if (this.rng.chance(failureHazard(device.wear))) {
      until = from + Math.floor(this.rng.next() * (this.dayEnd - from));
      this.fail(device, until);
    }
    const model = device.profile.model;
    const calibrationOverdue = day - device.lastCalibrationDay > model.calibrationIntervalDays;
    const maintenanceOverdue = day - device.lastPreventiveDay > model.maintenanceIntervalDays;
    if (until > from) {
      this.runQc(device, day, from, until);
      this.runSamples(device, from, until);
      this.writeLogs(device, from, until, calibrationOverdue);
    }
    device.wear += wearGrowth(device.profile.wearRate, calibrationOverdue, maintenanceOverdue, this.rng.next());
  }

  /** Due calibration / preventive maintenance, early in the morning; returns when the device is free. */
  private scheduledMaintenance(device: DeviceState, day: number, from: number): number {
    const model = device.profile.model;
    let free = from;
    if (day >= device.nextPreventiveDay) {
      const at = Math.max(free, this.dayStart + 5 * HOUR_MS + Math.floor(this.rng.next() * 90 * MINUTE_MS));
      free = at + Math.floor(this.rng.uniform(90, 240) * MINUTE_MS);
      this.writeEvent(this.nextEventId(), device, 'preventive', at, free, free);
      this.writeLog(device, free, 'INFO', PREVENTIVE_LOG);
      device.wear *= WEAR.preventiveKeeps;
      device.lastPreventiveDay = day;
      device.nextPreventiveDay = this.nextDue(day, model.maintenanceIntervalDays, device.profile.lateProbability, this.rng);
    }
    if (day >= device.nextCalibrationDay) {
      const at = Math.max(free, this.dayStart + 5 * HOUR_MS + Math.floor(this.rng.next() * 90 * MINUTE_MS));
      free = at + Math.floor(this.rng.uniform(20, 60) * MINUTE_MS);
      this.writeEvent(this.nextEventId(), device, 'calibration', at, free, free);
      this.writeLog(device, free, 'INFO', CALIBRATION_LOG);
      device.wear = Math.max(0, device.wear - WEAR.calibrationRelief);
      device.lastCalibrationDay = day;
      device.nextCalibrationDay = this.nextDue(day, model.calibrationIntervalDays, device.profile.lateProbability, this.rng);
      this.endDrift(device, day);
    }
    return Math.min(free, this.dayEnd);
  }

  private startDrift(device: DeviceState, day: number): void {
    const quantitative = device.tests.filter((t) => !t.qualitative);
    if (quantitative.length === 0) return;
    const test = this.rng.pick(quantitative);
    const shift = Math.round(this.rng.uniform(1, 3) * 100) / 100;
    test.shiftSd = this.rng.chance(0.5) ? shift : -shift;
    const truth: DriftTruth = {
      episode_id: `DR${String(this.recorder.truth.driftEpisodes.length + 1).padStart(4, '0')}`,
      device_id: device.id,
      site_id: device.site.id,
      test_key: test.local.test.key,
      loinc: test.local.test.loinc,
      test_code: test.local.code,
      shift_sd: test.shiftSd,
      start_day: this.dayName(day),
      end_day: null,
    };
    this.recorder.truth.driftEpisodes.push(truth);
    device.drift = { test, truth };
  }

  private endDrift(device: DeviceState, day: number): void {
    if (!device.drift) return;
    device.drift.test.shiftSd = 0;
    device.drift.truth.end_day = this.dayName(day);
    device.drift = null;
  }

  /** An unscheduled failure at `at`: the device stops until an engineer has repaired it. */
  private fail(device: DeviceState, at: number): void {
    const failureId = this.nextEventId();
    const repairId = this.nextEventId();
    const repairStart = at + Math.floor((1 + this.rng.exponential(6)) * HOUR_MS);
    const repairEnd = repairStart + Math.floor(this.rng.uniform(1, 6) * HOUR_MS);
    this.writeEvent(failureId, device, 'failure', at, null, at);
    this.writeEvent(repairId, device, 'repair', repairStart, repairEnd, repairEnd);
    // The failure record is closed (ended_at filled) once the repair is done: a second version.
    this.writeEvent(failureId, device, 'failure', at, repairEnd, repairEnd);
    this.writeLog(device, at, 'ERROR', FAILURE_LOG);
    this.writeLog(device, repairEnd, 'INFO', REPAIR_LOG);
    this.recorder.truth.failures.push({
      event_id: failureId,
      device_id: device.id,
      site_id: device.site.id,
      started_at: at,
      day: isoDay(at),
      repair_event_id: repairId,
      repaired_at: repairEnd,
      wear: Math.round(device.wear * 1000) / 1000,
    });
    device.downUntil = repairEnd;
    device.wear = this.rng.next() * WEAR.afterRepairMax;
  }

  // ---- QC -----------------------------------------------------------------------------------

  /** Each control level of each test once a day: at 06:00-07:00, or as soon as the device is back. */
  private runQc(device: DeviceState, day: number, from: number, until: number): void {
    const rng = this.rng;
    const start = Math.max(this.dayStart + 6 * HOUR_MS + Math.floor(rng.next() * HOUR_MS), from + Math.floor(rng.uniform(5, 30) * MINUTE_MS));
    const bias = wearBiasSd(device.wear, device.profile.biasDirection);
    const imprecision = wearImprecision(device.wear);
    let offset = 0;
    for (const test of device.tests) {
      const shift = test.qualitative ? 0 : test.shiftSd + bias;
      for (const control of test.controls) {
        const runAt = start + offset * 40_000 + Math.floor(rng.next() * 20_000);
        offset++;
        if (runAt >= until) return;
        if (day >= control.lotUntilDay) this.newControlLot(device, test, control, day);
        const measured = control.target + control.sd * (shift + imprecision * rng.normal());
        const missing = rng.chance(MISSING_QC_VALUE);
        const modifiedAt = runAt + Math.floor(rng.next() * MINUTE_MS);
        const scheduled = this.schedule(QC, {
          qc_id: `Q${++this.qcSeq}`,
          device_id: device.id,
          test_code: test.local.code,
          control_lot: control.lot,
          control_level: control.level,
          measured_value: missing ? null : Math.round(measured * test.scale * 10) / (test.scale * 10),
          target_mean: control.target,
          target_sd: control.sd,
          run_at: runAt,
          modified_at: modifiedAt,
        }, modifiedAt);
        if (missing && scheduled) this.counts.missingQcValues++;
      }
    }
  }

  /** Control lots last 60-120 days; each lot's assigned target differs slightly. */
  private newControlLot(device: DeviceState, test: DeviceTest, control: QcControl, day: number): void {
    const rng = this.rng;
    control.lotSerial++;
    control.lot = `${device.profile.model.makerCode}-${test.local.test.mnemonic}${control.level}-${control.lotSerial}`;
    control.lotUntilDay = day + 60 + rng.int(61);
    const target = control.canonicalTarget * test.fromCanonical * rng.uniform(0.97, 1.03);
    const precision = test.scale * 10;
    control.target = Math.round(target * precision) / precision;
    control.sd = Math.max(1 / (precision * 10), Math.round(target * test.cv * precision * 10) / (precision * 10));
  }

  // ---- lab results --------------------------------------------------------------------------

  private runSamples(device: DeviceState, from: number, until: number): void {
    const rng = this.rng;
    const profile = device.profile;
    const respiratory = profile.model.category === 'molecular' ? this.respiratoryVolume : 1;
    const nominal = this.options.resultsPerDeviceDay * profile.volumeFactor * this.dayVolume * respiratory;
    const target = rng.poisson(nominal * wearThroughput(device.wear));
    const tests = device.tests;
    const lookup = device.testLookup;
    let produced = 0;
    while (produced < target) {
      const receivedAt = arrivalTime(this.dayStart, this.rng);
      const first = tests[lookup[(rng.next() * 256) | 0]!]!;
      let count = 1;
      let second: DeviceTest | undefined;
      let third: DeviceTest | undefined;
      if (!first.qualitative && rng.next() < SECOND_TEST) {
        second = tests[lookup[(rng.next() * 256) | 0]!]!;
        if (second === first || second.qualitative) second = undefined;
        else if (rng.next() < THIRD_TEST / SECOND_TEST) {
          third = tests[lookup[(rng.next() * 256) | 0]!]!;
          if (third === first || third === second || third.qualitative) third = undefined;
        }
        count += (second ? 1 : 0) + (third ? 1 : 0);
      }
      produced += count;
      if (receivedAt < from || receivedAt >= until) continue; // rerouted to another analyzer
      const patient = sitePatient(device.site, this.patients, this.rng);
      const sampleId = `S${++this.sampleSeq}`;
      this.writeResult(device, first, patient, sampleId, 1, receivedAt, this.isPositive(first, patient), true);
      if (second) this.writeResult(device, second, patient, sampleId, 2, receivedAt, false, true);
      if (third) this.writeResult(device, third, patient, sampleId, 3, receivedAt, false, true);
    }
    this.outbreakSamples(device, nominal, from, until);
  }

  /** Extra tests of an outbreak's region at devices serving it, mostly positive. */
  private outbreakSamples(device: DeviceState, nominal: number, from: number, until: number): void {
    for (const { plan, catalogueIndex, curve } of this.activeOutbreaks) {
      const test = device.testByCatalogue[catalogueIndex];
      const regionShare = device.site.regionShare[plan.region] ?? 0;
      if (!test || regionShare === 0) continue;
      const extra = this.rng.poisson(curve * plan.intensity * nominal * test.share * regionShare);
      const pool = this.patients[plan.region]!;
      for (let i = 0; i < extra; i++) {
        const receivedAt = arrivalTime(this.dayStart, this.rng);
        if (receivedAt < from || receivedAt >= until) continue;
        const positive = this.rng.next() < plan.positiveShare;
        const patient = pool[this.rng.int(pool.length)]!;
        if (this.writeResult(device, test, patient, `S${++this.sampleSeq}`, 1, receivedAt, positive, false)) {
          plan.truth.extra_tests++;
          if (positive) plan.truth.extra_positives++;
        }
      }
    }
  }

  private isPositive(test: DeviceTest, patient: Patient): boolean {
    return test.qualitative && this.rng.next() < this.positivity[test.catalogueIndex * REGIONS.length + patient.region]!;
  }

  /** Builds one result row and schedules it (with its mess, if drawn); false when it falls past the window. */
  private writeResult(
    device: DeviceState, test: DeviceTest, patient: Patient, sampleId: string, position: number, receivedAt: number, positive: boolean, messy: boolean,
  ): boolean {
    const rng = this.rng;
    const wear = device.wear;
    const turnaround = device.profile.model.turnaroundMinutes * MINUTE_MS * wearSlowdown(wear) * Math.exp(0.35 * rng.normal());
    const resultedAt = receivedAt + Math.floor(turnaround);
    const modifiedAt = resultedAt + Math.floor(rng.next() * 90_000);
    const local = test.local;
    let value: number | null = null;
    let flag: string;
    if (test.qualitative) {
      flag = positive ? 'A' : 'N';
    } else {
      value = this.measure(test, wear, device.profile.biasDirection);
      flag = abnormalFlag(value, test.referenceLow, test.referenceHigh);
    }
    const row: Row = {
      result_id: `${sampleId}-${position}`,
      sample_id: sampleId,
      patient_id: patient.id,
      patient_name: patient.name,
      date_of_birth: patient.dateOfBirth,
      sex: patient.sex,
      postal_code: patient.postalCode,
      device_id: device.id,
      test_code: local.code,
      test_name: local.name,
      result_value: value,
      result_text: test.qualitative ? (positive ? 'Positive' : 'Negative') : null,
      unit: test.unit,
      reference_low: local.referenceLow,
      reference_high: local.referenceHigh,
      abnormal_flag: flag,
      received_at: receivedAt,
      resulted_at: resultedAt,
      status: 'final',
      modified_at: modifiedAt,
    };
    const draw = messy ? rng.next() : 1;
    if (draw >= MESS_PROBABILITY) return this.schedule(RESULTS, row, modifiedAt);
    const mess = messUp(row, test, draw, rng);
    let written = true;
    for (const version of mess.versions) written = this.schedule(RESULTS, version, version.modified_at as number) && written;
    if (written && mess.count) this.counts[mess.count]++;
    return written;
  }

  /** Patient value (canonical population) converted to the local unit, with the device's bias, drift and noise. */
  private measure(test: DeviceTest, wear: number, biasDirection: number): number {
    const rng = this.rng;
    const catalogue = test.local.test;
    let canonical = catalogue.median * Math.exp(catalogue.logSd * rng.normal());
    if (rng.next() < catalogue.abnormalShare) canonical *= catalogue.abnormalFactor;
    const error = test.shiftSd + wearBiasSd(wear, biasDirection) + wearImprecision(wear) * rng.normal();
    const local = canonical * test.fromCanonical * (1 + test.cv * error);
    return Math.round(local * test.scale) / test.scale;
  }

  // ---- device logs and maintenance events ---------------------------------------------------

  private writeLogs(device: DeviceState, from: number, until: number, calibrationOverdue: boolean): void {
    const rng = this.rng;
    const span = until - from;
    const wear = device.wear;
    const count = rng.poisson((logRate(wear) * span) / DAY_MS);
    const pError = errorShare(wear);
    const pWarning = pError + warningShare(wear, calibrationOverdue);
    for (let i = 0; i < count; i++) {
      const at = from + Math.floor(rng.next() * span);
      const u = rng.next();
      if (u < pError) this.writeLog(device, at, 'ERROR', rng.pick(ERROR_LOGS));
      else if (u < pWarning) this.writeLog(device, at, 'WARN', calibrationOverdue && rng.chance(0.2) ? CALIBRATION_DUE_LOG : rng.pick(WARN_LOGS));
      else this.writeLog(device, at, 'INFO', rng.pick(INFO_LOGS));
    }
  }

  private writeLog(device: DeviceState, at: number, level: 'INFO' | 'WARN' | 'ERROR', log: LogEntry): void {
    const row: Row = { log_id: `L${++this.logSeq}`, device_id: device.id, logged_at: at, level, event_code: log.code, message: log.message, modified_at: at };
    if (this.schedule(LOGS, row, at) && this.rng.chance(DUPLICATE_LOG) && this.schedule(LOGS, { ...row }, at)) this.counts.duplicateLogs++;
  }

  private writeEvent(eventId: string, device: DeviceState, type: string, startedAt: number, endedAt: number | null, modifiedAt: number): void {
    this.schedule(EVENTS, { event_id: eventId, device_id: device.id, event_type: type, started_at: startedAt, ended_at: endedAt, modified_at: modifiedAt }, modifiedAt);
  }

  private nextEventId(): string {
    return `EV${++this.eventSeq}`;
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  /** Files a row under the day of its modified_at; false (dropped) when that day is past the window. */
  private schedule(slot: number, row: Row, modifiedAt: number): boolean {
    if (modifiedAt < this.dayEnd) {
      this.today[slot]!.push(row);
      return true;
    }
    const day = Math.floor((modifiedAt - this.startMs) / DAY_MS);
    if (day >= this.options.days) return false;
    let bucket = this.pending.get(day);
    if (!bucket) {
      bucket = emptyBucket();
      this.pending.set(day, bucket);
    }
    bucket[slot]!.push(row);
    return true;
  }

  private dayName(day: number): string {
    return isoDay(this.startMs + day * DAY_MS);
  }
}

/**
 * The lab, one UTC day at a time. Deterministic: the same options give the same rows. Pass a
 * recorder to collect the injected failures, outbreaks, drift episodes and mess counts.
 */
export function simulateLab(options: SimulationOptions, truth: GroundTruthRecorder = new GroundTruthRecorder(options)): Generator<SimulatedDay> {
  const lab = new LabSimulation(options, truth);
  return (function* days() {
    for (let day = 0; day < options.days; day++) yield lab.simulateDay(day);
  })();
}
