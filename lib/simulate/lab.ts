import type { LimsTableName, Row } from '../sources/schema.js';
import { TEST_CATALOGUE, UNKNOWN_TEST_CODES, localTest, siteIdOf, type LabTest, type LocalTest } from './catalogue.js';
import { buildFleet, type DeviceProfile } from './devices.js';
import { dayOfYear, outbreakCurve, planOutbreaks, seasonalBump, seasonalPositivity, type OutbreakPlan } from './epidemiology.js';
import {
  WEAR, errorShare, failureHazard, logRate, warningShare, wearBiasSd, wearGrowth, wearImprecision, wearSlowdown, wearThroughput,
} from './health.js';
import { dayString, validateOptions, type SimulationOptions } from './options.js';
import { buildPatientPools, type Patient } from './patients.js';
import { Rng, weightedLookup } from './random.js';
import { REGIONS } from './regions.js';
import { GroundTruthRecorder, type DriftTruth, type MessCounts } from './truth.js';

export interface SimulatedDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Rows whose modified_at falls on `day`, each table sorted by (modified_at, key). */
  tables: Record<LimsTableName, Row[]>;
}

const DAY_MS = 86_400_000;
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

/** Volume by UTC weekday (Sunday first), averaging 1 over a week. */
const WEEKDAY_VOLUME = [0.6, 1.15, 1.15, 1.15, 1.15, 1.1, 0.7];
/** Relative sample arrivals per hour of the day: quiet nights, morning peak. */
const HOURLY_ARRIVALS = [0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.8, 2.6, 2.8, 2.6, 2.2, 1.6, 1.4, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2];
/** Wear, downtime and maintenance windows cost about this share of the nominal volume. */
const VOLUME_COMPENSATION = 1.06;
/** Share of tests in a sample beyond the first (a panel), for quantitative tests. */
const SECOND_TEST = 0.45;
const THIRD_TEST = 0.15;

/** Per-result probabilities of each kind of mess (at most one per result). */
const MESS = {
  duplicate: 0.002,
  late: 0.004,
  correction: 0.003,
  missingValue: 0.002,
  implausible: 0.001,
  unknownCode: 0.001,
  missingPatientField: 0.0015,
  invalidPostalCode: 0.001,
} as const;
type MessKind = keyof typeof MESS;
const MESS_KINDS = Object.keys(MESS) as MessKind[];
const MESS_TOTAL = Object.values(MESS).reduce((a, b) => a + b, 0);

/** The kind of mess a draw below MESS_TOTAL selects. */
function messKind(draw: number): MessKind {
  let threshold = 0;
  for (const kind of MESS_KINDS) {
    threshold += MESS[kind];
    if (draw < threshold) return kind;
  }
  return 'invalidPostalCode';
}
const DUPLICATE_LOG = 0.001;
const MISSING_QC_VALUE = 0.001;
const INVALID_POSTAL_CODES = ['0000', 'N/A', '1234A', '999999', 'UNKNOWN'];
const MISSING_VALUE_TEXTS = ['Hemolyzed specimen', 'Quantity not sufficient', 'Clotted specimen'];

/** Per device-day chance that a calibration drift starts on one analyte. */
const DRIFT_PROBABILITY = 0.0015;

interface LogEntry {
  readonly code: string;
  readonly message: string;
}
const entry = (code: string, message: string): LogEntry => ({ code, message });
const INFO_LOGS = [
  entry('I100', 'Run started'), entry('I110', 'Run completed'), entry('I200', 'QC run completed'), entry('I300', 'Reagent pack loaded'),
  entry('I400', 'Sample rack processed'), entry('I500', 'Daily maintenance completed'), entry('I510', 'Auto-verification batch released'),
];
const WARN_LOGS = [
  entry('W210', 'Reagent level low'), entry('W220', 'Incubator temperature deviation'), entry('W230', 'Clot detected in sample'),
  entry('W250', 'Fluidics pressure fluctuation'), entry('W260', 'QC result outside 2SD'), entry('W270', 'Sample probe level sense retry'),
];
const ERROR_LOGS = [
  entry('E310', 'Aspiration failure'), entry('E320', 'Photometer lamp intensity low'), entry('E330', 'Washer pump error'),
  entry('E340', 'LIS communication timeout'), entry('E350', 'Sample probe crash detected'), entry('E360', 'Reaction temperature out of range'),
];
const CALIBRATION_DUE_LOG = entry('W240', 'Calibration overdue');
const FAILURE_LOG = entry('E900', 'Instrument halted: hardware fault');
const REPAIR_LOG = entry('I910', 'Service completed, instrument back online');
const CALIBRATION_LOG = entry('I600', 'Calibration completed');
const PREVENTIVE_LOG = entry('I700', 'Preventive maintenance completed');

interface QcControl {
  readonly level: number;
  readonly canonicalTarget: number;
  lot: string;
  lotSerial: number;
  lotUntilDay: number;
  target: number;
  sd: number;
}

interface DeviceTest {
  readonly local: LocalTest;
  readonly catalogueIndex: number;
  readonly qualitative: boolean;
  /** local value = canonical value * fromCanonical */
  readonly fromCanonical: number;
  readonly scale: number;
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
  readonly testLookup: Uint8Array;
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

interface Site {
  readonly index: number;
  readonly id: string;
  /** Share of the site's patients living in each region. */
  readonly regionShare: Float64Array;
  readonly regionLookup: Uint8Array;
}

/** Regions a site serves: its home region (60%) and both neighbours (20% each). */
function buildSite(index: number, sites: number): Site {
  const regions = REGIONS.length;
  const home = Math.floor((index * regions) / sites) % regions;
  const regionShare = new Float64Array(regions);
  regionShare[home] = 0.6;
  regionShare[(home + 1) % regions]! += 0.2;
  regionShare[(home + regions - 1) % regions]! += 0.2;
  return { index, id: siteIdOf(index), regionShare, regionLookup: weightedLookup([...regionShare]) };
}

/** Maps a uniform draw (times the table size) to a minute of the day following HOURLY_ARRIVALS. */
function arrivalMinuteTable(size: number): Uint16Array {
  const weights = Array.from({ length: 1440 }, (_, minute) => HOURLY_ARRIVALS[Math.floor(minute / 60)] ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const table = new Uint16Array(size);
  let minute = 0;
  let cumulative = weights[0] ?? 0;
  for (let slot = 0; slot < size; slot++) {
    const position = ((slot + 0.5) / size) * total;
    while (position > cumulative && minute < 1439) cumulative += weights[++minute] ?? 0;
    table[slot] = minute;
  }
  return table;
}
const ARRIVAL_SLOTS = 4096;
const ARRIVAL_MINUTE = arrivalMinuteTable(ARRIVAL_SLOTS);

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
  private today: Bucket = emptyBucket();
  private dayStart = 0;
  private dayEnd = 0;
  private dayVolume = 1;
  private respiratoryVolume = 1;
  private activeOutbreaks: { plan: OutbreakPlan; curve: number }[] = [];
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
    const local = localTest(test, siteIndex);
    const unit = local.unit;
    const levels = Math.min(profile.model.qcLevels, test.qcTargets.length);
    const controls = test.qcTargets.slice(0, levels).map((canonicalTarget, i): QcControl => ({
      level: i + 1, canonicalTarget, lot: '', lotSerial: rng.int(900) + 100, lotUntilDay: -1, target: 0, sd: 0,
    }));
    return {
      local,
      catalogueIndex: TEST_CATALOGUE.indexOf(test),
      qualitative: unit === null,
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
    this.activeOutbreaks = this.outbreaks.map((plan) => ({ plan, curve: outbreakCurve(plan, day) })).filter((o) => o.curve > 0);
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
    let from = Math.max(this.dayStart, device.downUntil);
    if (from >= this.dayEnd) return;
    from = this.scheduledMaintenance(device, day, from);
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
      this.runQc(device, from, until);
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
      day: dayString(at),
      repair_event_id: repairId,
      repaired_at: repairEnd,
      wear: Math.round(device.wear * 1000) / 1000,
    });
    device.downUntil = repairEnd;
    device.wear = this.rng.next() * WEAR.afterRepairMax;
  }

  // ---- QC -----------------------------------------------------------------------------------

  /** Each control level of each test once a day: at 06:00-07:00, or as soon as the device is back. */
  private runQc(device: DeviceState, from: number, until: number): void {
    const rng = this.rng;
    const start = Math.max(this.dayStart + 6 * HOUR_MS + Math.floor(rng.next() * HOUR_MS), from + Math.floor(rng.uniform(5, 30) * MINUTE_MS));
    const bias = wearBiasSd(device.wear, device.profile.biasDirection);
    const imprecision = wearImprecision(device.wear);
    const day = Math.floor((this.dayStart - this.startMs) / DAY_MS);
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
      const receivedAt = this.arrivalTime();
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
      const patient = this.sitePatient(device.site);
      const sampleId = `S${++this.sampleSeq}`;
      this.writeResult(device, first, patient, sampleId, 1, receivedAt, this.isPositive(first, patient), true);
      if (second) this.writeResult(device, second, patient, sampleId, 2, receivedAt, false, true);
      if (third) this.writeResult(device, third, patient, sampleId, 3, receivedAt, false, true);
    }
    this.outbreakSamples(device, nominal, from, until);
  }

  /** Extra tests of an outbreak's region at devices serving it, mostly positive. */
  private outbreakSamples(device: DeviceState, nominal: number, from: number, until: number): void {
    for (const { plan, curve } of this.activeOutbreaks) {
      const test = device.testByCatalogue[TEST_CATALOGUE.indexOf(plan.test)];
      const regionShare = device.site.regionShare[plan.region] ?? 0;
      if (!test || regionShare === 0) continue;
      const extra = this.rng.poisson(curve * plan.intensity * nominal * test.share * regionShare);
      const pool = this.patients[plan.region]!;
      for (let i = 0; i < extra; i++) {
        const receivedAt = this.arrivalTime();
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

  private arrivalTime(): number {
    return this.dayStart + ARRIVAL_MINUTE[(this.rng.next() * ARRIVAL_SLOTS) | 0]! * MINUTE_MS + Math.floor(this.rng.next() * MINUTE_MS);
  }

  private sitePatient(site: Site): Patient {
    const pool = this.patients[site.regionLookup[(this.rng.next() * 256) | 0]!]!;
    return pool[(this.rng.next() * pool.length) | 0]!;
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
      flag = abnormalFlag(value, local.referenceLow, local.referenceHigh);
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
    if (draw >= MESS_TOTAL) return this.schedule(RESULTS, row, modifiedAt);
    return this.writeMessyResult(row, test, draw);
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

  private writeMessyResult(row: Row, test: DeviceTest, draw: number): boolean {
    const rng = this.rng;
    const modifiedAt = row.modified_at as number;
    switch (messKind(draw)) {
      case 'duplicate': {
        const written = this.schedule(RESULTS, row, modifiedAt);
        if (written && this.schedule(RESULTS, { ...row }, modifiedAt)) this.counts.duplicateResults++;
        return written;
      }
      case 'late':
        // Arrives from an interface backlog one to five days after it was resulted.
        row.modified_at = (row.resulted_at as number) + Math.floor(rng.uniform(1, 5) * DAY_MS);
        return this.countIfWritten(row, 'lateResults');
      case 'correction': {
        const written = this.schedule(RESULTS, row, modifiedAt);
        const correctedAt = modifiedAt + Math.floor(rng.uniform(1, 72) * HOUR_MS);
        if (written && this.schedule(RESULTS, this.corrected(row, test, correctedAt), correctedAt)) this.counts.correctedResults++;
        return written;
      }
      case 'missingValue':
        row.result_value = null;
        row.result_text = test.qualitative ? null : rng.pick(MISSING_VALUE_TEXTS);
        row.abnormal_flag = null;
        return this.countIfWritten(row, 'missingResultValues');
      case 'implausible': {
        if (test.qualitative) return this.schedule(RESULTS, row, modifiedAt);
        const value = (row.result_value as number) || 1;
        row.result_value = rng.chance(0.5) ? -Math.abs(value) : value * 1000;
        row.abnormal_flag = abnormalFlag(row.result_value, test.local.referenceLow, test.local.referenceHigh);
        return this.countIfWritten(row, 'implausibleValues');
      }
      case 'unknownCode':
        row.test_code = rng.pick(UNKNOWN_TEST_CODES);
        row.test_name = 'Manual entry';
        return this.countIfWritten(row, 'unknownTestCodes');
      case 'missingPatientField':
        row[rng.pick(['patient_name', 'date_of_birth', 'sex', 'postal_code'])] = null;
        return this.countIfWritten(row, 'missingPatientFields');
      case 'invalidPostalCode':
        row.postal_code = rng.pick(INVALID_POSTAL_CODES);
        return this.countIfWritten(row, 'invalidPostalCodes');
    }
  }

  private countIfWritten(row: Row, count: keyof MessCounts): boolean {
    const written = this.schedule(RESULTS, row, row.modified_at as number);
    if (written) this.counts[count]++;
    return written;
  }

  /** A later version of the same result_id: re-measured value (or flipped qualitative result). */
  private corrected(row: Row, test: DeviceTest, correctedAt: number): Row {
    const rng = this.rng;
    if (test.qualitative) {
      const positive = row.result_text !== 'Positive';
      return { ...row, result_text: positive ? 'Positive' : 'Negative', abnormal_flag: positive ? 'A' : 'N', status: 'corrected', modified_at: correctedAt };
    }
    const original = row.result_value as number;
    const remeasured = Math.round(original * rng.uniform(0.75, 1.25) * test.scale) / test.scale;
    // A correction changes the value: at least one step of the reported precision.
    const value = remeasured !== original ? remeasured : original + 1 / test.scale;
    return {
      ...row,
      result_value: value,
      abnormal_flag: abnormalFlag(value, test.local.referenceLow, test.local.referenceHigh),
      status: 'corrected',
      modified_at: correctedAt,
    };
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
    return dayString(this.startMs + day * DAY_MS);
  }
}

function abnormalFlag(value: number, low: number | null, high: number | null): string {
  if (low !== null && value < low) return 'L';
  if (high !== null && value > high) return 'H';
  return 'N';
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
