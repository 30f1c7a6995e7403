import type { Row } from '../sources/schema.js';
import { UNKNOWN_TEST_CODES } from './catalogue.js';
import type { Rng } from './random.js';
import type { MessCounts } from './truth.js';
import { DAY_MS } from '../calendar/days.js';

/**
 * The mess of real LIMS data, applied to a freshly built lab result: at most one kind per
 * result, drawn with these per-result probabilities.
 */
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

/** A result is messed up when its draw falls below this. */
export const MESS_PROBABILITY = Object.values(MESS).reduce((a, b) => a + b, 0);

const HOUR_MS = 3_600_000;
const INVALID_POSTAL_CODES = ['0000', 'N/A', '1234A', '999999', 'UNKNOWN'];
const MISSING_VALUE_TEXTS = ['Hemolyzed specimen', 'Quantity not sufficient', 'Clotted specimen'];
const PATIENT_FIELDS = ['patient_name', 'date_of_birth', 'sex', 'postal_code'];

/** What the mess needs to know of the result's test. */
export interface MessTarget {
  readonly qualitative: boolean;
  /** 10^decimals of the local unit. */
  readonly scale: number;
  readonly referenceLow: number | null;
  readonly referenceHigh: number | null;
}

/** The row versions to write (in order) and the ground-truth count they add to once all are written. */
export interface Mess {
  readonly versions: Row[];
  readonly count: keyof MessCounts | null;
}

export function abnormalFlag(value: number, low: number | null, high: number | null): string {
  if (low !== null && value < low) return 'L';
  if (high !== null && value > high) return 'H';
  return 'N';
}

function kindOf(draw: number): MessKind {
  let threshold = 0;
  for (const kind of MESS_KINDS) {
    threshold += MESS[kind];
    if (draw < threshold) return kind;
  }
  return 'invalidPostalCode';
}

/** Messes up `row` (changed in place) according to `draw`, a uniform draw below MESS_PROBABILITY. */
export function messUp(row: Row, target: MessTarget, draw: number, rng: Rng): Mess {
  switch (kindOf(draw)) {
    case 'duplicate':
      return { versions: [row, { ...row }], count: 'duplicateResults' };
    case 'late':
      // Arrives from an interface backlog one to five days after it was resulted.
      row.modified_at = (row.resulted_at as number) + Math.floor(rng.uniform(1, 5) * DAY_MS);
      return { versions: [row], count: 'lateResults' };
    case 'correction': {
      const correctedAt = (row.modified_at as number) + Math.floor(rng.uniform(1, 72) * HOUR_MS);
      return { versions: [row, corrected(row, target, correctedAt, rng)], count: 'correctedResults' };
    }
    case 'missingValue':
      row.result_value = null;
      row.result_text = target.qualitative ? null : rng.pick(MISSING_VALUE_TEXTS);
      row.abnormal_flag = null;
      return { versions: [row], count: 'missingResultValues' };
    case 'implausible': {
      if (target.qualitative) return { versions: [row], count: null };
      const value = (row.result_value as number) || 1;
      row.result_value = rng.chance(0.5) ? -Math.abs(value) : value * 1000;
      row.abnormal_flag = abnormalFlag(row.result_value, target.referenceLow, target.referenceHigh);
      return { versions: [row], count: 'implausibleValues' };
    }
    case 'unknownCode':
      row.test_code = rng.pick(UNKNOWN_TEST_CODES);
      row.test_name = 'Manual entry';
      return { versions: [row], count: 'unknownTestCodes' };
    case 'missingPatientField':
      row[rng.pick(PATIENT_FIELDS)] = null;
      return { versions: [row], count: 'missingPatientFields' };
    case 'invalidPostalCode':
      row.postal_code = rng.pick(INVALID_POSTAL_CODES);
      return { versions: [row], count: 'invalidPostalCodes' };
  }
}

/** A later version of the same result_id: re-measured value (or flipped qualitative result). */
function corrected(row: Row, target: MessTarget, correctedAt: number, rng: Rng): Row {
  if (target.qualitative) {
    const positive = row.result_text !== 'Positive';
    return { ...row, result_text: positive ? 'Positive' : 'Negative', abnormal_flag: positive ? 'A' : 'N', status: 'corrected', modified_at: correctedAt };
  }
  const original = row.result_value as number;
  const remeasured = Math.round(original * rng.uniform(0.75, 1.25) * target.scale) / target.scale;
  // A correction changes the value: at least one step of the reported precision.
  const value = remeasured !== original ? remeasured : original + 1 / target.scale;
  return {
    ...row,
    result_value: value,
    abnormal_flag: abnormalFlag(value, target.referenceLow, target.referenceHigh),
    status: 'corrected',
    modified_at: correctedAt,
  };
}
