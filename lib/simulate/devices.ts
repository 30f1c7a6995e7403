import { TEST_CATALOGUE, type DeviceCategory, type LabTest } from './catalogue.js';
import type { Rng } from './random.js';
import { DAY_MS } from '../calendar/days.js';

/** An analyzer model: what it runs, how often it needs calibration and preventive maintenance. */
export interface DeviceModel {
  readonly model: string;
  readonly manufacturer: string;
  /** Short code used in control-lot numbers. */
  readonly makerCode: string;
  readonly category: DeviceCategory;
  readonly calibrationIntervalDays: number;
  readonly maintenanceIntervalDays: number;
  readonly qcLevels: number;
  /** Median minutes from sample receipt to result on a healthy device. */
  readonly turnaroundMinutes: number;
}

const model = (
  name: string, manufacturer: string, makerCode: string, category: DeviceCategory,
  calibrationIntervalDays: number, maintenanceIntervalDays: number, qcLevels: number, turnaroundMinutes: number,
): DeviceModel => ({ model: name, manufacturer, makerCode, category, calibrationIntervalDays, maintenanceIntervalDays, qcLevels, turnaroundMinutes });

export const DEVICE_MODELS: readonly DeviceModel[] = [
  model('cobas c 503', 'Roche Diagnostics', 'RD', 'chemistry', 28, 90, 3, 45),
  model('Alinity c', 'Abbott', 'AB', 'chemistry', 30, 120, 2, 50),
  model('Atellica CH 930', 'Siemens Healthineers', 'SH', 'chemistry', 21, 90, 3, 40),
  model('AU5800', 'Beckman Coulter', 'BC', 'chemistry', 30, 120, 2, 55),
  model('XN-1000', 'Sysmex', 'SY', 'hematology', 60, 90, 3, 20),
  model('DxH 900', 'Beckman Coulter', 'BC', 'hematology', 90, 120, 3, 25),
  model('Alinity h', 'Abbott', 'AB', 'hematology', 60, 90, 3, 25),
  model('cobas e 801', 'Roche Diagnostics', 'RD', 'immunoassay', 28, 90, 3, 65),
  model('Alinity i', 'Abbott', 'AB', 'immunoassay', 30, 120, 3, 70),
  model('Atellica IM 1600', 'Siemens Healthineers', 'SH', 'immunoassay', 28, 90, 2, 60),
  model('GeneXpert XVI', 'Cepheid', 'CP', 'molecular', 90, 180, 2, 100),
  model('cobas 6800', 'Roche Molecular Systems', 'RM', 'molecular', 60, 120, 2, 180),
  model('Panther', 'Hologic', 'HO', 'molecular', 90, 180, 2, 150),
];

/** Tests every device of a category runs; the rest of the category's tests are optional. */
const CORE_TESTS: Record<DeviceCategory, readonly string[]> = {
  chemistry: ['glucose', 'sodium', 'potassium', 'creatinine'],
  hematology: ['hemoglobin', 'wbc', 'platelets'],
  immunoassay: ['tsh', 'troponin_i'],
  molecular: ['influenza_a', 'sars_cov_2', 'rsv'],
};
const OPTIONAL_TEST_PROBABILITY = 0.5;

/**
 * Category of a site's n-th device: a fixed cycle, so that every site of a lab with a few
 * devices per site already has chemistry, hematology, immunoassay and molecular analyzers.
 */
const CATEGORY_CYCLE: readonly DeviceCategory[] = [
  'chemistry', 'hematology', 'molecular', 'immunoassay', 'chemistry', 'hematology', 'chemistry', 'molecular', 'immunoassay', 'chemistry',
];

/** What stays fixed about a device for the whole simulation (observable and hidden traits). */
export interface DeviceProfile {
  readonly index: number;
  readonly id: string;
  readonly siteIndex: number;
  readonly model: DeviceModel;
  readonly tests: readonly LabTest[];
  readonly installedAt: number;
  /** Multiplies the lab's average daily volume; mean 1 over the fleet. */
  readonly volumeFactor: number;
  /** Hidden: wear added per day on schedule (faster when overdue). */
  readonly wearRate: number;
  /** Hidden: chance that a scheduled calibration or maintenance is done late. */
  readonly lateProbability: number;
  /** Hidden: sign of the bias a worn device develops. */
  readonly biasDirection: 1 | -1;
}

export function deviceIdOf(index: number): string {
  return `DEV${String(index + 1).padStart(5, '0')}`;
}

/** Bigger sites first: site i gets a share proportional to 1 / (i + 1)^0.6. */
function assignSites(devices: number, sites: number): number[] {
  const weights = Array.from({ length: sites }, (_, i) => 1 / (i + 1) ** 0.6);
  const total = weights.reduce((a, b) => a + b, 0);
  const assigned = new Array<number>(sites).fill(0);
  const siteOf: number[] = [];
  for (let d = 0; d < devices; d++) {
    let best = 0;
    let bestDeficit = -Infinity;
    for (let s = 0; s < sites; s++) {
      const deficit = ((weights[s] ?? 0) / total) * (d + 1) - (assigned[s] ?? 0);
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = s;
      }
    }
    assigned[best] = (assigned[best] ?? 0) + 1;
    siteOf.push(best);
  }
  return siteOf;
}

function testsFor(category: DeviceCategory, rng: Rng): LabTest[] {
  const core = CORE_TESTS[category];
  return TEST_CATALOGUE.filter((t) => t.category === category && (core.includes(t.key) || rng.chance(OPTIONAL_TEST_PROBABILITY)));
}

export function buildFleet(devices: number, sites: number, startMs: number, rng: Rng): DeviceProfile[] {
  const siteOf = assignSites(devices, sites);
  const seenPerSite = new Array<number>(sites).fill(0);
  return siteOf.map((siteIndex, index) => {
    const ordinal = seenPerSite[siteIndex] ?? 0;
    seenPerSite[siteIndex] = ordinal + 1;
    const category = CATEGORY_CYCLE[ordinal % CATEGORY_CYCLE.length]!;
    const models = DEVICE_MODELS.filter((m) => m.category === category);
    const volumeSigma = 0.35;
    return {
      index,
      id: deviceIdOf(index),
      siteIndex,
      model: rng.pick(models),
      tests: testsFor(category, rng),
      installedAt: startMs - Math.floor(rng.uniform(90, 2500)) * DAY_MS + Math.floor(rng.uniform(7, 17) * 3_600_000),
      volumeFactor: Math.exp(volumeSigma * rng.normal() - (volumeSigma * volumeSigma) / 2),
      wearRate: rng.uniform(0.0025, 0.007),
      lateProbability: rng.uniform(0.05, 0.5),
      biasDirection: rng.chance(0.5) ? 1 : -1,
    };
  });
}
