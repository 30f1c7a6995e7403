import type { DqRule, Limits } from './rules.js';
import { DAY_MS } from '../calendar/days.js';

const MINUTE_MS = 60_000;
const YEAR_MS = 365.25 * DAY_MS;

/** Clock differences between the LIMS, the instruments and this system. */
const CLOCK_SKEW_MS = 10 * MINUTE_MS;
/** Older than this is a placeholder date (1900-01-01, the epoch), not a record. */
const PLACEHOLDER_AGE_MS = 50 * YEAR_MS;

/**
 * Physiologically plausible results per LOINC code, in its canonical unit (lib/standards/analytes.ts).
 * Wide on purpose: they catch sign errors, unit slips and typos (x1000), not abnormal patients.
 */
export const PLAUSIBLE_LIMITS: Readonly<Record<string, Limits>> = {
  '2345-7': { min: 0, max: 2_000 }, // glucose mg/dL
  '2951-2': { min: 80, max: 200 }, // sodium mmol/L
  '2823-3': { min: 1, max: 15 }, // potassium mmol/L (hemolysed samples reach 10+)
  '2075-0': { min: 50, max: 160 }, // chloride mmol/L
  '2160-0': { min: 0, max: 40 }, // creatinine mg/dL
  '3094-0': { min: 0, max: 300 }, // urea nitrogen mg/dL
  '17861-6': { min: 2, max: 25 }, // calcium mg/dL
  '1742-6': { min: 0, max: 20_000 }, // ALT U/L (acute liver failure)
  '1920-8': { min: 0, max: 40_000 }, // AST U/L
  '2093-3': { min: 0, max: 2_000 }, // cholesterol mg/dL
  '2571-8': { min: 0, max: 30_000 }, // triglyceride mg/dL (chylomicronemia)
  '1988-5': { min: 0, max: 2_000 }, // CRP mg/L
  '718-7': { min: 0, max: 30 }, // hemoglobin g/dL
  '6690-2': { min: 0, max: 1_000 }, // leukocytes 10*3/uL (leukemia)
  '777-3': { min: 0, max: 5_000 }, // platelets 10*3/uL
  '4548-4': { min: 2, max: 25 }, // HbA1c %
  '3016-3': { min: 0, max: 1_000 }, // TSH m[IU]/L
  '10839-9': { min: 0, max: 1_000 }, // troponin I ng/mL
  '2276-4': { min: 0, max: 100_000 }, // ferritin ng/mL
};

const notNull = (table: DqRule['table'], column: string): DqRule => ({ name: `${column}_present`, table, kind: 'not_null', column });

/**
 * The default expectations for the five LIMS tables. Silver adds `loinc_code` to lab_results and
 * quality_control rows (null when unmapped) and puts lab results' value and unit in the canonical
 * unit; when the unit cannot be converted, `unit` must not claim the canonical one (keep the
 * reported unit, or null).
 */
export const DEFAULT_DQ_RULES: readonly DqRule[] = [
  // lab_results
  notNull('lab_results', 'result_id'),
  notNull('lab_results', 'device_id'),
  { name: 'result_device_known', table: 'lab_results', kind: 'device_exists', column: 'device_id' },
  { name: 'test_code_mapped_to_loinc', table: 'lab_results', kind: 'mapped', column: 'loinc_code' },
  { name: 'unit_known_for_loinc', table: 'lab_results', kind: 'unit_known', column: 'unit', loincColumn: 'loinc_code' },
  {
    name: 'quantitative_result_has_value', table: 'lab_results', kind: 'not_null', column: 'result_value',
    onlyWhen: { loincColumn: 'loinc_code', quantitative: true },
  },
  {
    name: 'qualitative_result_has_text', table: 'lab_results', kind: 'not_null', column: 'result_text',
    onlyWhen: { loincColumn: 'loinc_code', quantitative: false },
  },
  {
    // Outbreak series count positives: a wording they do not understand must not count as negative.
    name: 'qualitative_result_text_known', table: 'lab_results', kind: 'allowed_values', column: 'result_text', values: ['Positive', 'Negative'],
    onlyWhen: { loincColumn: 'loinc_code', quantitative: false },
  },
  { name: 'result_value_plausible', table: 'lab_results', kind: 'range', column: 'result_value', per: 'loinc_code', limitsBy: PLAUSIBLE_LIMITS },
  notNull('lab_results', 'received_at'),
  notNull('lab_results', 'resulted_at'),
  { name: 'resulted_not_before_received', table: 'lab_results', kind: 'timestamp_order', earlier: 'received_at', later: 'resulted_at' },
  { name: 'received_not_in_future', table: 'lab_results', kind: 'not_future', column: 'received_at', toleranceMs: CLOCK_SKEW_MS },
  { name: 'received_not_placeholder_date', table: 'lab_results', kind: 'max_age', column: 'received_at', maxAgeMs: PLACEHOLDER_AGE_MS },
  {
    name: 'result_status_reportable', table: 'lab_results', kind: 'allowed_values', column: 'status',
    values: ['final', 'corrected', 'amended', 'preliminary'],
  },
  { name: 'patient_sex_coded', table: 'lab_results', kind: 'allowed_values', column: 'sex', values: ['F', 'M', 'U'], severity: 'warn' },

  // device_logs
  notNull('device_logs', 'log_id'),
  notNull('device_logs', 'device_id'),
  { name: 'log_device_known', table: 'device_logs', kind: 'device_exists', column: 'device_id' },
  notNull('device_logs', 'logged_at'),
  { name: 'logged_not_in_future', table: 'device_logs', kind: 'not_future', column: 'logged_at', toleranceMs: CLOCK_SKEW_MS },
  notNull('device_logs', 'level'),
  // The error and warning rates of device features read these three levels.
  { name: 'log_level_known', table: 'device_logs', kind: 'allowed_values', column: 'level', values: ['INFO', 'WARN', 'ERROR'] },

  // quality_control
  notNull('quality_control', 'qc_id'),
  notNull('quality_control', 'device_id'),
  { name: 'qc_device_known', table: 'quality_control', kind: 'device_exists', column: 'device_id' },
  { name: 'qc_test_code_mapped_to_loinc', table: 'quality_control', kind: 'mapped', column: 'loinc_code' },
  notNull('quality_control', 'measured_value'),
  notNull('quality_control', 'target_mean'),
  // Westgard rules divide by the SD.
  { name: 'qc_target_sd_positive', table: 'quality_control', kind: 'range', column: 'target_sd', limits: { exclusiveMin: 0 } },
  notNull('quality_control', 'target_sd'),
  { name: 'qc_control_level_valid', table: 'quality_control', kind: 'range', column: 'control_level', limits: { min: 1, max: 6 } },
  notNull('quality_control', 'run_at'),
  { name: 'qc_run_not_in_future', table: 'quality_control', kind: 'not_future', column: 'run_at', toleranceMs: CLOCK_SKEW_MS },

  // devices
  notNull('devices', 'device_id'),
  // The LOINC mapping is per site.
  notNull('devices', 'site_id'),
  { name: 'calibration_interval_valid', table: 'devices', kind: 'range', column: 'calibration_interval_days', limits: { min: 1, max: 3_650 } },
  { name: 'maintenance_interval_valid', table: 'devices', kind: 'range', column: 'maintenance_interval_days', limits: { min: 1, max: 3_650 } },
  { name: 'installed_not_in_future', table: 'devices', kind: 'not_future', column: 'installed_at', toleranceMs: CLOCK_SKEW_MS },
  { name: 'installed_not_placeholder_date', table: 'devices', kind: 'max_age', column: 'installed_at', maxAgeMs: PLACEHOLDER_AGE_MS },

  // maintenance_events
  notNull('maintenance_events', 'event_id'),
  notNull('maintenance_events', 'device_id'),
  { name: 'event_device_known', table: 'maintenance_events', kind: 'device_exists', column: 'device_id' },
  notNull('maintenance_events', 'event_type'),
  { name: 'event_type_known', table: 'maintenance_events', kind: 'allowed_values', column: 'event_type', values: ['calibration', 'preventive', 'repair', 'failure'] },
  notNull('maintenance_events', 'started_at'),
  // ended_at is null while an event is open.
  { name: 'event_ended_not_before_started', table: 'maintenance_events', kind: 'timestamp_order', earlier: 'started_at', later: 'ended_at' },
  { name: 'event_started_not_in_future', table: 'maintenance_events', kind: 'not_future', column: 'started_at', toleranceMs: CLOCK_SKEW_MS },
];
