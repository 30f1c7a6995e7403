import { DEFAULT_SIMULATION, type SimulationOptions } from './options.js';

/** An unscheduled failure: one 'failure' row in maintenance_events, followed by a 'repair'. */
export interface FailureTruth {
  readonly event_id: string;
  readonly device_id: string;
  readonly site_id: string;
  /** Epoch ms. */
  readonly started_at: number;
  /** UTC day of started_at, YYYY-MM-DD. */
  readonly day: string;
  readonly repair_event_id: string;
  /** Epoch ms when the repair ended and the device came back. */
  readonly repaired_at: number;
  /** Hidden wear (0 = new, ~1 = worn out) when the device failed. */
  readonly wear: number;
}

/** An injected outbreak: extra tests (mostly positive) from one region for one infectious test. */
export interface OutbreakTruth {
  readonly outbreak_id: string;
  readonly test_key: string;
  readonly loinc: string;
  readonly test_name: string;
  readonly region_id: string;
  readonly region_name: string;
  readonly start_day: string;
  readonly peak_day: string;
  /** Last day with extra cases (inclusive). */
  readonly end_day: string;
  extra_tests: number;
  extra_positives: number;
}

/** A calibration-drift episode: one device's results (and QC) for one analyte shifted by shift_sd analytical SDs. */
export interface DriftTruth {
  readonly episode_id: string;
  readonly device_id: string;
  readonly site_id: string;
  readonly test_key: string;
  readonly loinc: string;
  /** The device site's local code of the drifting test. */
  readonly test_code: string;
  readonly shift_sd: number;
  readonly start_day: string;
  /** Day of the calibration that ended it; null when still drifting at the end. */
  end_day: string | null;
}

/** How many rows of each kind of mess were emitted (rows past the simulated window are not counted). */
export interface MessCounts {
  duplicateResults: number;
  duplicateLogs: number;
  correctedResults: number;
  lateResults: number;
  unknownTestCodes: number;
  implausibleValues: number;
  missingResultValues: number;
  missingPatientFields: number;
  invalidPostalCodes: number;
  missingQcValues: number;
}

export interface GroundTruth {
  options: SimulationOptions;
  failures: FailureTruth[];
  outbreaks: OutbreakTruth[];
  driftEpisodes: DriftTruth[];
  counts: MessCounts;
}

export function emptyMessCounts(): MessCounts {
  return {
    duplicateResults: 0,
    duplicateLogs: 0,
    correctedResults: 0,
    lateResults: 0,
    unknownTestCodes: 0,
    implausibleValues: 0,
    missingResultValues: 0,
    missingPatientFields: 0,
    invalidPostalCodes: 0,
    missingQcValues: 0,
  };
}

/** Collects the ground truth while `simulateLab` runs; read `truth` after the last day. */
export class GroundTruthRecorder {
  truth: GroundTruth;

  constructor(options: SimulationOptions = DEFAULT_SIMULATION) {
    this.truth = GroundTruthRecorder.empty(options);
  }

  /** Called by `simulateLab` before the first day: a recorder reused for a second run starts empty. */
  reset(options: SimulationOptions): void {
    this.truth = GroundTruthRecorder.empty(options);
  }

  private static empty(options: SimulationOptions): GroundTruth {
    return {
      options: { ...options },
      failures: [],
      outbreaks: [],
      driftEpisodes: [],
      counts: emptyMessCounts(),
    };
  }
}
